/**
 * Coordinate spaces. Boxes are branded so that a box in one space cannot be passed where
 * another is expected; `viewToPixel` / `pixelToView` are the only conversions.
 *
 * - PixelBox: [x1, y1, x2, y2] in pixels of the ORIGINAL full-resolution image (DeepEyes' bbox_2d).
 * - ViewBox:  [x1, y1, x2, y2] on a 0..VIEW_GRID grid over the square, letterboxed global view
 *   the model sees (Squint's own tool-call form, `bbox_view`).
 */
declare const pixelBrand: unique symbol;
declare const viewBrand: unique symbol;

export type PixelBox = readonly [number, number, number, number] & { readonly [pixelBrand]: true };
export type ViewBox = readonly [number, number, number, number] & { readonly [viewBrand]: true };

/** Resolution of the integer grid in which the model writes boxes (0..VIEW_GRID on each axis). */
export const VIEW_GRID = 100;

export const pixelBox = (x1: number, y1: number, x2: number, y2: number): PixelBox =>
  [x1, y1, x2, y2] as unknown as PixelBox;
export const viewBox = (x1: number, y1: number, x2: number, y2: number): ViewBox =>
  [x1, y1, x2, y2] as unknown as ViewBox;

export interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * How an image of `size` is letterboxed into a square: scale (square units per pixel) and the
 * offsets of the image inside the square, in square units where the square side is 1.
 */
export function letterbox(size: Size): { scale: number; offsetX: number; offsetY: number } {
  const side = Math.max(size.width, size.height);
  const scale = 1 / side;
  return {
    scale,
    offsetX: (1 - size.width * scale) / 2,
    offsetY: (1 - size.height * scale) / 2,
  };
}

/** Squint grid box on the global view → pixel box on the original (not clamped). */
export function viewToPixel(box: ViewBox, size: Size): PixelBox {
  const { scale, offsetX, offsetY } = letterbox(size);
  const toPx = (v: number, offset: number) => (v / VIEW_GRID - offset) / scale;
  return pixelBox(toPx(box[0], offsetX), toPx(box[1], offsetY), toPx(box[2], offsetX), toPx(box[3], offsetY));
}

/** Pixel box on the original → Squint grid box on the global view (rounded outward to integers). */
export function pixelToView(box: PixelBox, size: Size): ViewBox {
  const { scale, offsetX, offsetY } = letterbox(size);
  const toGrid = (p: number, offset: number) => (p * scale + offset) * VIEW_GRID;
  const clampGrid = (v: number) => Math.min(VIEW_GRID, Math.max(0, v));
  return viewBox(
    clampGrid(Math.floor(toGrid(box[0], offsetX))),
    clampGrid(Math.floor(toGrid(box[1], offsetY))),
    clampGrid(Math.ceil(toGrid(box[2], offsetX))),
    clampGrid(Math.ceil(toGrid(box[3], offsetY))),
  );
}

/** Clamp a pixel box to the image; returns null when nothing of it lies inside. */
export function clampToImage(box: PixelBox, size: Size): PixelBox | null {
  const x1 = Math.max(0, Math.min(box[0], box[2]));
  const y1 = Math.max(0, Math.min(box[1], box[3]));
  const x2 = Math.min(size.width, Math.max(box[0], box[2]));
  const y2 = Math.min(size.height, Math.max(box[1], box[3]));
  if (x2 <= x1 || y2 <= y1) return null;
  return pixelBox(x1, y1, x2, y2);
}

/** Whether a point (an object's centre) lies in `box`: left and top edges in, right and bottom out. */
export const centreIn = (p: { readonly cx: number; readonly cy: number }, box: PixelBox) => p.cx >= box[0] && p.cx < box[2] && p.cy >= box[1] && p.cy < box[3];

export const boxWidth = (b: PixelBox) => b[2] - b[0];
export const boxHeight = (b: PixelBox) => b[3] - b[1];

export function intersectionOverUnion(a: PixelBox, b: PixelBox): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = boxWidth(a) * boxHeight(a) + boxWidth(b) * boxHeight(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** The smallest box holding all of `boxes` (the targets of a question, taken together). */
export const unionBox = (boxes: readonly (readonly [number, number, number, number])[]): PixelBox =>
  pixelBox(Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3])));

/** True when `outer` contains `inner` entirely. */
export function containsBox(outer: PixelBox, inner: PixelBox): boolean {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

/** Distance between the closest pair of box centres (Infinity for fewer than two boxes), in the boxes' units. */
export function closestCentreDistance(boxes: readonly (readonly [number, number, number, number])[]): number {
  const centres = boxes.map(([x1, y1, x2, y2]) => [(x1 + x2) / 2, (y1 + y2) / 2] as const);
  let closest = Infinity;
  for (let i = 0; i < centres.length; i++) {
    for (let j = i + 1; j < centres.length; j++) {
      closest = Math.min(closest, Math.hypot(centres[i][0] - centres[j][0], centres[i][1] - centres[j][1]));
    }
  }
  return closest;
}
