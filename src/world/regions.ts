/**
 * The nine named regions of an image (its thirds by row and column), as the agent's thoughts say
 * where something is: the oracle writes them, evaluation checks them.
 */
import { type PixelBox, type Size, letterbox, pixelBox } from './boxes';

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
 * A count's scan areas: the nine regions drawn on the letterboxed global view instead of the
 * image, split 3 : 2 : 3 along each side. Their borders fall between the model's 8 × 8 image
 * tokens (8 view px each), so every token lies in exactly one area, and an area's count is the
 * number of target centres among its tokens. On the image's thirds the border tokens held
 * objects of two regions, and the scan said most of its wrong numbers beside a border (README,
 * "Where count loses").
 */
export const SCAN_BORDERS = [3 / 8, 5 / 8] as const;

const scanBand = (fraction: number) => (fraction < SCAN_BORDERS[0] ? 0 : fraction < SCAN_BORDERS[1] ? 1 : 2);

/** The scan area holding the box's centre. */
export function scanArea(box: PixelBox, size: Size): RegionName {
  const { scale, offsetX, offsetY } = letterbox(size); // view fractions per pixel, and the padding
  const [fx, fy] = [((box[0] + box[2]) / 2) * scale + offsetX, ((box[1] + box[3]) / 2) * scale + offsetY];
  return REGION_ORDER[scanBand(fy) * 3 + scanBand(fx)];
}

/** The cells of a side × side token grid (row-major) whose centres lie in the scan area. */
export function scanAreaCells(name: RegionName, side: number): number[] {
  const i = REGION_ORDER.indexOf(name);
  const cells: number[] = [];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (scanBand((y + 0.5) / side) * 3 + scanBand((x + 0.5) / side) === i) cells.push(y * side + x);
    }
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
