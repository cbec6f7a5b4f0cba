/**
 * The nine named regions of an image (its thirds by row and column), as the agent's thoughts say
 * where something is: the oracle writes them, evaluation checks them.
 */
import { type PixelBox, type Size, letterbox, pixelBox } from './boxes';
import { MODEL_VIEW_SIZE } from './resolvability';

/** Region names in reading order. */
export const REGION_ORDER = [
  'the upper left', 'the top', 'the upper right',
  'the left', 'the centre', 'the right',
  'the lower left', 'the bottom', 'the lower right',
] as const;
export type RegionName = (typeof REGION_ORDER)[number];

/** The region holding the box's centre. */
export function regionName(box: PixelBox, size: Size): RegionName {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const col = cx < size.width / 3 ? 0 : cx < (2 * size.width) / 3 ? 1 : 2;
  const row = cy < size.height / 3 ? 0 : cy < (2 * size.height) / 3 ? 1 : 2;
  return REGION_ORDER[row * 3 + col];
}

/** The region as a box: a third of the image by row and column. */
export function regionBox(name: RegionName, size: Size): PixelBox {
  const i = REGION_ORDER.indexOf(name);
  const [col, row] = [i % 3, Math.floor(i / 3)];
  return pixelBox((col * size.width) / 3, (row * size.height) / 3, ((col + 1) * size.width) / 3, ((row + 1) * size.height) / 3);
}

/**
 * How a count's scan splits the image into its nine areas. `thirds`: the regions above (recipes
 * ≤ v24). `view`: the letterboxed global view split 3 : 2 : 3 along each side, so the borders fall
 * between the model's 8 × 8 image tokens and every token lies in exactly one area. On thirds the
 * two border tokens of each axis hold objects of two regions, and most wrong scan numbers are
 * beside a border (README, "Where count loses").
 */
export type ScanAreas = 'thirds' | 'view';

/** The `view` areas' borders, as fractions of the view's side. */
export const VIEW_SCAN_BORDERS = [3 / 8, 5 / 8] as const;

const viewBand = (fraction: number) => (fraction < VIEW_SCAN_BORDERS[0] ? 0 : fraction < VIEW_SCAN_BORDERS[1] ? 1 : 2);

/** The box's centre on the letterboxed view, as fractions of the view's side (padding included). */
export function viewCentre(box: PixelBox, size: Size): [number, number] {
  const { scale, offsetX, offsetY } = letterbox(size); // view fractions per pixel, and the padding
  return [((box[0] + box[2]) / 2) * scale + offsetX, ((box[1] + box[3]) / 2) * scale + offsetY];
}

/** The scan area holding the box's centre. */
export function scanArea(box: PixelBox, size: Size, areas: ScanAreas): RegionName {
  if (areas === 'thirds') return regionName(box, size);
  const [fx, fy] = viewCentre(box, size);
  return REGION_ORDER[viewBand(fy) * 3 + viewBand(fx)];
}

/** A `view` scan area's edges as fractions of the view's side: [left, top, right, bottom]. */
function viewAreaFractions(name: RegionName): [number, number, number, number] {
  const i = REGION_ORDER.indexOf(name);
  const bounds = [0, ...VIEW_SCAN_BORDERS, 1];
  const [col, row] = [i % 3, Math.floor(i / 3)];
  return [bounds[col], bounds[row], bounds[col + 1], bounds[row + 1]];
}

/** A `view` scan area as a box of the original's pixels, clipped to the image (the letterbox padding left out). */
export function viewScanAreaBox(name: RegionName, size: Size): PixelBox {
  const { scale, offsetX, offsetY } = letterbox(size);
  const [left, top, right, bottom] = viewAreaFractions(name);
  const toX = (f: number) => Math.min(size.width, Math.max(0, (f - offsetX) / scale));
  const toY = (f: number) => Math.min(size.height, Math.max(0, (f - offsetY) / scale));
  return pixelBox(toX(left), toY(top), toX(right), toY(bottom));
}

/** View px from the box's centre to a `view` scan area (0 inside it). */
export function viewScanAreaDistance(box: PixelBox, size: Size, name: RegionName): number {
  const [fx, fy] = viewCentre(box, size);
  const [left, top, right, bottom] = viewAreaFractions(name);
  const gap = (f: number, lo: number, hi: number) => Math.max(lo - f, 0, f - hi);
  return Math.hypot(gap(fx, left, right), gap(fy, top, bottom)) * MODEL_VIEW_SIZE;
}

/**
 * How far the box's centre lies from the nearest `view` scan-area border, in view px: under about
 * half a 4-px cell, which side of the border the centre falls on is hard to see, and a count's scan
 * can place the object in either area.
 */
export function viewScanBorderDistance(box: PixelBox, size: Size): number {
  const [fx, fy] = viewCentre(box, size);
  return Math.min(...VIEW_SCAN_BORDERS.flatMap((b) => [Math.abs(fx - b), Math.abs(fy - b)])) * MODEL_VIEW_SIZE;
}

/** Whether a box overlaps more than one `view` scan area: an object a count's scan could place in either. */
export function crossesViewScanBorder(box: PixelBox, size: Size): boolean {
  const overlapping = REGION_ORDER.filter((name) => {
    const a = viewScanAreaBox(name, size);
    return box[0] < a[2] && box[2] > a[0] && box[1] < a[3] && box[3] > a[1];
  });
  return overlapping.length > 1;
}

/** The cells of a side × side view token grid (row-major) whose centres lie in a `view` scan area. */
export function viewScanAreaCells(name: RegionName, side: number): number[] {
  const i = REGION_ORDER.indexOf(name);
  const cells: number[] = [];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) if (viewBand((y + 0.5) / side) * 3 + viewBand((x + 0.5) / side) === i) cells.push(y * side + x);
  }
  return cells;
}

/** The first region a text names after "in " ("… is in the upper left …"), or null. */
export function firstRegionNamed(text: string): RegionName | null {
  let best: { at: number; name: RegionName } | null = null;
  for (const name of REGION_ORDER) {
    // "in the left" does not occur inside "in the upper left", so no name shadows another
    const at = text.indexOf(`in ${name}`);
    if (at >= 0 && (!best || at < best.at)) best = { at, name };
  }
  return best?.name ?? null;
}
