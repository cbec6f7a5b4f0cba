/**
 * A count question asked of a crop of its scene, as if the crop were the whole image: the scene's
 * objects and marks moved into the crop's frame, the count those objects whose centre lies in it.
 * Training cuts the image from the whole scene's (src/train/data.ts), as a zoom does, so the
 * background keeps the scale a zoom shows; this scene gives the oracle and the labels the geometry.
 *
 * Why: counting by zooming (a crowded area cropped and counted) needs a count of a crop, where
 * objects span two to four times the view px the model learnt to count at. Training count
 * questions on such crops teaches that skill on its own, before the whole zooming chain.
 */
import { type PixelBox, centreIn, pixelBox } from './boxes';
import { objectBox } from './generate';
import type { Rng } from './rng';
import { isResolvable } from './resolvability';
import type { Mark, Sample, SceneObject } from './types';

/** The crop's side as a share of the scene's shorter side: a 2× to 4× zoom. */
export const COUNT_CROP_SHARE: readonly [number, number] = [0.25, 0.5];


/** `mark` moved by (−dx, −dy): a line's every point; a dot's or an arc's centre only (then radius, angles). */
function movedMark(mark: Mark, dx: number, dy: number): Mark {
  const moved = mark.kind === 'line' ? mark.points.length : 2;
  return { ...mark, points: mark.points.map((v, i) => (i < moved ? v - (i % 2 === 0 ? dx : dy) : v)) };
}

/**
 * `sample` (a count) asked of the square `box` of its scene: objects that reach into the box are
 * kept, moved into its frame (the renderer clips what lies outside), marks too; the targets are
 * the counted objects whose centre lies in the box. Throws when `sample` is not a count or the
 * box holds no counted centre (the world never asks a count of 0).
 */
export function cropCountSample(sample: Sample, box: PixelBox): Sample {
  if (sample.family !== 'count') throw new Error(`cropCountSample: sample ${sample.id} is a ${sample.family} question, not a count`);
  const [x0, y0, x1, y1] = box;
  const { scene } = sample;
  const reaches = (o: SceneObject) => {
    const [ox0, oy0, ox1, oy1] = objectBox(o, scene);
    return ox1 > x0 && ox0 < x1 && oy1 > y0 && oy0 < y1;
  };
  const objects = scene.objects.filter(reaches).map((o) => ({ ...o, cx: o.cx - x0, cy: o.cy - y0 }));
  const counted = new Set(sample.targetIds.filter((id) => centreIn(scene.objects.find((o) => o.id === id)!, box)));
  if (counted.size === 0) throw new Error(`cropCountSample: the box [${box.join(', ')}] holds no counted object's centre in sample ${sample.id}`);
  const marks = scene.marks.map((m) => movedMark(m, x0, y0));
  const cropped = { ...scene, width: x1 - x0, height: y1 - y0, objects, marks };
  const targetObjects = objects.filter((o) => counted.has(o.id));
  return {
    ...sample,
    scene: cropped,
    answer: String(targetObjects.length),
    targetIds: targetObjects.map((o) => o.id),
    targets: targetObjects.map((o) => objectBox(o, cropped)),
    resolvable: isResolvable('count', cropped, targetObjects),
  };
}

/**
 * A square crop of `sample`'s scene (side COUNT_CROP_SHARE of its shorter side) around one of its
 * counted objects, drawn from `rng`, kept inside the scene.
 */
export function countCropBox(rng: Rng, sample: Sample): PixelBox {
  const { scene } = sample;
  const [lo, hi] = COUNT_CROP_SHARE;
  const side = Math.round(Math.min(scene.width, scene.height) * (lo + (hi - lo) * rng.next()));
  const targetId = rng.pick(sample.targetIds);
  const target = scene.objects.find((o) => o.id === targetId)!;
  // the target's centre anywhere in the crop but its outer 10%, so it is not cut in half at the edge
  const place = (centre: number, limit: number) => {
    const at = Math.round(centre - side * (0.1 + 0.8 * rng.next()));
    return Math.min(Math.max(0, at), limit - side);
  };
  const x = place(target.cx, scene.width);
  const y = place(target.cy, scene.height);
  return pixelBox(x, y, x + side, y + side);
}
