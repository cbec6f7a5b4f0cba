/**
 * Oracle trajectories from world ground truth: what a good agent would think, where it would
 * zoom, and what it would answer. SFT trains on these. Four kinds:
 *   direct    — the target is resolvable in the global view: think, answer
 *   zoom      — think, zoom on the target, read the crop, answer
 *   recover   — the first box misses the target; say so, zoom on it, answer
 *   coarse    — zoom on a wide region first, then closer on the target, answer
 * Thoughts are drawn from paraphrase templates so the wording varies.
 */
import { type PixelBox, type Size, type ViewBox, boxHeight, boxWidth, clampToImage, pixelBox, pixelToView, viewToPixel } from '../world/boxes';
import { createRng, type Rng } from '../world/rng';
import type { Sample } from '../world/types';
import { viewPixels } from '../world/resolvability';
import { MIN_CROP_SIDE } from '../agent/crop';

export type OracleKind = 'direct' | 'zoom' | 'recover' | 'coarse';

export interface OracleTurn {
  readonly thought: string;
  /** A zoom on this box (Squint grid), or null when the turn answers. */
  readonly zoom: ViewBox | null;
}

export interface OraclePlan {
  readonly kind: OracleKind;
  readonly turns: readonly OracleTurn[];
  readonly answer: string;
}

export interface OracleMix {
  /** Probability of each trajectory kind for samples whose target needs a zoom. */
  readonly recover: number;
  readonly coarse: number;
  /** Probability of zooming anyway on a resolvable target (keeps the tool familiar). */
  readonly zoomResolvable: number;
}

export const DEFAULT_MIX: OracleMix = { recover: 0.15, coarse: 0.15, zoomResolvable: 0.05 };

/**
 * Glyph and shape targets are answered without a zoom only when they are clearly large in the
 * view (view px). Between the world's resolvability threshold and these, the oracle still zooms:
 * a margin that keeps the zoom decision from hinging on a size judgement at the edge.
 */
const DIRECT_VIEW_PX: Partial<Record<Sample['family'], number>> = { glyph: 24, shape: 12 };

function regionName(cx: number, cy: number, size: Size): string {
  const col = cx < size.width / 3 ? 0 : cx < (2 * size.width) / 3 ? 1 : 2;
  const row = cy < size.height / 3 ? 0 : cy < (2 * size.height) / 3 ? 1 : 2;
  return [
    ['the upper left', 'the top', 'the upper right'],
    ['the left', 'the centre', 'the right'],
    ['the lower left', 'the bottom', 'the lower right'],
  ][row][col];
}

/** What the crop shows, phrased per family (the thought before the answer). */
function readingThought(rng: Rng, sample: Sample, zoomed: boolean): string {
  const s = sample.subject;
  const a = sample.answer;
  const now = zoomed ? rng.pick(['Now I can see it clearly', 'The crop shows it clearly', 'In the crop it is easy to see', 'Zoomed in, it is clear']) : rng.pick(['I can see it in the image', 'It is large enough to see here', 'The image shows it clearly']);
  switch (sample.family) {
    case 'glyph':
      return `${now}: ${s} has ${rng.pick(['the character', 'the symbol', ''])} ${a} on it.`.replace('  ', ' ');
    case 'shape':
      return `${now}: ${s} is a ${a}.`;
    case 'colour':
      return `${now}: ${s} is ${a}.`;
    case 'relation':
      return `${now}: ${s.split(' and ')[0] ?? s} is ${a === 'left' || a === 'right' ? `to the ${a} of` : a} the other one.`;
    case 'count':
      return `${now}: I count ${a} of them.`;
  }
}

function needThought(rng: Rng, sample: Sample, region: string): string {
  const s = sample.subject;
  const what = { glyph: 'read what is written on it', shape: 'tell its shape', colour: 'tell its colour', relation: 'compare them', count: 'count them' }[sample.family];
  return rng.pick([
    `I can find ${s} in ${region}, but it is too small to ${what}. I will zoom in on it.`,
    `${cap(s)} is in ${region}. It is too small here, so I zoom in to ${what}.`,
    `To ${what}, I need a closer look at ${s} in ${region}.`,
  ]);
}

const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** A zoom box around `target`: `factor`× its size, jittered, at least MIN_CROP_SIDE + margin. */
function boxAround(rng: Rng, target: PixelBox, size: Size, factor: number): PixelBox {
  const cx = (target[0] + target[2]) / 2 + rng.float(-0.15, 0.15) * boxWidth(target);
  const cy = (target[1] + target[3]) / 2 + rng.float(-0.15, 0.15) * boxHeight(target);
  const side = Math.max(MIN_CROP_SIDE + 12, Math.max(boxWidth(target), boxHeight(target)) * factor);
  const b = pixelBox(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2);
  return clampToImage(b, size) ?? b;
}

/** A box of similar size away from every target (for recovery trajectories), or null if none fits. */
function boxAway(rng: Rng, sample: Sample, size: Size, side: number): PixelBox | null {
  for (let tries = 0; tries < 50; tries++) {
    const cx = rng.float(side / 2, Math.max(side / 2 + 1, size.width - side / 2));
    const cy = rng.float(side / 2, Math.max(side / 2 + 1, size.height - side / 2));
    const b = pixelBox(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2);
    const overlaps = sample.targets.some((t) => !(b[2] < t[0] || b[0] > t[2] || b[3] < t[1] || b[1] > t[3]));
    if (!overlaps) return clampToImage(b, size);
  }
  return null;
}

/** The grid box the model writes, widened by one unit when rounding made it too small to crop. */
function toGrid(box: PixelBox, size: Size): ViewBox {
  let v = pixelToView(box, size);
  for (let i = 0; i < 5; i++) {
    const px = viewToPixel(v, size);
    const clamped = clampToImage(px, size);
    if (clamped && boxWidth(clamped) > MIN_CROP_SIDE + 1 && boxHeight(clamped) > MIN_CROP_SIDE + 1) break;
    v = pixelToView(pixelBox(px[0] - 8, px[1] - 8, px[2] + 8, px[3] + 8), size);
  }
  return v;
}

/** Union box of all targets. */
function targetsBox(sample: Sample): PixelBox {
  const t = sample.targets;
  return pixelBox(Math.min(...t.map((b) => b[0])), Math.min(...t.map((b) => b[1])), Math.max(...t.map((b) => b[2])), Math.max(...t.map((b) => b[3])));
}

export function oraclePlan(sample: Sample, seed: number, mix: OracleMix = DEFAULT_MIX): OraclePlan {
  const rng = createRng(seed);
  const size = { width: sample.scene.width, height: sample.scene.height };
  const target = targetsBox(sample);
  const region = regionName((target[0] + target[2]) / 2, (target[1] + target[3]) / 2, size);
  const zoomable = sample.family === 'glyph' || sample.family === 'shape';
  const targetViewPx = Math.max(...sample.targets.map((t) => viewPixels(Math.max(boxWidth(t), boxHeight(t)), size)));
  const clearlyLarge = targetViewPx >= (DIRECT_VIEW_PX[sample.family] ?? 0);
  const needsZoom = !sample.resolvable || !clearlyLarge || (zoomable && rng.chance(mix.zoomResolvable));
  if (!needsZoom) {
    return { kind: 'direct', answer: sample.answer, turns: [{ thought: readingThought(rng, sample, false), zoom: null }] };
  }
  const tight = toGrid(boxAround(rng, target, size, rng.float(1.5, 2.4)), size);
  const answerTurn: OracleTurn = { thought: readingThought(rng, sample, true), zoom: null };
  const r = rng.next();
  const side = Math.max(MIN_CROP_SIDE + 12, boxWidth(viewToPixel(tight, size)) * rng.float(1, 2));
  const away = r < mix.recover ? boxAway(rng, sample, size, side) : null;
  const miss = away ? toGrid(away, size) : null;
  // the grid rounding may widen the box onto the target: then it is no miss
  const missPx = miss ? clampToImage(viewToPixel(miss, size), size) : null;
  if (miss && missPx && sample.targets.every((t) => missPx[2] <= t[0] || missPx[0] >= t[2] || missPx[3] <= t[1] || missPx[1] >= t[3])) {
    return {
      kind: 'recover', answer: sample.answer,
      turns: [
        { thought: needThought(rng, sample, region), zoom: miss },
        { thought: rng.pick([
          `${cap(sample.subject)} is not in this crop. It is in ${region}; I will zoom there instead.`,
          `This crop missed ${sample.subject}. I look again in ${region}.`,
          `I do not see ${sample.subject} here, so I zoom on ${region} instead.`,
        ]), zoom: tight },
        answerTurn,
      ],
    };
  }
  const wideFactor = rng.float(4, 7);
  if (r < mix.recover + mix.coarse && boxWidth(viewToPixel(tight, size)) * wideFactor < Math.min(size.width, size.height)) {
    const wide = toGrid(boxAround(rng, target, size, wideFactor * 1.0), size);
    return {
      kind: 'coarse', answer: sample.answer,
      turns: [
        { thought: rng.pick([
          `${cap(sample.subject)} is somewhere in ${region}. I will first zoom on that area.`,
          `First I take a wider look at ${region}, where ${sample.subject} is.`,
        ]), zoom: wide },
        { thought: rng.pick([
          `I see ${sample.subject} now, but it is still small. I zoom closer.`,
          `There it is. It is still too small, so I zoom in further.`,
        ]), zoom: tight },
        answerTurn,
      ],
    };
  }
  return { kind: 'zoom', answer: sample.answer, turns: [{ thought: needThought(rng, sample, region), zoom: tight }, answerTurn] };
}
