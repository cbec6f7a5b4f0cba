/**
 * Dense auxiliary targets for the vision encoder: for each patch of a view (the global image or
 * a crop), which colours cover it and which object's shape / glyph covers it. They come free
 * from the world's ground truth and give the encoder a gradient at every patch, instead of only
 * through the few answer and box tokens of a sequence. Training-only: the head that reads them
 * is not part of the shipped model.
 */
import { type PixelBox, letterbox } from '../world/boxes';
import { COLOUR_NAMES, GLYPHS, SHAPES, type Scene } from '../world/types';

/** The last channel: an object's centre lies in this patch (one patch per object; a count looks there). */
export const CENTRE_CHANNEL = COLOUR_NAMES.length + SHAPES.length + GLYPHS.length;
export const AUX_CHANNELS = CENTRE_CHANNEL + 1; // 8 colours + 6 shapes + 20 glyphs + centre

/** A colour counts as present in a patch when its object covers this much of it (in view px²). */
const VISIBLE_AREA_VIEW_PX2 = 0.25;
/** An object's shape is learnable in a view when it spans at least this many view pixels… */
const SHAPE_VISIBLE_VIEW_PX = 6;
/** …and its glyph when the object spans this many (glyph ≈ 0.55 of the object). */
const GLYPH_VISIBLE_VIEW_PX = 14;
/** Shape and glyph labels cover the patches within this fraction of the object's half-side (its core, where the glyph is). */
const CORE_FRACTION = 0.5;

/**
 * Labels [patches, AUX_CHANNELS] for the view of `scene` cut at `box`, letterboxed into
 * `imageSize` px and split into `patchSize` patches in the model's patch order (row-major
 * merge groups; see preprocess.patchify).
 */
export function visionLabels(scene: Scene, box: PixelBox, imageSize: number, patchSize: number, merge: number): Float32Array {
  const grid = imageSize / patchSize;
  const labels = new Float32Array(grid * grid * AUX_CHANNELS);
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const { scale, offsetX, offsetY } = letterbox({ width: bw, height: bh });
  const toView = (x: number, y: number): [number, number] => [((x - box[0]) * scale + offsetX) * imageSize, ((y - box[1]) * scale + offsetY) * imageSize];
  const patchIndex = patchOrder(grid, merge);
  for (const obj of scene.objects) {
    const [cx, cy] = toView(obj.cx, obj.cy);
    const r = (obj.size * scale * imageSize) / 2; // radius in view px
    if (cx + r < 0 || cy + r < 0 || cx - r > imageSize || cy - r > imageSize) continue;
    const colour = COLOUR_NAMES.indexOf(obj.colour);
    // 0. the patch holding its centre, when the centre is in view
    if (cx >= 0 && cy >= 0 && cx < imageSize && cy < imageSize) labels[patchIndex[Math.floor(cy / patchSize) * grid + Math.floor(cx / patchSize)] * AUX_CHANNELS + CENTRE_CHANNEL] = 1;
    // 1. colour presence: 1 wherever the object's disc covers a visible part of the patch. Not
    // its coverage: the agent finds tiny targets by colour, and a speck's colour should be as
    // strong a target as a large object's (with coverage labels, specks barely counted).
    for (let gy = Math.max(0, Math.floor((cy - r) / patchSize)); gy <= Math.min(grid - 1, Math.floor((cy + r) / patchSize)); gy++) {
      for (let gx = Math.max(0, Math.floor((cx - r) / patchSize)); gx <= Math.min(grid - 1, Math.floor((cx + r) / patchSize)); gx++) {
        const ox = Math.max(0, Math.min(cx + r, (gx + 1) * patchSize) - Math.max(cx - r, gx * patchSize));
        const oy = Math.max(0, Math.min(cy + r, (gy + 1) * patchSize) - Math.max(cy - r, gy * patchSize));
        const area = ox * oy * (Math.PI / 4); // view px² (box estimate × π/4)
        if (area >= VISIBLE_AREA_VIEW_PX2) labels[patchIndex[gy * grid + gx] * AUX_CHANNELS + colour] = 1;
      }
    }
    // 2. shape and glyph at every patch the object's core covers, when big enough to be seen:
    // a glyph spans several patches, and each of them should learn to say which glyph it is part of
    const shapeOn = 2 * r >= SHAPE_VISIBLE_VIEW_PX;
    const glyphOn = obj.glyph !== null && 2 * r >= GLYPH_VISIBLE_VIEW_PX;
    if (!shapeOn && !glyphOn) continue;
    const core = Math.max(patchSize / 2, r * CORE_FRACTION);
    for (let gy = Math.max(0, Math.floor((cy - core) / patchSize)); gy <= Math.min(grid - 1, Math.floor((cy + core - 1e-6) / patchSize)); gy++) {
      for (let gx = Math.max(0, Math.floor((cx - core) / patchSize)); gx <= Math.min(grid - 1, Math.floor((cx + core - 1e-6) / patchSize)); gx++) {
        const base = patchIndex[gy * grid + gx] * AUX_CHANNELS;
        if (shapeOn) labels[base + COLOUR_NAMES.length + SHAPES.indexOf(obj.shape)] = 1;
        if (glyphOn) labels[base + COLOUR_NAMES.length + SHAPES.length + GLYPHS.indexOf(obj.glyph!)] = 1;
      }
    }
  }
  return labels;
}

/** Row-major grid cell → position in the model's patch order (merge groups contiguous). */
function patchOrder(grid: number, merge: number): Int32Array {
  const order = new Int32Array(grid * grid);
  let i = 0;
  for (let gy = 0; gy < grid; gy += merge)
    for (let gx = 0; gx < grid; gx += merge)
      for (let sy = 0; sy < merge; sy++) for (let sx = 0; sx < merge; sx++) order[(gy + sy) * grid + gx + sx] = i++;
  return order;
}
