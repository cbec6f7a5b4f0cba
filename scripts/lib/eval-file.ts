/** Reading `npm run eval` outputs (runs/eval/*.json, or gzipped as the shipped model's are under evals/). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { EpisodeRecord } from '../../src/rl/eval';
import { generateSample } from '../../src/world/generate';
import { seedDifficulty } from '../../src/world/seeds';
import { BACKGROUND_STYLES, FAMILIES, type BackgroundStyle, type Family, type Sample } from '../../src/world/types';

export interface EvaluationFile {
  readonly records: EpisodeRecord[];
  /** The world the episodes were drawn from (families and backgrounds absent in files older than 2026-12-02: all of them). */
  readonly world?: { readonly difficulty?: number | 'per-seed'; readonly families?: Family[]; readonly backgrounds?: BackgroundStyle[] };
}

/**
 * A JSON file with a `records` array, as `npm run eval` and `probe:framings` write them (a `.gz`
 * name is read gunzipped); exits with code 1 naming the file and the problem.
 */
export function readRecordsFile<T>(path: string, writer = 'npm run eval'): { records: T[] } {
  try {
    const bytes = readFileSync(path);
    const e = JSON.parse((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as { records?: unknown };
    if (!Array.isArray(e.records)) throw new Error(`no "records" array: is it an ${writer} output?`);
    return e as { records: T[] };
  } catch (e) {
    console.error(`${path}: ${(e as Error).message}`);
    process.exit(1);
  }
}

/** One evaluation file (a `.gz` name is read gunzipped); exits with code 1 naming the file and the problem. */
export function readEvaluation(path: string): EvaluationFile {
  return readRecordsFile<EpisodeRecord>(path) as EvaluationFile;
}

/**
 * Each episode of an evaluation file with its sample made again from its seed and the
 * evaluation's world options. Exits with code 1 naming the first episode whose question or truth
 * comes out different (other world options, or a world changed since).
 */
export function* evaluatedSamples(path: string): Generator<{ record: EpisodeRecord; sample: Sample }> {
  const { records, world = {} } = readEvaluation(path);
  for (const record of records) {
    const seed = Number(record.id);
    const difficulty = world.difficulty === undefined || world.difficulty === 'per-seed' ? seedDifficulty(seed) : world.difficulty;
    const sample = generateSample(seed, { families: world.families ?? FAMILIES, backgrounds: world.backgrounds ?? BACKGROUND_STYLES, difficulty });
    if (sample.question !== record.question || sample.answer !== record.truth) {
      console.error(`${path}: episode ${record.id} does not come out as evaluated ("${record.question}" → ${record.truth}); were other world options used?`);
      process.exit(1);
    }
    yield { record, sample };
  }
}
