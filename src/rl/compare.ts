/**
 * Comparisons of two evaluations of the same episodes (`npm run eval` records): the paired
 * difference in accuracy with its standard error, and how answers depend on the first zoom's aim.
 * Paired, because both models meet the same scenes: the error of a difference is then far smaller
 * than two independent accuracies suggest.
 */
import type { EpisodeRecord } from './eval';

type Outcome = Pick<EpisodeRecord, 'id' | 'correct'>;

export interface PairedDifference {
  readonly n: number;
  readonly accuracyA: number;
  readonly accuracyB: number;
  /** accuracyB − accuracyA. */
  readonly difference: number;
  /** Standard error of the mean of the per-episode differences (each −1, 0 or 1). */
  readonly standardError: number;
  /** Episodes B got right and A wrong, and the reverse: only these move the difference. */
  readonly wins: number;
  readonly losses: number;
}

/** @throws when the two lists are not the same episodes in the same order. */
export function pairedDifference(a: readonly Outcome[], b: readonly Outcome[]): PairedDifference {
  if (a.length !== b.length || a.some((r, i) => r.id !== b[i].id)) throw new Error('the two evaluations are not of the same episodes (ids differ): run both with the same --seed and --n');
  const n = a.length;
  if (n === 0) return { n, accuracyA: NaN, accuracyB: NaN, difference: NaN, standardError: NaN, wins: 0, losses: 0 };
  const d = a.map((r, i) => Number(b[i].correct) - Number(r.correct));
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const acc = (rs: readonly Outcome[]) => rs.filter((r) => r.correct).length / n;
  return {
    n, accuracyA: acc(a), accuracyB: acc(b), difference: mean, standardError: Math.sqrt(variance / n),
    wins: d.filter((x) => x > 0).length, losses: d.filter((x) => x < 0).length,
  };
}

export interface AimBreakdown {
  /** Episodes whose first zoom contained the target, and the share of them answered right. */
  readonly hit: { readonly n: number; readonly accuracy: number };
  readonly miss: { readonly n: number; readonly accuracy: number };
  readonly noZoom: { readonly n: number; readonly accuracy: number };
}

/** Accuracy split by whether the first zoom box contained the target. */
export function aimBreakdown(records: readonly Pick<EpisodeRecord, 'correct' | 'firstZoomHits'>[]): AimBreakdown {
  const part = (hits: boolean | null) => {
    const rs = records.filter((r) => r.firstZoomHits === hits);
    return { n: rs.length, accuracy: rs.length ? rs.filter((r) => r.correct).length / rs.length : NaN };
  };
  return { hit: part(true), miss: part(false), noZoom: part(null) };
}
