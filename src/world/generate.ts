/**
 * The procedural visual-search world: a high-resolution scene of coloured shapes (some with
 * glyphs) on a muted, cluttered background, plus one question about it whose answer is often
 * too small to resolve at the model's 64-px view but whose target is always locatable there.
 *
 * Deterministic: generateSample(seed, options) always returns the same sample.
 */
import { clampToImage, pixelBox, type PixelBox } from './boxes';
import {
  MIN_GLYPH_TARGET_PX,
  THRESHOLDS,
  isResolvable,
  viewPixels,
} from './resolvability';
import { createRng, type Rng } from './rng';
import { scanArea, viewScanBorderDistance } from './regions';
import {
  BACKGROUND_STYLES,
  COLOUR_NAMES,
  FAMILIES,
  GLYPHS,
  SHAPES,
  type BackgroundStyle,
  type Colour,
  type Family,
  type Glyph,
  type Mark,
  type Sample,
  type Scene,
  type SceneObject,
  type Shape,
  type WorldOptions,
} from './types';

/** Scene sides in pixels. */
export const MIN_SIDE = 384;
export const MAX_SIDE = 2048;
/** Longest side ÷ shortest side, at most. */
export const MAX_ASPECT = 3;
/** Objects per scene. */
export const MIN_OBJECTS = 5;
export const MAX_OBJECTS = 40;
/** Smallest object side in pixels. */
export const MIN_OBJECT_PX = 10;
/** Largest distractor, as a fraction of the scene's short side. */
export const MAX_DISTRACTOR_FRACTION = 0.25;
/** Shapes that can carry a glyph (the glyph fits inside them). */
export const GLYPH_SHAPES: readonly Shape[] = ['circle', 'square', 'hexagon', 'diamond'];
/** Glyph cap height as a fraction of the object's size. */
export const GLYPH_HEIGHT_FRACTION = 0.55;
/** Smallest object that gets a glyph (the glyph is then ≈ 9 px tall). */
export const MIN_GLYPH_OBJECT_PX = MIN_GLYPH_TARGET_PX;
/** Diamonds print their glyph smaller (their tips are narrow), so they need a larger object. */
export const MIN_GLYPH_DIAMOND_PX = 24;

/** Whether an object of this shape and size can carry a legible glyph. */
export function canCarryGlyph(shape: Shape, size: number): boolean {
  if (!GLYPH_SHAPES.includes(shape)) return false;
  return size >= (shape === 'diamond' ? MIN_GLYPH_DIAMOND_PX : MIN_GLYPH_OBJECT_PX);
}

/** Largest target per family, as a fraction of the short side (several targets must fit). */
const MAX_TARGET_FRACTION: Record<Family, number> = {
  glyph: 0.4,
  shape: 0.4,
  colour: 0.35,
  relation: 0.25,
  count: 0.2,
};

/** Minimum view size of a family's targets (what generation guarantees). */
const MIN_TARGET_VIEW: Record<Family, number> = {
  glyph: THRESHOLDS.locate,
  shape: THRESHOLDS.locate,
  colour: THRESHOLDS.colour,
  relation: THRESHOLDS.relation,
  count: THRESHOLDS.count,
};

/** Gap in pixels kept between the bounding circles of any two objects. */
const OBJECT_GAP = 2;

const TEMPLATES = {
  glyph: [
    (c: string) => [`What is written on the ${c} object?`, `the ${c} object`],
    (c: string) => [`Which character is on the ${c} object?`, `the ${c} object`],
    (c: string) => [`Read the symbol on the ${c} shape.`, `the ${c} shape`],
    (c: string) => [`What character is printed on the ${c} shape?`, `the ${c} shape`],
  ],
  shape: [
    (c: string) => [`What shape is the ${c} object?`, `the ${c} object`],
    (c: string) => [`What is the shape of the ${c} object?`, `the ${c} object`],
    (c: string) => [`Which shape is the ${c} object?`, `the ${c} object`],
    (c: string) => [`Name the shape of the ${c} object.`, `the ${c} object`],
  ],
  colour: [
    (s: string) => [`What colour is the ${s}?`, `the ${s}`],
    (s: string) => [`What is the colour of the ${s}?`, `the ${s}`],
    (s: string) => [`Which colour is the ${s}?`, `the ${s}`],
    (s: string) => [`Name the colour of the ${s}.`, `the ${s}`],
  ],
  count: [
    (c: string) => [`How many ${c} objects are there?`, `the ${c} objects`],
    (c: string) => [`Count the ${c} objects.`, `the ${c} objects`],
    (c: string) => [`How many objects are ${c}?`, `the ${c} objects`],
    (c: string) => [`How many ${c} shapes can you see?`, `the ${c} shapes`],
  ],
  horizontal: [
    (a: string, b: string) => `Is the ${a} object left or right of the ${b} object?`,
    (a: string, b: string) => `Is the ${a} object to the left or to the right of the ${b} object?`,
    (a: string, b: string) => `Relative to the ${b} object, is the ${a} object on the left or on the right?`,
  ],
  vertical: [
    (a: string, b: string) => `Is the ${a} object above or below the ${b} object?`,
    (a: string, b: string) => `Is the ${a} object above the ${b} object or below it?`,
    (a: string, b: string) => `Relative to the ${b} object, is the ${a} object above or below?`,
  ],
} as const;

interface Draft {
  shape: Shape;
  colour: Colour;
  size: number;
  glyph: Glyph | null;
  rotation: number;
  cx: number;
  cy: number;
}

interface Dims {
  width: number;
  height: number;
}

type SizeRange = readonly [number, number];

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Smallest integer size that reaches `viewPx` view pixels in a scene of these dims. */
function minSizeForView(viewPx: number, dims: Dims): number {
  let s = Math.max(1, Math.floor((viewPx * Math.max(dims.width, dims.height)) / 64) - 1);
  while (viewPixels(s, dims) < viewPx) s++;
  return s;
}

function familyMinPx(family: Family): number {
  return family === 'glyph' ? Math.max(MIN_OBJECT_PX, MIN_GLYPH_TARGET_PX) : MIN_OBJECT_PX;
}

/** Whether some scene size admits targets of this family within `range`. */
function familyFeasible(family: Family, range: SizeRange | null): boolean {
  if (!range) return true;
  const smallest = Math.max(familyMinPx(family), minSizeForView(MIN_TARGET_VIEW[family], { width: MIN_SIDE, height: MIN_SIDE }));
  const largest = Math.floor(MAX_TARGET_FRACTION[family] * MAX_SIDE);
  return range[0] <= largest && range[1] >= smallest;
}

interface DimBounds {
  /** Allowed long sides. */
  readonly long: SizeRange;
  /** Smallest short side that fits the smallest allowed target. */
  readonly shortMin: number;
}

function sampleDims(rng: Rng, difficulty: number, attempt: number, bounds: DimBounds): Dims {
  // Early attempts follow the difficulty; later ones widen to every scene the constraints allow.
  const widen = attempt >= 30;
  let longLo = widen ? MIN_SIDE : Math.round(MIN_SIDE + difficulty * 416);
  let longHi = widen ? MAX_SIDE : Math.round(768 + difficulty * (MAX_SIDE - 768));
  let shortMin = MIN_SIDE;
  if (widen) {
    shortMin = Math.min(MAX_SIDE, Math.max(MIN_SIDE, bounds.shortMin));
    longLo = Math.max(longLo, shortMin, Math.min(longHi, bounds.long[0]));
    longHi = Math.min(longHi, Math.max(longLo, bounds.long[1]));
  }
  const long = rng.int(longLo, longHi);
  const maxAspect = attempt < 10 ? MAX_ASPECT : Math.max(1, MAX_ASPECT - (attempt - 10) * 0.1);
  const aspect = Math.exp(rng.float(0, Math.log(maxAspect)));
  const short = Math.min(long, Math.max(shortMin, Math.round(long / aspect)));
  return rng.chance(0.5) ? { width: long, height: short } : { width: short, height: long };
}

/**
 * Scenes for which some target size satisfies the constraints: a target of at most `range[1]`
 * px must reach the family's minimum view size (and the threshold when the plan is resolvable);
 * a non-resolvable plan needs the smallest allowed target to stay below the threshold; the
 * smallest allowed target must fit in the short side.
 */
function dimBounds(family: Family, plan: boolean | null, range: SizeRange | null): DimBounds {
  if (!range) return { long: [MIN_SIDE, MAX_SIDE], shortMin: MIN_SIDE };
  const smallest = Math.max(range[0], familyMinPx(family));
  let lo = MIN_SIDE;
  let hi = Math.floor((range[1] * 64) / MIN_TARGET_VIEW[family]);
  if (plan === true) hi = Math.min(hi, Math.floor((range[1] * 64) / THRESHOLDS[family]));
  if (plan === false) lo = Math.max(lo, Math.floor((smallest * 64) / THRESHOLDS[family]) + 1);
  return { long: [lo, hi], shortMin: Math.ceil(smallest / MAX_TARGET_FRACTION[family]) };
}

/**
 * Allowed target sizes for a family in a scene. `plan` (glyph/shape only) asks for targets
 * that are resolvable (true) or not (false) at the view.
 */
function targetRange(family: Family, dims: Dims, plan: boolean | null, option: SizeRange | null): SizeRange | null {
  const short = Math.min(dims.width, dims.height);
  let lo = Math.max(familyMinPx(family), minSizeForView(MIN_TARGET_VIEW[family], dims));
  let hi = Math.floor(MAX_TARGET_FRACTION[family] * short);
  if (plan !== null) {
    const threshold = minSizeForView(THRESHOLDS[family], dims);
    if (plan) lo = Math.max(lo, threshold);
    else hi = Math.min(hi, threshold - 1);
  }
  if (option) {
    lo = Math.max(lo, Math.ceil(option[0]));
    hi = Math.min(hi, Math.floor(option[1]));
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Log-uniform integer in [lo, hi], skewed towards lo when skew > 1. */
function logSize(rng: Rng, lo: number, hi: number, skew = 1): number {
  if (hi <= lo) return lo;
  const u = Math.pow(rng.next(), skew);
  const s = Math.floor(Math.exp(Math.log(lo) + u * (Math.log(hi + 1) - Math.log(lo))));
  return Math.min(hi, Math.max(lo, s));
}

function rotationFor(shape: Shape, rng: Rng): number {
  switch (shape) {
    case 'circle':
    case 'diamond':
      return 0;
    case 'square':
      // Small tilt only, so a square never looks like a diamond.
      return rng.float(-0.35, 0.35);
    default:
      return rng.float(0, Math.PI * 2);
  }
}

function overlaps(a: { cx: number; cy: number; size: number }, b: { cx: number; cy: number; size: number }): boolean {
  const min = (a.size + b.size) / 2 + OBJECT_GAP;
  const dx = a.cx - b.cx;
  const dy = a.cy - b.cy;
  return dx * dx + dy * dy < min * min;
}

/** Rejection-samples a centre for an object of `size` that overlaps nothing placed; null after `tries`. */
function placeCentre(
  rng: Rng,
  dims: Dims,
  size: number,
  placed: readonly Draft[],
  tries: number,
  accept: (cx: number, cy: number) => boolean = () => true,
): { cx: number; cy: number } | null {
  const half = size / 2;
  const lo = Math.ceil(half) + 1;
  const hiX = Math.floor(dims.width - half) - 1;
  const hiY = Math.floor(dims.height - half) - 1;
  if (hiX < lo || hiY < lo) return null;
  for (let t = 0; t < tries; t++) {
    const cx = rng.int(lo, hiX);
    const cy = rng.int(lo, hiY);
    if (!accept(cx, cy)) continue;
    const candidate = { cx, cy, size };
    if (placed.every((p) => !overlaps(p, candidate))) return candidate;
  }
  return null;
}

function maybeGlyph(rng: Rng, shape: Shape, size: number, p: number): Glyph | null {
  if (!canCarryGlyph(shape, size)) return null;
  return rng.chance(p) ? rng.pick(GLYPHS) : null;
}

function makeMarks(rng: Rng, dims: Dims, difficulty: number): Mark[] {
  const long = Math.max(dims.width, dims.height);
  const area = dims.width * dims.height;
  const n = rng.int(6, 12) + Math.round((area / 120_000) * (0.5 + difficulty));
  const marks: Mark[] = [];
  const maxWidth = 2 + long / 500;
  for (let i = 0; i < n; i++) {
    const grey = rng.int(70, 205);
    const kind = rng.pick(['line', 'line', 'dot', 'arc'] as const);
    if (kind === 'line') {
      const segments = rng.int(1, 3);
      const points: number[] = [rng.float(0, dims.width), rng.float(0, dims.height)];
      const step = rng.float(0.05, 0.3) * long;
      let angle = rng.float(0, Math.PI * 2);
      for (let s = 0; s < segments; s++) {
        angle += rng.float(-1, 1);
        points.push(points[points.length - 2]! + Math.cos(angle) * step, points[points.length - 1]! + Math.sin(angle) * step);
      }
      marks.push({ kind, points, width: rng.float(1, maxWidth), grey });
    } else if (kind === 'dot') {
      marks.push({
        kind,
        points: [rng.float(0, dims.width), rng.float(0, dims.height), rng.float(1.5, 3 + long / 400)],
        width: 0,
        grey,
      });
    } else {
      const start = rng.float(0, Math.PI * 2);
      marks.push({
        kind,
        points: [rng.float(0, dims.width), rng.float(0, dims.height), rng.float(0.02, 0.2) * long, start, start + rng.float(0.5, 3.5)],
        width: rng.float(1, maxWidth),
        grey,
      });
    }
  }
  return marks;
}

/** Pixel box of an object's bounding square, rounded outwards and clamped to the image. */
export function objectBox(obj: Pick<SceneObject, 'cx' | 'cy' | 'size'>, dims: Dims): PixelBox {
  const half = obj.size / 2;
  const box = pixelBox(Math.floor(obj.cx - half), Math.floor(obj.cy - half), Math.ceil(obj.cx + half), Math.ceil(obj.cy + half));
  return clampToImage(box, dims) ?? box;
}

interface CountCurriculum {
  readonly countCluster: number;
  readonly countBorder: number;
}

function validateOptions(options: WorldOptions): { families: readonly Family[]; backgrounds: readonly BackgroundStyle[]; range: SizeRange | null; curriculum: CountCurriculum } {
  const families = options.families && options.families.length > 0 ? options.families : FAMILIES;
  for (const f of families) if (!FAMILIES.includes(f)) throw new Error(`Unknown family "${f}" (known: ${FAMILIES.join(', ')})`);
  const backgrounds = options.backgrounds && options.backgrounds.length > 0 ? options.backgrounds : BACKGROUND_STYLES;
  for (const b of backgrounds) {
    if (!BACKGROUND_STYLES.includes(b)) throw new Error(`Unknown background "${b}" (known: ${BACKGROUND_STYLES.join(', ')})`);
  }
  let range: SizeRange | null = null;
  if (options.targetSize) {
    const [a, b] = options.targetSize;
    if (!Number.isFinite(a) || !Number.isFinite(b) || Math.max(a, b) <= 0) throw new Error(`Invalid targetSize [${a}, ${b}]`);
    range = [Math.min(a, b), Math.max(a, b)];
  }
  const chance = (name: 'countCluster' | 'countBorder') => {
    const p = options[name] ?? 0;
    if (!(p >= 0 && p <= 1)) throw new Error(`Invalid ${name} ${options[name]}: a chance in 0..1`);
    return p;
  };
  return { families, backgrounds, range, curriculum: { countCluster: chance('countCluster'), countBorder: chance('countBorder') } };
}

interface Plan {
  family: Family;
  dims: Dims;
  range: SizeRange;
}

/** Chooses scene dims and a target size range that satisfy the family, options and resolvability plan. */
function planScene(rng: Rng, family: Family, difficulty: number, range: SizeRange | null): Plan {
  let plan: boolean | null = null;
  if (family === 'glyph' || family === 'shape') plan = rng.chance(0.55 - 0.2 * difficulty);
  const plans: (boolean | null)[] = plan === null ? [null] : [plan, !plan];
  for (const p of plans) {
    for (let attempt = 0; attempt < 60; attempt++) {
      const dims = sampleDims(rng, difficulty, attempt, dimBounds(family, p, range));
      const r = targetRange(family, dims, p, range);
      if (r) return { family, dims, range: r };
    }
  }
  throw new Error(`No scene satisfies family "${family}" with targetSize ${range ? `[${range[0]}, ${range[1]}]` : 'unrestricted'}`);
}

/** Builds the targets and distractors; null when placement fails (caller retries). */
function buildObjects(rng: Rng, plan: Plan, difficulty: number, { countCluster, countBorder }: CountCurriculum): { drafts: Draft[]; targetCount: number; axis: 'x' | 'y' | null } | null {
  const { family, dims, range } = plan;
  const short = Math.min(dims.width, dims.height);
  const drafts: Draft[] = [];
  let palette: Colour[] = [...COLOUR_NAMES];
  let shapes: Shape[] = [...SHAPES];
  let axis: 'x' | 'y' | null = null;

  const addTarget = (
    shapeOf: Shape | ((size: number) => Shape),
    colour: Colour,
    glyph: Glyph | null,
    accept?: (cx: number, cy: number, size: number) => boolean,
  ): boolean => {
    const size = logSize(rng, range[0], range[1]);
    const shape = typeof shapeOf === 'function' ? shapeOf(size) : shapeOf;
    const c = placeCentre(rng, dims, size, drafts, 300, accept ? (x, y) => accept(x, y, size) : undefined);
    if (!c) return false;
    drafts.push({ shape, colour, size, glyph, rotation: rotationFor(shape, rng), ...c });
    return true;
  };

  switch (family) {
    case 'glyph': {
      const colour = rng.pick(COLOUR_NAMES);
      palette = palette.filter((c) => c !== colour);
      const glyphShape = (size: number) => rng.pick(GLYPH_SHAPES.filter((s) => canCarryGlyph(s, size)));
      if (!addTarget(glyphShape, colour, rng.pick(GLYPHS))) return null;
      break;
    }
    case 'shape': {
      const colour = rng.pick(COLOUR_NAMES);
      palette = palette.filter((c) => c !== colour);
      const shape = rng.pick(SHAPES);
      if (!addTarget(shape, colour, null)) return null;
      const t = drafts[0]!;
      t.glyph = maybeGlyph(rng, shape, t.size, 0.4);
      break;
    }
    case 'colour': {
      const shape = rng.pick(SHAPES);
      shapes = shapes.filter((s) => s !== shape);
      if (!addTarget(shape, rng.pick(COLOUR_NAMES), null)) return null;
      const t = drafts[0]!;
      t.glyph = maybeGlyph(rng, shape, t.size, 0.4);
      break;
    }
    case 'relation': {
      const [c1, c2] = rng.shuffle(COLOUR_NAMES) as [Colour, Colour];
      palette = palette.filter((c) => c !== c1 && c !== c2);
      axis = rng.chance(0.5) ? 'x' : 'y';
      if (!addTarget(rng.pick(SHAPES), c1, null)) return null;
      const a = drafts[0]!;
      // Clearly separated along the asked axis: centres more than one target size apart.
      const separated = (x: number, y: number, size: number) =>
        Math.abs(axis === 'x' ? x - a.cx : y - a.cy) > Math.max(size, a.size);
      if (!addTarget(rng.pick(SHAPES), c2, null, separated)) return null;
      for (const t of drafts) t.glyph = maybeGlyph(rng, t.shape, t.size, 0.3);
      break;
    }
    case 'count': {
      const colour = rng.pick(COLOUR_NAMES);
      palette = palette.filter((c) => c !== colour);
      const n = rng.int(1, 6);
      for (let i = 0; i < n; i++) {
        const shape = rng.pick(SHAPES);
        // No draw when a chance is 0, so the evaluation world's scenes stay as they were.
        const neighbour = i > 0 && countCluster > 0 && rng.chance(countCluster) ? rng.pick(drafts) : null;
        const area = neighbour && scanArea(pixelBox(neighbour.cx, neighbour.cy, neighbour.cx, neighbour.cy), dims, 'view');
        const beside = area ? (x: number, y: number) => scanArea(pixelBox(x, y, x, y), dims, 'view') === area : undefined;
        const onBorder = countBorder > 0 && rng.chance(countBorder) ? (x: number, y: number) => viewScanBorderDistance(pixelBox(x, y, x, y), dims) < 1 : undefined;
        const placed = [beside, onBorder].some((accept) => accept && addTarget(shape, colour, null, accept));
        if (!placed && !addTarget(shape, colour, null)) return null;
        const t = drafts[drafts.length - 1]!;
        t.glyph = maybeGlyph(rng, shape, t.size, 0.3);
      }
      break;
    }
  }
  const targetCount = drafts.length;

  // Distractors: other colours (or other shapes for the colour family), mostly small.
  const maxObjects = Math.round(12 + difficulty * (MAX_OBJECTS - 12));
  const total = Math.max(MIN_OBJECTS, targetCount + 1, rng.int(MIN_OBJECTS, maxObjects));
  const maxDistractor = Math.max(MIN_OBJECT_PX, Math.floor(MAX_DISTRACTOR_FRACTION * short));
  let failures = 0;
  while (drafts.length < total && failures < 40) {
    const shape = rng.pick(shapes);
    let size = logSize(rng, MIN_OBJECT_PX, maxDistractor, 1.4);
    let c = placeCentre(rng, dims, size, drafts, 30);
    if (!c) {
      size = logSize(rng, MIN_OBJECT_PX, Math.max(MIN_OBJECT_PX, Math.floor(size / 2)));
      c = placeCentre(rng, dims, size, drafts, 30);
    }
    if (!c) {
      failures++;
      continue;
    }
    drafts.push({ shape, colour: rng.pick(palette), size, glyph: maybeGlyph(rng, shape, size, 0.45), rotation: rotationFor(shape, rng), ...c });
  }
  if (drafts.length < MIN_OBJECTS) return null;
  return { drafts, targetCount, axis };
}

/** One sample of the visual-search world, deterministic from `seed` and `options`. */
export function generateSample(seed: number, options: WorldOptions = {}): Sample {
  if (!Number.isFinite(seed)) throw new Error(`Invalid seed ${seed}`);
  const { families, backgrounds, range, curriculum } = validateOptions(options);
  const difficulty = clamp01(options.difficulty ?? 0.5);
  const rng = createRng(seed);

  const feasible = families.filter((f) => familyFeasible(f, range));
  if (feasible.length === 0) {
    throw new Error(`targetSize [${range![0]}, ${range![1]}] admits none of the families ${families.join(', ')}`);
  }
  const family = rng.pick(feasible);
  const background = rng.pick(backgrounds);

  for (let attempt = 0; attempt < 20; attempt++) {
    const plan = planScene(rng, family, difficulty, range);
    const built = buildObjects(rng, plan, difficulty, curriculum);
    if (!built) continue;
    const { dims } = plan;
    // Shuffle ids so that targets are not always the first objects.
    const order = rng.shuffle(built.drafts.map((_, i) => i));
    const objects: SceneObject[] = built.drafts.map((d, i) => ({
      id: order[i]!,
      shape: d.shape,
      colour: d.colour,
      cx: d.cx,
      cy: d.cy,
      size: d.size,
      rotation: d.rotation,
      glyph: d.glyph,
    }));
    const targetObjects = objects.slice(0, built.targetCount);
    objects.sort((a, b) => a.id - b.id);
    const scene: Scene = {
      seed,
      width: dims.width,
      height: dims.height,
      background,
      objects,
      marks: makeMarks(rng, dims, difficulty),
    };
    const { question, subject, answer } = phrase(rng, family, targetObjects, built.axis);
    return {
      id: `${seed}`,
      seed,
      scene,
      family,
      question,
      subject,
      answer,
      targetIds: targetObjects.map((o) => o.id),
      targets: targetObjects.map((o) => objectBox(o, dims)),
      resolvable: isResolvable(family, dims, targetObjects),
    };
  }
  throw new Error(`Could not place objects for seed ${seed} (family ${family})`);
}

function phrase(rng: Rng, family: Family, targets: readonly SceneObject[], axis: 'x' | 'y' | null): { question: string; subject: string; answer: string } {
  const t = targets[0]!;
  switch (family) {
    case 'glyph': {
      const [question, subject] = rng.pick(TEMPLATES.glyph)(t.colour);
      return { question: question!, subject: subject!, answer: t.glyph! };
    }
    case 'shape': {
      const [question, subject] = rng.pick(TEMPLATES.shape)(t.colour);
      return { question: question!, subject: subject!, answer: t.shape };
    }
    case 'colour': {
      const [question, subject] = rng.pick(TEMPLATES.colour)(t.shape);
      return { question: question!, subject: subject!, answer: t.colour };
    }
    case 'count': {
      const [question, subject] = rng.pick(TEMPLATES.count)(t.colour);
      return { question: question!, subject: subject!, answer: String(targets.length) };
    }
    case 'relation': {
      const b = targets[1]!;
      const templates = axis === 'x' ? TEMPLATES.horizontal : TEMPLATES.vertical;
      const answer = axis === 'x' ? (t.cx < b.cx ? 'left' : 'right') : t.cy < b.cy ? 'above' : 'below';
      return {
        question: rng.pick(templates)(t.colour, b.colour),
        subject: `the ${t.colour} object and the ${b.colour} object`,
        answer,
      };
    }
  }
}
