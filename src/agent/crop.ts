/**
 * The zoom tool: validates a requested box DeepEyes-style and cuts the crop from the ORIGINAL
 * full-resolution image through the Canvas 2D API (OffscreenCanvas in the browser,
 * @napi-rs/canvas in Node: same function).
 */
import { type PixelBox, type Size, clampToImage, pixelBox } from '../world/boxes';
import { type Canvas2D, type CreateCanvas, type RgbaImage, context2d } from '../world/canvas';

/** DeepEyes rejects boxes with a side of 30 px or less… */
export const MIN_CROP_SIDE = 30;
/** …or an aspect ratio above 100. */
export const MAX_CROP_ASPECT = 100;
/** Crops larger than this (longest side) are stored downscaled: the model sees 64 px anyway. */
export const MAX_CROP_STORE_SIDE = 1024;

export type BoxCheck = { readonly ok: true; readonly box: PixelBox } | { readonly ok: false; readonly error: string };

/** Clamps to the image and rounds outward to whole pixels, or says why the box is unusable. */
export function checkBox(box: PixelBox, size: Size): BoxCheck {
  if (!box.every(Number.isFinite)) return { ok: false, error: 'Error: the box has a coordinate that is not a finite number.' };
  const clamped = clampToImage(box, size);
  if (!clamped) {
    return { ok: false, error: `Error: the box [${box.map((v) => Math.round(v)).join(', ')}] lies outside the ${size.width}×${size.height} image.` };
  }
  const b = pixelBox(Math.floor(clamped[0]), Math.floor(clamped[1]), Math.ceil(clamped[2]), Math.ceil(clamped[3]));
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  if (w <= MIN_CROP_SIDE || h <= MIN_CROP_SIDE) {
    return { ok: false, error: `Error: the box is too small (${w}×${h} px); each side must exceed ${MIN_CROP_SIDE} px.` };
  }
  if (Math.max(w / h, h / w) > MAX_CROP_ASPECT) {
    return { ok: false, error: `Error: the box is too thin (${w}×${h} px); the aspect ratio must not exceed ${MAX_CROP_ASPECT}.` };
  }
  return { ok: true, box: b };
}

/** Cuts `box` (already checked) out of `original`; returns the crop's pixels. */
export function cropImage(original: Canvas2D, box: PixelBox, createCanvas: CreateCanvas): RgbaImage {
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
  return ctx.getImageData(0, 0, outW, outH);
}
