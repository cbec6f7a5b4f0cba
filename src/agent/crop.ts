/**
 * The zoom tool: validates a requested box DeepEyes-style and cuts the crop from the ORIGINAL
 * full-resolution image through the Canvas 2D API (OffscreenCanvas in the browser,
 * @napi-rs/canvas in Node: same function).
 */
import { type PixelBox, type Size, clampToImage, pixelBox } from '../world/boxes';
import { type Canvas2D, type CreateCanvas, type RgbaImage, context2d } from '../world/canvas';

/** Crops must be wider and taller than this: a box with a shorter side is widened to it. */
export const MIN_CROP_SIDE = 30;
/** Boxes with an aspect ratio above 100 are rejected. */
export const MAX_CROP_ASPECT = 100;
/** Crops larger than this (longest side) are stored downscaled: the model sees 64 px anyway. */
export const MAX_CROP_STORE_SIDE = 1024;

export type BoxCheck =
  | { readonly ok: true; readonly box: PixelBox; /** a side was widened to the minimum */ readonly widened: boolean }
  | { readonly ok: false; readonly error: string };

/**
 * Clamps to the image and rounds outward to whole pixels, or says why the box is unusable.
 * A side of MIN_CROP_SIDE px or less is widened about its centre (DeepEyes' maybe_resize_bbox
 * does the same below 28 px): the model asked to look there, so it sees the smallest crop that
 * holds that spot instead of an error it was never taught to read. The widened box is shifted,
 * not clipped, to stay inside the image; only an image too small for any crop is refused.
 */
export function checkBox(box: PixelBox, size: Size): BoxCheck {
  if (!box.every(Number.isFinite)) return { ok: false, error: 'Error: the box has a coordinate that is not a finite number.' };
  const clamped = clampToImage(box, size);
  if (!clamped) {
    return { ok: false, error: `Error: the box [${box.map((v) => Math.round(v)).join(', ')}] lies outside the ${size.width}×${size.height} image.` };
  }
  const rounded = pixelBox(Math.floor(clamped[0]), Math.floor(clamped[1]), Math.ceil(clamped[2]), Math.ceil(clamped[3]));
  const w = rounded[2] - rounded[0];
  const h = rounded[3] - rounded[1];
  if (Math.max(w / h, h / w) > MAX_CROP_ASPECT) {
    return { ok: false, error: `Error: the box is too thin (${w}×${h} px); the aspect ratio must not exceed ${MAX_CROP_ASPECT}.` };
  }
  const minSide = MIN_CROP_SIDE + 1;
  if (size.width < minSide || size.height < minSide) {
    return { ok: false, error: `Error: the image (${size.width}×${size.height} px) is too small to zoom into; crops must exceed ${MIN_CROP_SIDE} px a side.` };
  }
  const [x1, x2] = widenSpan(rounded[0], rounded[2], minSide, size.width);
  const [y1, y2] = widenSpan(rounded[1], rounded[3], minSide, size.height);
  return { ok: true, box: pixelBox(x1, y1, x2, y2), widened: x2 - x1 !== w || y2 - y1 !== h };
}

/**
 * Whether the tool widened the box the model wrote (`requested`) to crop `box` (for display):
 * clamping only shrinks a box and rounding only adds the outward pixel, so a cropped side longer
 * than the requested one rounded outward was widened.
 */
export function boxWasWidened(requested: readonly number[], box: readonly number[]): boolean {
  const outward = (a: number, b: number) => Math.ceil(Math.max(a, b)) - Math.floor(Math.min(a, b));
  return box[2]! - box[0]! > outward(requested[0]!, requested[2]!) || box[3]! - box[1]! > outward(requested[1]!, requested[3]!);
}

/** [lo, hi) grown about its centre to at least `min`, then shifted to lie within [0, limit]. */
function widenSpan(lo: number, hi: number, min: number, limit: number): [number, number] {
  if (hi - lo >= min) return [lo, hi];
  const start = Math.floor((lo + hi - min) / 2);
  const shifted = Math.min(Math.max(0, start), limit - min);
  return [shifted, shifted + min];
}

/** Cuts `box` (already checked) out of `original`; returns the crop's pixels. */
export function cropImage(original: Canvas2D, box: PixelBox, createCanvas: CreateCanvas): RgbaImage {
  const canvas = cropCanvas(original, box, createCanvas);
  return context2d(canvas).getImageData(0, 0, canvas.width, canvas.height);
}

/** Cuts `box` (already checked) out of `original` onto a canvas of its own (at most MAX_CROP_STORE_SIDE a side). */
export function cropCanvas(original: Canvas2D, box: PixelBox, createCanvas: CreateCanvas): Canvas2D {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const k = Math.min(1, MAX_CROP_STORE_SIDE / Math.max(w, h));
  const outW = Math.max(1, Math.round(w * k));
  const outH = Math.max(1, Math.round(h * k));
  const canvas = createCanvas(outW, outH);
  const ctx = context2d(canvas);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(original, box[0], box[1], w, h, 0, 0, outW, outH);
  return canvas;
}
