/**
 * Node-only canvas backend (@napi-rs/canvas) for scripts and tests. Never import this from
 * browser code: the browser uses OffscreenCanvas through the same Canvas2D interface.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCanvas, GlobalFonts, Image } from '@napi-rs/canvas';
import { context2d, GLYPH_FONT_FAMILY, type Canvas2D, type CreateCanvas, type RgbaImage } from './canvas';

/** Absolute path of the bundled glyph font. */
export const GLYPH_FONT_PATH = fileURLToPath(new URL('../../public/fonts/DejaVuSans-Bold.ttf', import.meta.url));

let fontRegistered = false;

/** Registers the bundled DejaVu Sans Bold under GLYPH_FONT_FAMILY (once per process). */
export function registerGlyphFont(): void {
  if (fontRegistered) return;
  if (!GlobalFonts.has(GLYPH_FONT_FAMILY)) {
    const key = GlobalFonts.registerFromPath(GLYPH_FONT_PATH, GLYPH_FONT_FAMILY);
    if (!key) throw new Error(`Could not register font ${GLYPH_FONT_PATH}`);
  }
  fontRegistered = true;
}

export const createNodeCanvas: CreateCanvas = (width: number, height: number): Canvas2D => {
  registerGlyphFont();
  return createCanvas(Math.max(1, Math.round(width)), Math.max(1, Math.round(height))) as unknown as Canvas2D;
};

/** Encodes a canvas made by createNodeCanvas as PNG bytes. */
export function canvasToPng(canvas: Canvas2D): Buffer {
  const c = canvas as unknown as { encodeSync?: (format: 'png') => Buffer };
  if (typeof c.encodeSync !== 'function') throw new Error('canvasToPng needs a canvas made by createNodeCanvas');
  return c.encodeSync('png');
}

/** RGBA pixels of a canvas. */
export function canvasPixels(canvas: Canvas2D): RgbaImage {
  const img = context2d(canvas).getImageData(0, 0, canvas.width, canvas.height);
  return { width: img.width, height: img.height, data: img.data };
}

/** Decodes a PNG file into RGBA pixels (synchronously). */
export function loadPng(path: string): RgbaImage {
  return decodePng(readFileSync(path));
}

/** Decodes PNG bytes into RGBA pixels (synchronously). */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const image = new Image();
  image.src = bytes;
  if (!image.complete || image.width === 0) throw new Error('Could not decode PNG');
  const canvas = createNodeCanvas(image.width, image.height);
  const ctx = context2d(canvas);
  ctx.drawImage(image, 0, 0, image.width, image.height, 0, 0, image.width, image.height);
  return canvasPixels(canvas);
}
