/**
 * Evaluation of full agent episodes on world samples: accuracy per family, split by whether the
 * target is resolvable in the global view, tool use, format validity, turns, zoom quality.
 * Pure (no I/O, no UI): the Node CLI and the browser's Train tab share it.
 */
import { sampleImage } from '../agent/episode-image';
import { type AgentModel, type EpisodeOptions, runEpisode } from '../agent/loop';
import { type FramedReadings, readOnFramings } from '../agent/framings';
import { type Trajectory, zoomSteps } from '../agent/trajectory';
import { containsBox, intersectionOverUnion, unionBox } from '../world/boxes';
import type { CreateCanvas } from '../world/canvas';
import { firstRegionNamed, type RegionName, regionName, scanArea } from '../world/regions';
import type { Family, Sample } from '../world/types';
import { isCorrect } from './answer';

export interface EpisodeRecord {
  readonly id: string;
  readonly family: Family;
  readonly resolvable: boolean;
  readonly question: string;
  readonly truth: string;
  readonly answer: string | null;
  readonly correct: boolean;
  readonly zooms: number;
  readonly turns: number;
  readonly formatValid: boolean;
  readonly endReason: Trajectory['endReason'];
  /** First zoom box contains every target (null when the episode did not zoom). */
  readonly firstZoomHits: boolean | null;
  readonly firstZoomIoU: number | null;
  /** Each turn's thought, in order: what the model said it saw and meant to do. */
  readonly thoughts: readonly string[];
  /** Whether the first region the first thought names ("… in the upper left") holds a target; null when it names none. */
  readonly regionHits: boolean | null;
  /** The region each target lies in (absent in records written before 2026-12-01's count scan). */
  readonly targetRegions?: readonly RegionName[];
  /** A count's targets' `view` scan areas (src/world/regions.ts; absent before 2026-12-02 and for other families). */
  readonly viewAreas?: readonly RegionName[];
  readonly ms: number;
  /**
   * Read on several framings (src/agent/framings.ts): each reading's answer and zoom count, the
   * image as it is first. `answer` and `correct` are then the majority's; every other field
   * (zooms, turns, boxes, thoughts, format) describes the first reading, the one a viewer watches;
   * `ms` is all readings' time. Absent for a single reading.
   */
  readonly framings?: { readonly answers: readonly (string | null)[]; readonly zooms: readonly number[]; readonly votes: number };
}

export interface GroupStats {
  readonly n: number;
  readonly accuracy: number;
  readonly toolRate: number;
}

export interface EvalReport {
  readonly n: number;
  readonly accuracy: number;
  readonly toolRate: number;
  readonly formatValidity: number;
  readonly meanTurns: number;
  readonly msPerEpisode: number;
  /** Among episodes that zoomed: share whose first box contains the target(s), and the median IoU. */
  readonly firstZoomHitRate: number | null;
  readonly firstZoomMedianIoU: number | null;
  /** Among episodes whose first thought names a region: share where a target lies there. */
  readonly regionHitRate: number | null;
  readonly byFamily: Record<string, GroupStats>;
  /** "resolvable" / "unresolvable", overall and per family ("glyph/unresolvable"). */
  readonly bySplit: Record<string, GroupStats>;
}


function regionHits(targetRegions: readonly RegionName[], thought: string): boolean | null {
  const named = firstRegionNamed(thought);
  return named === null ? null : targetRegions.includes(named);
}

export function recordEpisode(sample: Sample, t: Trajectory): EpisodeRecord {
  const zooms = t.steps.filter((s) => s.kind === 'zoom');
  const first = zooms[0]?.box ?? null;
  const target = unionBox(sample.targets);
  const size = { width: sample.scene.width, height: sample.scene.height };
  const targetRegions = sample.targets.map((box) => regionName(box, size));
  return {
    id: sample.id, family: sample.family, resolvable: sample.resolvable, question: sample.question, truth: sample.answer,
    answer: t.answer, correct: isCorrect(t.answer, sample.answer), zooms: zooms.length, turns: t.steps.length,
    formatValid: t.formatValid, endReason: t.endReason,
    firstZoomHits: first ? containsBox(first, target) : null,
    firstZoomIoU: first ? intersectionOverUnion(first, target) : null,
    thoughts: t.steps.map((s) => s.thought),
    regionHits: regionHits(targetRegions, t.steps[0]?.thought ?? ''),
    targetRegions,
    ...(sample.family === 'count' ? { viewAreas: sample.targets.map((box) => scanArea(box, size, 'view')) } : {}),
    ms: t.totalMs,
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
/** Share of true among the non-null values; null when all are null. */
const rate = (xs: (boolean | null)[]) => {
  const known = xs.filter((x): x is boolean => x !== null);
  return known.length ? mean(known.map(Number)) : null;
};
const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (rs: EpisodeRecord[]): GroupStats => ({ n: rs.length, accuracy: mean(rs.map((r) => +r.correct)), toolRate: mean(rs.map((r) => +(r.zooms > 0))) });

export function summarize(records: EpisodeRecord[]): EvalReport {
  const group = (key: (r: EpisodeRecord) => string) => {
    const out: Record<string, GroupStats> = {};
    const keys = [...new Set(records.map(key))].sort();
    for (const k of keys) out[k] = stats(records.filter((r) => key(r) === k));
    return out;
  };
  const split = (r: EpisodeRecord) => (r.resolvable ? 'resolvable' : 'unresolvable');
  const zoomed = records.filter((r) => r.firstZoomHits !== null);
  return {
    n: records.length,
    accuracy: mean(records.map((r) => +r.correct)),
    toolRate: mean(records.map((r) => +(r.zooms > 0))),
    formatValidity: mean(records.map((r) => +r.formatValid)),
    meanTurns: mean(records.map((r) => r.turns)),
    msPerEpisode: mean(records.map((r) => r.ms)),
    firstZoomHitRate: rate(zoomed.map((r) => r.firstZoomHits)),
    firstZoomMedianIoU: median(zoomed.map((r) => r.firstZoomIoU!)),
    regionHitRate: rate(records.map((r) => r.regionHits)),
    byFamily: group((r) => r.family),
    bySplit: { ...group(split), ...group((r) => `${r.family}/${split(r)}`) },
  };
}

/**
 * Resolves after a macrotask. Loops over episodes await it between them: an episode's awaits all
 * settle as microtasks, and Node's @napi-rs/canvas frees the pixels each getImageData copies only
 * in finalizers that run after one (without it, 1000 episodes held ~10 GB, with three framings
 * each past 20 GB: bench/eval-memory.ts).
 */
export const afterMacrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A sample read on several framings (readOnFramings): the first reading's record, with the majority's answer. */
export function recordFramedEpisode(sample: Sample, read: FramedReadings): EpisodeRecord {
  const first = recordEpisode(sample, read.readings[0]);
  return {
    ...first, answer: read.answer, correct: isCorrect(read.answer, sample.answer), ms: read.totalMs,
    framings: { answers: read.readings.map((t) => t.answer), zooms: read.readings.map((t) => zoomSteps(t).length), votes: read.votes },
  };
}

/**
 * Runs one greedy (or sampled) episode per sample, or with `framings` > 1 one per framing and the
 * majority's answer; `onEpisode` sees each record as it lands.
 */
export async function evaluate(
  model: AgentModel, samples: Iterable<Sample>, createCanvas: CreateCanvas, options: EpisodeOptions,
  onEpisode?: (r: EpisodeRecord, index: number) => void, framings = 1,
): Promise<{ report: EvalReport; records: EpisodeRecord[] }> {
  const records: EpisodeRecord[] = [];
  for (const sample of samples) {
    if (options.signal?.aborted) break;
    const episodeOptions = { ...options, seed: sample.seed };
    const r = framings > 1
      ? recordFramedEpisode(sample, await readOnFramings(model, sampleImage(sample, createCanvas), sample.question, episodeOptions, { count: framings }))
      : recordEpisode(sample, await runEpisode(model, sampleImage(sample, createCanvas), sample.question, episodeOptions));
    records.push(r);
    onEpisode?.(r, records.length - 1);
    await afterMacrotask();
  }
  return { report: summarize(records), records };
}
