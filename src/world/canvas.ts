/**
 * The slice of the Canvas 2D API that Squint uses, so one code path draws with
 * OffscreenCanvas in the browser and @napi-rs/canvas in Node.
 */
export interface Canvas2D {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): Context2D | null;
}

export type Context2D = Pick<
  CanvasRenderingContext2D,
  | 'fillStyle' | 'strokeStyle' | 'lineWidth' | 'font' | 'textAlign' | 'textBaseline' | 'globalAlpha'
  | 'imageSmoothingEnabled' | 'imageSmoothingQuality' | 'lineCap' | 'lineJoin'
  | 'fillRect' | 'strokeRect' | 'clearRect' | 'beginPath' | 'closePath' | 'moveTo' | 'lineTo' | 'arc'
  | 'quadraticCurveTo' | 'fill' | 'stroke' | 'save' | 'restore' | 'translate' | 'rotate' | 'scale'
  | 'fillText' | 'measureText' | 'createLinearGradient' | 'createImageData' | 'putImageData' | 'getImageData'
> & {
  drawImage(image: unknown, sx: number, sy: number, sw: number, sh: number, dx: number, dy: number, dw: number, dh: number): void;
};

export type CreateCanvas = (width: number, height: number) => Canvas2D;

/** Pixels as RGBA bytes (ImageData-compatible; works in Node and browser). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Font family name under which the bundled DejaVu Sans Bold is registered. */
export const GLYPH_FONT_FAMILY = 'SquintGlyph';

export function context2d(canvas: Canvas2D): Context2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Canvas 2D context is not available');
  return ctx;
}
