/**
 * Which views of a scene the vision encoder pre-trains on: the global view plus crops at the
 * scales the agent produces — wide first zooms (a quarter of the frame), second-stage zooms and
 * tight final crops around objects (where glyphs become readable) — and one random crop.
 * Objects that carry a glyph are picked more often: reading them is the hardest skill.
 */
import { checkBox } from '../agent/crop';
import { squareIn } from './oracle';
import { type PixelBox, pixelBox } from '../world/boxes';
import type { Rng } from '../world/rng';
import type { Scene, SceneObject } from '../world/types';

function pickObject(rng: Rng, scene: Scene): SceneObject {
  const withGlyph = scene.objects.filter((o) => o.glyph);
  return withGlyph.length && rng.chance(0.75) ? rng.pick(withGlyph) : rng.pick(scene.objects);
}

/** The full image first, then `crops` checked crop boxes (whole pixels, inside the image). */
export function pretrainViews(rng: Rng, scene: Scene, crops: number): PixelBox[] {
  const { width, height } = scene;
  const size = { width, height };
  const long = Math.max(width, height);
  const views: PixelBox[] = [pixelBox(0, 0, width, height)];
  for (let i = 0; views.length <= crops && i < crops * 3; i++) {
    const o = pickObject(rng, scene);
    const kind = i % 5;
    let side: number;
    if (kind <= 2) side = o.size * rng.float(2.2, 3.6); // a final crop (the oracle's are 2.0–2.6×)
    else if (kind === 3) side = rng.chance(0.5) ? (long / 4) * rng.float(1, 1.3) : o.size * rng.float(3, 8); // wide / second stage
    else side = long * rng.float(0.1, 0.6); // anywhere
    const random = kind === 4;
    const jitter = random ? 0 : Math.max(0, (side - o.size) / 2) * 0.7;
    const cx = random ? rng.float(0, width) : o.cx + rng.float(-jitter, jitter);
    const cy = random ? rng.float(0, height) : o.cy + rng.float(-jitter, jitter);
    const check = checkBox(squareIn(cx, cy, side, views[0]), size);
    if (check.ok) views.push(check.box);
  }
  return views;
}

/**
 * `crops` crops cut the way a final zoom cuts them (a square 1.6–3.4× an object, centre jittered
 * by up to ±15% of the side) around objects drawn uniformly: the views in which the agent reads a
 * shape. SFT's own views are mostly global views, where most objects are too small for their shape
 * to be learnt, so the encoder gets few clean shape examples from them (train:sft --reader-views).
 */
export function readerViews(rng: Rng, scene: Scene, crops: number): PixelBox[] {
  const image = pixelBox(0, 0, scene.width, scene.height);
  const views: PixelBox[] = [];
  for (let i = 0; views.length < crops && i < crops * 3; i++) {
    const o = rng.pick(scene.objects);
    const side = o.size * rng.float(1.6, 3.4);
    const check = checkBox(squareIn(o.cx + rng.float(-0.15, 0.15) * side, o.cy + rng.float(-0.15, 0.15) * side, side, image), scene);
    if (check.ok) views.push(check.box);
  }
  return views;
}

/** How many view px the centred object spans in a `globalScaleViews` crop: the sizes at which colour questions' targets are read in the global view. */
export const GLOBAL_SCALE_VIEW_PX: readonly [number, number] = [7, 13];

/** A crop and the object centred in it. */
export interface CentredView {
  readonly box: PixelBox;
  readonly object: SceneObject;
}

/**
 * `crops` crops cut at the global view's scale: each is a square in which an object drawn
 * uniformly spans GLOBAL_SCALE_VIEW_PX (7–13) of the view's `viewPx` px, its neighbours in the crop too, centred to
 * within ±15% of its size, so the four tokens around the view's centre hold it (crops the
 * image's edge would shift off it are skipped). The encoder is otherwise taught shapes this small
 * only on whole images, where few objects are this size (stage 88: v37's encoder names a shape at
 * 8–10 view px 74.5% of the time, and learns ten points more on such crops; train:sft
 * --reader-scale global).
 */
export function globalScaleViews(rng: Rng, scene: Scene, crops: number, viewPx = 64): CentredView[] {
  const image = pixelBox(0, 0, scene.width, scene.height);
  const views: CentredView[] = [];
  for (let i = 0; views.length < crops && i < crops * 3; i++) {
    const object = rng.pick(scene.objects);
    const side = (object.size * viewPx) / rng.float(...GLOBAL_SCALE_VIEW_PX);
    const [cx, cy] = [object.cx + rng.float(-0.15, 0.15) * object.size, object.cy + rng.float(-0.15, 0.15) * object.size];
    const check = checkBox(squareIn(cx, cy, side, image), scene);
    if (!check.ok) continue;
    const box = check.box;
    if (Math.hypot((box[0] + box[2]) / 2 - cx, (box[1] + box[3]) / 2 - cy) > 0.02 * side) continue;
    views.push({ box, object });
  }
  return views;
}
