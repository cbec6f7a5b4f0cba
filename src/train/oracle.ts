/**
 * Oracle trajectories from world ground truth: what a good agent would think, where it would
 * zoom, and what it would answer. SFT trains on these.
 *
 * The policy is one rule applied to whatever view the agent is looking at: if the target is
 * large enough in this view, answer; otherwise zoom on it, magnifying at most MAX_ZOOM× per step
 * (a box of at least a quarter of the view's side). So a tiny target takes a wide zoom first
 * (`bbox_view`) and a tight one inside that crop (`bbox_crop`), and every box only has to be
 * aimed to within a quarter of the view it is written on. Kinds:
 *   direct  — the target is large enough in the global view: think, answer
 *   zoom    — one zoom, then answer
 *   coarse  — a wide zoom, a closer one inside the crop, then answer
 *   recover — the first box misses; say so, zoom on the target in the full image, go on
 *   closer  — a count (with OracleMix.countCloser): scan the view's areas, mark the crowded ones
 *             "?", zoom on each of them, count the objects each crop shows, add everything up
 * Thoughts are drawn from paraphrase templates so the wording varies.
 */
import { type PixelBox, type Size, type ViewBox, boxHeight, boxWidth, centreIn, containsBox, pixelBox, pixelToView, viewToPixel } from '../world/boxes';
import { REGION_ORDER, type RegionName, type ScanAreas, regionName, scanArea, viewScanAreaBox } from '../world/regions';
import { createRng, type Rng } from '../world/rng';
import { COLOUR_NAMES, type Colour, type Family, type Sample } from '../world/types';
import { MODEL_VIEW_SIZE, viewPixels } from '../world/resolvability';
import { MIN_CROP_SIDE, checkBox } from '../agent/crop';
import type { BoxFrame } from '../agent/format';
import { cropViewToPixel } from '../agent/parser';

export type OracleKind = 'direct' | 'zoom' | 'coarse' | 'recover' | 'closer';

export interface OracleZoom {
  /** The grid box the model writes, on the view named by `frame`. */
  readonly box: ViewBox;
  readonly frame: BoxFrame;
  /** What the crop tool cuts for it (pixels of the original). */
  readonly crop: PixelBox;
}

export interface OracleTurn {
  readonly thought: string;
  /** A zoom, or null when the turn answers. */
  readonly zoom: OracleZoom | null;
  /** False for a recovery trajectory's deliberate miss: SFT shows it but does not train on it. */
  readonly imitate: boolean;
}

export interface OraclePlan {
  readonly kind: OracleKind;
  readonly turns: readonly OracleTurn[];
  readonly answer: string;
  /** A count's scan: how it split the image, and the area it counted each target in (the grounding looks there). */
  readonly scan?: CountScan;
}

export interface CountScan {
  readonly areas: ScanAreas;
  readonly ofTargets: readonly RegionName[];
  /** The areas the scan marks "?" and zooms on, in the order of the zooms (a `closer` plan's crops). */
  readonly closer?: readonly RegionName[];
}

export interface OracleMix {
  /** Probability that a trajectory which zooms starts with a box that misses the target. */
  readonly recover: number;
  /** Probability of zooming anyway on a glyph/shape target large enough to answer (keeps the tool familiar). */
  readonly zoomResolvable: number;
  /**
   * Probability of zooming on a target too small to answer; otherwise the oracle answers from the
   * global view anyway. Below 1 only for the RL base checkpoint, which must under-use the tool.
   */
  readonly zoomWhenNeeded: number;
  /** How a count's scan splits the image (src/world/regions.ts); `thirds` when omitted, as recipes ≤ v24 were trained. */
  readonly countAreas?: ScanAreas;
  /** Per family, the view px a target must span to be answered without (another) zoom; ANSWER_VIEW_PX when omitted. */
  readonly answerViewPx?: Partial<Record<Family, number>>;
  /**
   * Counts on `view` areas only: take a closer look at crowded areas. Every area holding two or
   * more targets is marked "?" in the scan and zoomed on (at most MAX_CLOSER_LOOKS), its crop's
   * objects counted whole; an area holding one is looked at too with this chance, so that the
   * model looks wherever it cannot tell one object from two, not only where it is sure. Omitted:
   * every count is answered from the global view (recipes ≤ v28).
   */
  readonly countCloser?: number;
  /**
   * The chance that a count is asked of a crop of its scene instead (a 2× to 4× zoom around one of
   * its targets, src/world/crop-sample.ts): counting at the scale a zoom shows, taught on its own.
   * Omitted: never (every shipped recipe).
   */
  readonly countCrop?: number;
  /**
   * The chance that a recovery's deliberate miss is aimed at a distractor, one whose colour is a
   * hue neighbour of the target's where the scene has one (`decoyBox`): the misses the model makes
   * itself are such boxes (an orange object taken for the yellow one asked about), and a box
   * dropped at random rarely shows one. Omitted: every miss is random (recipes ≤ v37).
   */
  readonly decoy?: number;
  /**
   * The families along whose questions the aim's trust is taught 0 whatever the aim does
   * (aimTrust; src/train/data.ts). Omitted: colour and count (stage 84), since the 4-px aim
   * matches colours, and those questions name their target by shape or count several. A model
   * whose aim sees shapes too (aimReach) can be trusted on colour questions.
   */
  readonly aimDistrusted?: readonly Family[];
}

/** OracleMix.aimDistrusted when omitted. */
export const AIM_DISTRUSTED: readonly Family[] = ['colour', 'count'];

export const DEFAULT_MIX: OracleMix = { recover: 0.12, zoomResolvable: 0.05, zoomWhenNeeded: 1 };

/**
 * A glyph or shape target is answered when it spans at least this many px of the current view.
 * Above the world's resolvability thresholds (16 and 8): a margin that keeps the zoom decision
 * from hinging on a size judgement at the edge, and gives the reader large glyphs. Families
 * without an entry are always answered from the global view. `OracleMix.answerViewPx` replaces
 * this table (`train:sft --answer-view`); recipes ≤ v27 were trained on it as it stands.
 */
export const ANSWER_VIEW_PX: Partial<Record<Family, number>> = { glyph: 20, shape: 12 };

/** A count looks closer at no more than this many areas (each costs a turn and 64 positions of context). */
export const MAX_CLOSER_LOOKS = 2;

/** One zoom magnifies at most this much: its box is at least 1/MAX_ZOOM of the view's side. */
export const MAX_ZOOM = 4;

/**
 * A final box is this many times the target's size: the target spans 25–32 px of the 64-px
 * view. Measured with the conv stem's reader probe: glyphs on objects of 24–36 view px are read
 * far more reliably than on objects of 16–24 px (88% against 69%).
 */
const TIGHT_FACTOR: [number, number] = [2.0, 2.6];

const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);


const WHAT = { glyph: 'read what is written on it', shape: 'tell its shape', colour: 'tell its colour', relation: 'compare them', count: 'count them' } as const;

/**
 * What the view shows, phrased per family (the thought before the answer). From the global view
 * it first says where the targets are, then what they are: locating and reading become two
 * steps the decoder takes one at a time (finding "the star" and naming its colour in one token
 * left colour, relation and count at chance; docs/recipes.md, "Recipe v6").
 */
function readingThought(rng: Rng, sample: Sample, zoomed: boolean, scan?: CountScan): string {
  const s = sample.subject;
  const a = sample.answer;
  const now = zoomed ? rng.pick(['Now I can see it clearly', 'The crop shows it clearly', 'In the crop it is easy to see', 'Zoomed in, it is clear']) : rng.pick(['I can see it in the image', 'It is large enough to see here', 'The image shows it clearly']);
  const size = { width: sample.scene.width, height: sample.scene.height };
  const regions = sample.targets.map((t) => regionName(t, size));
  const at = zoomed ? '' : ` is in ${regions[0]}, and it`;
  switch (sample.family) {
    case 'glyph':
      return `${now}: ${s}${at} has ${rng.pick(['the character', 'the symbol', ''])} ${a} on it.`.replace('  ', ' ');
    case 'shape':
      return `${now}: ${s}${at} is a ${a}.`;
    case 'colour':
      return `${now}: ${s}${at} is ${a}.`;
    case 'relation': {
      const [first, second] = s.split(' and ');
      const where = zoomed ? '' : `${first} is in ${regions[0]} and ${second} is in ${regions[1]}, so `;
      return `${now}: ${where}${first} is ${a === 'left' || a === 'right' ? `to the ${a} of` : a} the other one.`;
    }
    case 'count':
      return `${now}: ${zoomed || !scan ? '' : countScan(s, scan.ofTargets)}I count ${a} of them.`;
  }
}

/**
 * A count from the global view: every scan area (the plan's CountScan) in reading order with how
 * many targets it holds ("the upper left 0, the top 1, …, the lower right 2. "), then the sum. Each number is what one
 * region shows, read by looking at that region; the answer adds them up. It replaced a list of
 * the counted objects' regions (recipes ≤ v18), which the model could not end: it listed five or
 * six regions whatever the scene held (count 24%). A running total in place of each region's own
 * number was tried first and not learnt in 1000 steps × 8: the model copied the previous total.
 * An area in `closer` gets "?" for its number: a crop will count it.
 */
function countScan(subject: string, areaOfTarget: readonly RegionName[], closer: readonly RegionName[] = []): string {
  const entries = REGION_ORDER.map((name) => `${name} ${closer.includes(name) ? '?' : areaOfTarget.filter((r) => r === name).length}`);
  return `I count ${subject} area by area: ${entries.join(', ')}. `;
}

/** The thought before a zoom from the global view. `wide`: the box is a first, wider look. */
function firstZoomThought(rng: Rng, sample: Sample, region: string, wide: boolean): string {
  const s = sample.subject;
  const what = WHAT[sample.family];
  return wide
    ? rng.pick([
      `${cap(s)} is a tiny spot in ${region}. I zoom in on that area first.`,
      `I can find ${s} in ${region}, but it is far too small to ${what}. I take a closer look at that area.`,
      `To ${what}, I first zoom in on ${region}, where ${s} is.`,
    ])
    : rng.pick([
      `I can find ${s} in ${region}, but it is too small to ${what}. I will zoom in on it.`,
      `${cap(s)} is in ${region}. It is too small here, so I zoom in to ${what}.`,
      `To ${what}, I need a closer look at ${s} in ${region}.`,
    ]);
}

/** The thought before a zoom inside the current crop. */
function closerThought(rng: Rng, sample: Sample): string {
  const s = sample.subject;
  return rng.pick([
    `I see ${s} in this crop, but it is still too small to ${WHAT[sample.family]}. I zoom closer.`,
    `There is ${s}. It is still small, so I zoom in further.`,
    `${cap(s)} is in the crop now. I need one more, closer look.`,
  ]);
}

function missThought(rng: Rng, sample: Sample, region: string): string {
  const s = sample.subject;
  return rng.pick([
    `${cap(s)} is not in this crop. It is in ${region} of the image; I will zoom there instead.`,
    `This crop missed ${s}. I look again in ${region}.`,
    `I do not see ${s} here, so I zoom on ${region} instead.`,
  ]);
}

/** The thought that ends a count's scan with a closer look at its first "?" area. */
function closerLookThought(rng: Rng, area: RegionName): string {
  return rng.pick([
    `There may be more at ${area}, so I take a closer look.`,
    `I cannot see ${area} clearly enough, so I zoom in on it.`,
    `I need a closer look at ${area}.`,
  ]);
}

/** What a closer look's crop shows; then the next area to look at, or the sum. */
function closerCropThought(rng: Rng, shown: number, next: RegionName | undefined, total: string): string {
  const seen = rng.pick([`In the crop there ${shown === 1 ? 'is' : 'are'} ${shown} of them.`, `The crop shows ${shown} of them.`]);
  return `${seen} ${next ? rng.pick([`Now I look at ${next}.`, `I need a closer look at ${next} too.`]) : `So I count ${total} of them.`}`;
}

/**
 * A count that zooms on its crowded `view` areas (OracleMix.countCloser), or null when no area
 * is looked at. Two objects in one area of the 64-px view are a blob the model cannot split
 * (areas holding two were right 40 of 482 times in v28's scans); a crop magnifies the area
 * 2.7–4×. Each crop is the area itself, so it counts exactly the targets the scan left out.
 */
function closerCountPlan(rng: Rng, sample: Sample, scan: CountScan, chance: number, size: Size): OraclePlan | null {
  const full = pixelBox(0, 0, size.width, size.height);
  const held = (name: RegionName) => scan.ofTargets.filter((r) => r === name).length;
  // one draw per area holding one, whatever the others hold, so a plan depends on nothing else
  const unsure = new Set(REGION_ORDER.filter((name) => held(name) === 1 && rng.chance(chance)));
  const wanted = [...REGION_ORDER.filter((name) => held(name) >= 2), ...REGION_ORDER.filter((name) => unsure.has(name))].slice(0, MAX_CLOSER_LOOKS);
  const looks = REGION_ORDER.flatMap((name) => {
    const zoom = wanted.includes(name) ? writeBox(viewScanAreaBox(name, size), full, 'view', size) : null;
    return zoom ? [{ name, zoom }] : [];
  });
  if (looks.length === 0) return null;
  const closer = looks.map((l) => l.name);
  const turns: OracleTurn[] = [{ thought: countScan(sample.subject, scan.ofTargets, closer) + closerLookThought(rng, closer[0]), zoom: looks[0].zoom, imitate: true }];
  looks.forEach((look, i) => {
    const next = looks[i + 1];
    turns.push({ thought: closerCropThought(rng, held(look.name), next?.name, sample.answer), zoom: next?.zoom ?? null, imitate: true });
  });
  return { kind: 'closer', answer: sample.answer, turns, scan: { ...scan, closer } };
}

/** Union box of all targets. */
function targetsBox(sample: Sample): PixelBox {
  const t = sample.targets;
  return pixelBox(Math.min(...t.map((b) => b[0])), Math.min(...t.map((b) => b[1])), Math.max(...t.map((b) => b[2])), Math.max(...t.map((b) => b[3])));
}

const sideOf = (b: PixelBox) => Math.max(boxWidth(b), boxHeight(b));

/** Target size in px of the view of `frame` (letterboxed into the model's view). */
const viewPx = (target: PixelBox, frame: PixelBox) => (sideOf(target) * MODEL_VIEW_SIZE) / sideOf(frame);

/** Square box of `side` (at least a croppable size) centred at (cx, cy), shifted to lie inside `frame` where it fits. */
export function squareIn(cx: number, cy: number, side: number, frame: PixelBox): PixelBox {
  const s = Math.max(side, MIN_CROP_SIDE + 12);
  const x1 = Math.min(Math.max(frame[0], cx - s / 2), Math.max(frame[0], frame[2] - s));
  const y1 = Math.min(Math.max(frame[1], cy - s / 2), Math.max(frame[1], frame[3] - s));
  return pixelBox(x1, y1, x1 + s, y1 + s);
}

/**
 * The grid box for pixel box `box` written on `frame` ('view' when the frame is the whole
 * image), the crop the tool will cut for it, or null when it cannot be cropped. Rounding is
 * outward, and a box the tool would have to widen is widened here a unit at a time.
 */
function writeBox(box: PixelBox, frame: PixelBox, kind: BoxFrame, size: Size): OracleZoom | null {
  const frameSize = { width: boxWidth(frame), height: boxHeight(frame) };
  const local = (b: PixelBox) => pixelBox(b[0] - frame[0], b[1] - frame[1], b[2] - frame[0], b[3] - frame[1]);
  const toPixels = (v: ViewBox) => (kind === 'view' ? viewToPixel(v, size) : cropViewToPixel(v, frame));
  let grid = pixelToView(local(box), frameSize);
  for (let i = 0; i < 8; i++) {
    const check = checkBox(toPixels(grid), size);
    // the written box is the crop: the model is taught boxes the tool need not widen
    if (check.ok && !check.widened) return { box: grid, frame: kind, crop: check.box };
    grid = pixelToView(local(pixelBox(box[0] - 4 * (i + 1), box[1] - 4 * (i + 1), box[2] + 4 * (i + 1), box[3] + 4 * (i + 1))), frameSize);
  }
  return null;
}

/** The next zoom on `target` from the view of `frame`: tight when ≤ MAX_ZOOM× magnifies enough, else wide. */
function zoomOn(rng: Rng, target: PixelBox, frame: PixelBox, kind: BoxFrame, size: Size): { zoom: OracleZoom; wide: boolean } | null {
  const t = sideOf(target);
  const tight = t * rng.float(...TIGHT_FACTOR);
  const minSide = sideOf(frame) / MAX_ZOOM;
  const wide = tight < minSide;
  const side = wide ? minSide * rng.float(1, 1.25) : tight;
  const slack = wide ? ((side - t) / 2) * 0.6 : 0.15 * t;
  const cx = (target[0] + target[2]) / 2 + rng.float(-slack, slack);
  const cy = (target[1] + target[3]) / 2 + rng.float(-slack, slack);
  const zoom = writeBox(squareIn(cx, cy, side, frame), frame, kind, size);
  return zoom && containsBox(zoom.crop, target) ? { zoom, wide } : null;
}

/** Whether `crop` overlaps none of the sample's targets. */
const clearOfTargets = (sample: Sample, crop: PixelBox) => sample.targets.every((t) => crop[2] <= t[0] || crop[0] >= t[2] || crop[3] <= t[1] || crop[1] >= t[3]);

/** A box like the first zoom's, away from every target (for recovery trajectories), or null. */
function missBox(rng: Rng, sample: Sample, side: number, size: Size): OracleZoom | null {
  const full = pixelBox(0, 0, size.width, size.height);
  for (let tries = 0; tries < 30; tries++) {
    const zoom = writeBox(squareIn(rng.float(0, size.width), rng.float(0, size.height), side, full), full, 'view', size);
    if (zoom && clearOfTargets(sample, zoom.crop)) return zoom;
  }
  return null;
}

/** Colours next to `c` on the hue ring COLOUR_NAMES lists (red, orange, yellow, …, pink, back to red). */
export function hueNeighbours(c: Colour): Colour[] {
  const i = COLOUR_NAMES.indexOf(c);
  const n = COLOUR_NAMES.length;
  return [COLOUR_NAMES[(i + n - 1) % n]!, COLOUR_NAMES[(i + 1) % n]!];
}

/**
 * A distractor this many view px across or more can pass for a colour question's named shape:
 * 96 of v37's 102 wrong colour answers over the 4500 name the colour of one
 * (`npm run eval:colour-misses -- --eval <evals/v37c-*>`).
 */
export const SHAPE_DECOY_VIEW_PX = 4;

/**
 * A box of `side` around a distractor, away from every target, or null. Distractors the model
 * confuses with the target are preferred: of a neighbouring hue where the question names its
 * target by colour, large enough in the view to pass for the named shape where it names a shape.
 * Each candidate is tried with a little jitter, as the model's own boxes land.
 */
function decoyBox(rng: Rng, sample: Sample, side: number, size: Size): OracleZoom | null {
  const full = pixelBox(0, 0, size.width, size.height);
  const target = sample.scene.objects.find((o) => o.id === sample.targetIds[0]);
  const distractors = sample.scene.objects.filter((o) => !sample.targetIds.includes(o.id));
  const confusable = !target ? []
    : sample.family === 'colour' ? distractors.filter((o) => viewPixels(o.size, size) >= SHAPE_DECOY_VIEW_PX)
    : distractors.filter((o) => hueNeighbours(target.colour).includes(o.colour));
  for (const pool of [confusable, distractors]) {
    for (const o of rng.shuffle(pool)) {
      for (let tries = 0; tries < 4; tries++) {
        const jitter = side * 0.25;
        const zoom = writeBox(squareIn(o.cx + rng.float(-jitter, jitter), o.cy + rng.float(-jitter, jitter), side, full), full, 'view', size);
        if (zoom && clearOfTargets(sample, zoom.crop) && centreIn(o, zoom.crop)) return zoom;
      }
    }
  }
  return null;
}

export function oraclePlan(sample: Sample, seed: number, mix: OracleMix = DEFAULT_MIX): OraclePlan {
  const rng = createRng(seed);
  const size = { width: sample.scene.width, height: sample.scene.height };
  const full = pixelBox(0, 0, size.width, size.height);
  const target = targetsBox(sample);
  const region = regionName(target, size);
  const answerAt = (mix.answerViewPx ?? ANSWER_VIEW_PX)[sample.family];
  const areas = mix.countAreas ?? 'thirds';
  const scan = sample.family === 'count' ? { areas, ofTargets: sample.targets.map((t) => scanArea(t, size, areas)) } : undefined;
  const direct = (): OraclePlan => ({ kind: 'direct', answer: sample.answer, turns: [{ thought: readingThought(rng, sample, false, scan), zoom: null, imitate: true }], scan });
  if (scan && areas === 'view' && mix.countCloser !== undefined) return closerCountPlan(rng, sample, scan, mix.countCloser, size) ?? direct();
  if (answerAt === undefined) return direct();
  const forceZoom = rng.chance(mix.zoomResolvable);
  if (viewPx(target, full) >= answerAt && !forceZoom) return direct();
  if (mix.zoomWhenNeeded < 1 && !forceZoom && !rng.chance(mix.zoomWhenNeeded)) {
    const guess = rng.pick([`${cap(sample.subject)} is small here, but I answer from this view.`, `I will answer without a closer look.`]);
    return { kind: 'direct', answer: sample.answer, turns: [{ thought: guess, zoom: null, imitate: true }] };
  }

  const turns: OracleTurn[] = [];
  let frame = full;
  let kind: OracleKind = 'zoom';
  // a deliberate miss first: a box of the size the first zoom would have, away from the target,
  // announced as confidently as any first zoom. Only the crop may tell the model it missed: with
  // a thought of its own (before commit fafddeb), the model learnt to say "missed" after that
  // thought and never looked; on its own misses it always said the crop showed the target.
  const first = zoomOn(rng, target, full, 'view', size);
  const missSide = first && rng.chance(mix.recover) ? sideOf(first.zoom.crop) : null;
  // no draw when decoy is omitted, so earlier recipes' plans stay as they were
  const decoy = missSide !== null && (mix.decoy ?? 0) > 0 && rng.chance(mix.decoy!) ? decoyBox(rng, sample, missSide, size) : null;
  const miss = missSide === null ? null : decoy ?? missBox(rng, sample, missSide, size);
  if (miss) {
    turns.push({ thought: firstZoomThought(rng, sample, regionName(miss.crop, size), first!.wide), zoom: miss, imitate: false });
    kind = 'recover';
  }
  for (let zooms = 0; zooms < 3 && (viewPx(target, frame) < answerAt || (forceZoom && frame === full)); zooms++) {
    const fromFull = frame === full;
    const next = zoomOn(rng, target, frame, fromFull ? 'view' : 'crop', size);
    if (!next) break; // cannot be framed any tighter (image edge, minimum crop): answer from here
    const thought = miss && fromFull ? missThought(rng, sample, region) : fromFull ? firstZoomThought(rng, sample, region, next.wide) : closerThought(rng, sample);
    turns.push({ thought, zoom: next.zoom, imitate: true });
    if (!fromFull && kind === 'zoom') kind = 'coarse';
    frame = next.zoom.crop;
  }
  if (turns.length === 0) return direct();
  turns.push({ thought: readingThought(rng, sample, true), zoom: null, imitate: true });
  return { kind, answer: sample.answer, turns };
}
