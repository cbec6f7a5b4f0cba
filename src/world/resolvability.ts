/**
 * What the model can see without zooming. The model's global view is the whole scene
 * letterboxed into MODEL_VIEW_SIZE × MODEL_VIEW_SIZE pixels, so an object of `size` original
 * pixels covers size · MODEL_VIEW_SIZE / max(width, height) view pixels.
 */
import type { PixelBox, Size } from './boxes';
import type { Family, SceneObject } from './types';

/** Side of the square, letterboxed global view the model sees. */
export const MODEL_VIEW_SIZE = 64;

/** View-pixel thresholds (object bounding-square side at the 64-px view). */
export const THRESHOLDS = {
  /** Locatable: ≥ 1.5 view px still leaves a visible blob of the object's colour, so the model can tell where to zoom. */
  locate: 1.5,
  /** Glyph readable at the view: a glyph is ≈ 0.55 × the object, so 16 view px gives a ~9-px-tall character, about the least a bold glyph needs. */
  glyph: 16,
  /** Shape recognisable at the view: at 8 view px the outline (corners, points) of a shape is distinguishable. */
  shape: 8,
  /** Colour family targets are made ≥ 8 view px: the shape named in the question must be recognisable to find it. */
  colour: 8,
  /** Relation targets are made ≥ 4 view px: a 4-px colour blob has a clear centre to compare positions. */
  relation: 4,
  /** Counted objects are made ≥ 4 view px: separate 4-px blobs can be counted without zooming. */
  count: 4,
} as const;

/** Minimum size in ORIGINAL pixels of a glyph target, so a zoomed crop can read it (glyph ≈ 9 px tall). */
export const MIN_GLYPH_TARGET_PX = 16;

/** View pixels covered by `sizePx` original pixels when the scene is letterboxed into the view. */
export function viewPixels(sizePx: number, scene: Size): number {
  return (sizePx * MODEL_VIEW_SIZE) / Math.max(scene.width, scene.height);
}

/** Smallest size in original pixels that reaches `viewPx` view pixels in this scene. */
export function pixelsForView(viewPx: number, scene: Size): number {
  return (viewPx * Math.max(scene.width, scene.height)) / MODEL_VIEW_SIZE;
}

/** Minimum view size of a family's targets for the answer to be readable from the view. */
export function resolveThreshold(family: Family): number {
  return THRESHOLDS[family];
}

type TargetLike = SceneObject | PixelBox;

function sizeOf(target: TargetLike): number {
  if (Array.isArray(target)) {
    const box = target as PixelBox;
    return Math.max(box[2] - box[0], box[3] - box[1]);
  }
  return (target as SceneObject).size;
}

/** True when every target reaches at least `viewPx` view pixels. */
export function allAtLeast(scene: Size, targets: readonly TargetLike[], viewPx: number): boolean {
  return targets.every((t) => viewPixels(sizeOf(t), scene) >= viewPx);
}

/** True when every target is locatable at the view (≥ THRESHOLDS.locate view px). */
export function isLocatable(scene: Size, targets: readonly TargetLike[]): boolean {
  return allAtLeast(scene, targets, THRESHOLDS.locate);
}

/**
 * Whether the answer can be read from the global view alone (no zoom needed): every target
 * reaches its family's threshold (see THRESHOLDS). Targets are objects or their pixel boxes.
 * Colour, relation and count questions are generated so that this always holds.
 */
export function isResolvable(family: Family, scene: Size, targets: readonly TargetLike[]): boolean {
  return targets.length > 0 && allAtLeast(scene, targets, resolveThreshold(family));
}
