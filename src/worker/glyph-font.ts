/** The world's glyph font, registered once per worker (shared by the agent and training engines). */
import { GLYPH_FONT_FAMILY } from '../world/canvas';

let fontReady: Promise<void> | null = null;

/** Loads the bundled font from `assetBase` into this worker's FontFaceSet; a failure is retried on the next call. */
export function loadGlyphFont(assetBase: string): Promise<void> {
  fontReady ??= (async () => {
    const face = new FontFace(GLYPH_FONT_FAMILY, `url(${new URL('fonts/DejaVuSans-Bold.ttf', assetBase).href})`);
    await face.load();
    (self as unknown as { fonts: FontFaceSet }).fonts.add(face);
  })().catch((e) => {
    fontReady = null;
    throw e;
  });
  return fontReady;
}
