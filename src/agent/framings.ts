/**
 * Re-reading an image on shifted framings, and answering by majority (self-consistency).
 *
 * The model sees a 64-px view; an object whose centre lies within a pixel of a scan area's
 * border (every border is token-aligned) can be counted on both sides or on neither, and which it
 * is turns on a fraction of a pixel. Framed again on a black margin of FRAMING_MARGIN of the image's
 * longer side, the image shifts by about a third of a token (≈ 2.7 view px) and shrinks by 4%,
 * so such a centre lies well inside an area in the other framings. Read three times, the
 * framings' mistakes are mostly different ones (stage 85: counts 85.7% → 93.1% on the test set),
 * and the answer two of them agree on is taken. Black margins are what the letterbox already
 * draws around every non-square image, so the model has seen them in training. Once a majority is
 * settled the readings left are skipped: they could not change the answer.
 */
import { normalizeAnswer } from '../rl/answer';
import { context2d } from '../world/canvas';
import { type AgentModel, type EpisodeCallbacks, type EpisodeImage, type EpisodeOptions, runEpisode } from './loop';
import type { Trajectory } from './trajectory';

/** The margin a shifted framing adds, as a share of the image's longer side. */
export const FRAMING_MARGIN = 0.045;

/** Where a framing puts its margin: on the left and top, or the right and bottom (in px of the original). */
export interface Framing {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** The framings of an image of this size, the image as it is first; at most 3 (two shifted the opposite ways). */
export function framingsFor(size: { width: number; height: number }, count: number): Framing[] {
  if (!Number.isInteger(count) || count < 1 || count > 3) throw new Error(`framings must be 1, 2 or 3 (got ${count})`);
  const m = Math.max(1, Math.round(FRAMING_MARGIN * Math.max(size.width, size.height)));
  const all: Framing[] = [
    { left: 0, top: 0, right: 0, bottom: 0 },
    { left: m, top: m, right: 0, bottom: 0 },
    { left: 0, top: 0, right: m, bottom: m },
  ];
  return all.slice(0, count);
}

/** The image on a black canvas grown by the framing's margins (the image itself when it has none). */
export function framedImage(image: EpisodeImage, framing: Framing): EpisodeImage {
  const { left, top, right, bottom } = framing;
  if (left + top + right + bottom === 0) return image;
  const width = image.size.width + left + right;
  const height = image.size.height + top + bottom;
  const canvas = image.createCanvas(width, height);
  const ctx = context2d(canvas);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(image.canvas, 0, 0, image.size.width, image.size.height, left, top, image.size.width, image.size.height);
  return { size: { width, height }, canvas, createCanvas: image.createCanvas };
}

/**
 * The answer most readings give (compared normalised, as answers are scored); a tie goes to the
 * earliest reading among the tied (the image as it is comes first). Null when no reading answered.
 * @returns the index of the reading whose answer wins, and how many readings gave it.
 */
export function majorityAnswer(answers: readonly (string | null)[]): { index: number; votes: number } | null {
  const votes = new Map<string, { index: number; votes: number }>();
  answers.forEach((answer, index) => {
    if (answer === null) return;
    const key = normalizeAnswer(answer);
    const entry = votes.get(key) ?? { index, votes: 0 };
    votes.set(key, { ...entry, votes: entry.votes + 1 });
  });
  let best: { index: number; votes: number } | null = null;
  for (const entry of votes.values()) if (!best || entry.votes > best.votes || (entry.votes === best.votes && entry.index < best.index)) best = entry;
  return best;
}

/**
 * Whether the answers so far settle the majority of `count` readings: the leading answer has more
 * than half of them, so the readings left cannot outvote it (with three, two that agree; the first
 * two readings of v37 agree on 87% of the 4500 evaluation questions).
 */
export function majoritySettled(answers: readonly (string | null)[], count: number): boolean {
  const majority = majorityAnswer(answers);
  return majority !== null && majority.votes > count / 2;
}

/** How many framings to read on, and what to do as each reading ends. */
export interface ReadingPlan {
  /** 1–3 framings, the image as it is first. */
  readonly count: number;
  /** Read on every framing even once the majority is settled (probes that score each reading alone). */
  readonly everyFraming?: boolean;
  readonly onReading?: (index: number, reading: Trajectory) => void;
}

export interface FramedReadings {
  /** One trajectory per framing, the image as it is first. Crop boxes are in the framed image's px. */
  readonly readings: Trajectory[];
  readonly framings: Framing[];
  /** The majority's answer (null when no reading answered) and the reading that gave it first. */
  readonly answer: string | null;
  readonly chosen: number;
  readonly votes: number;
  /** All readings' time together. */
  readonly totalMs: number;
}

/**
 * Runs the episode on up to `plan.count` framings of the image, one after another until the
 * majority is settled (majoritySettled), and takes the majority's answer. Callbacks see the first
 * reading only (the one a viewer watches), `plan.onReading` each reading as it ends; a stop ends
 * the run after the reading in progress, with the readings so far.
 */
export async function readOnFramings(
  model: AgentModel, image: EpisodeImage, question: string, options: EpisodeOptions, plan: ReadingPlan, callbacks: EpisodeCallbacks = {},
): Promise<FramedReadings> {
  const framings = framingsFor(image.size, plan.count);
  const readings: Trajectory[] = [];
  for (const [i, framing] of framings.entries()) {
    if (i > 0 && options.signal?.aborted) break;
    if (!plan.everyFraming && majoritySettled(readings.map((t) => t.answer), plan.count)) break;
    readings.push(await runEpisode(model, framedImage(image, framing), question, options, i === 0 ? callbacks : {}));
    plan.onReading?.(i, readings[i]);
  }
  const majority = majorityAnswer(readings.map((t) => t.answer));
  return {
    readings, framings: framings.slice(0, readings.length), answer: majority ? readings[majority.index].answer : null,
    chosen: majority?.index ?? 0, votes: majority?.votes ?? 0, totalMs: readings.reduce((ms, t) => ms + t.totalMs, 0),
  };
}
