/** Reading `npm run eval` outputs (runs/eval/*.json, or gzipped as the shipped model's are under evals/). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { EpisodeRecord } from '../../src/rl/eval';
import type { BackgroundStyle, Family } from '../../src/world/types';

export interface EvaluationFile {
  readonly records: EpisodeRecord[];
  /** The world the episodes were drawn from (families and backgrounds absent in files older than 2026-12-02: all of them). */
  readonly world?: { readonly difficulty?: number | 'per-seed'; readonly families?: Family[]; readonly backgrounds?: BackgroundStyle[] };
}

/** One evaluation file (a `.gz` name is read gunzipped); exits with code 1 naming the file and the problem. */
export function readEvaluation(path: string): EvaluationFile {
  try {
    const bytes = readFileSync(path);
    const e = JSON.parse((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as Partial<EvaluationFile>;
    if (!Array.isArray(e.records)) throw new Error('no "records" array: is it an npm run eval output?');
    return e as EvaluationFile;
  } catch (e) {
    console.error(`${path}: ${(e as Error).message}`);
    process.exit(1);
  }
}
