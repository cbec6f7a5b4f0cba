/**
 * npx tsx bench/settled-readings.ts [--n 100] [--quick]
 *
 * What stopping at a settled majority saves (src/agent/framings.ts): each test-set question is
 * read on three framings twice in this one process, once reading every framing and once stopping
 * when two readings agree, alternating which goes first. Reports the readings each took, the time
 * ratio, and how many answers differ (none may: a settled majority is final).
 */
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS } from '../src/agent/loop';
import { readOnFramings } from '../src/agent/framings';
import { sampleImage } from '../src/agent/episode-image';
import { afterMacrotask } from '../src/rl/eval';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';
import { numberFlag, quick, table, useBackend, writeResult } from './lib';

const N = numberFlag('n', quick ? 20 : 100);
await useBackend('wasm');
const model = await loadSquintModel(nodeFileReader('models/default'));

type Mode = 'every' | 'settled';
const totals: Record<Mode, { readings: number; ms: number }> = { every: { readings: 0, ms: 0 }, settled: { readings: 0, ms: 0 } };
let differ = 0;
for (let i = 0; i < N; i++) {
  const seed = EVAL_SEED + i;
  const sample = generateSample(seed, { difficulty: seedDifficulty(seed) });
  const answers = new Map<Mode, string | null>();
  // alternate which mode goes first, so neither always runs on a warmer cache
  for (const mode of (i % 2 === 0 ? ['every', 'settled'] : ['settled', 'every']) as Mode[]) {
    const started = performance.now();
    const read = await readOnFramings(model, sampleImage(sample, createNodeCanvas), sample.question, { ...DEFAULT_EPISODE_OPTIONS, seed }, { count: 3, everyFraming: mode === 'every' });
    totals[mode].ms += performance.now() - started;
    totals[mode].readings += read.readings.length;
    answers.set(mode, read.answer);
    await afterMacrotask();
  }
  if (answers.get('every') !== answers.get('settled')) differ++;
}

const per = (x: number) => Math.round((x / N) * 100) / 100;
console.log(table([
  ['', 'readings per question', 'ms per question'],
  ['every framing', per(totals.every.readings), Math.round(totals.every.ms / N)],
  ['until settled', per(totals.settled.readings), Math.round(totals.settled.ms / N)],
]));
const timeRatio = totals.settled.ms / totals.every.ms;
console.log(`time ratio, until settled ÷ every framing: ${timeRatio.toFixed(3)}; answers that differ: ${differ} of ${N}`);
await writeResult('settled-readings', {
  questions: N, framings: 3,
  readingsPerQuestion: { every: per(totals.every.readings), settled: per(totals.settled.readings) },
  msPerQuestion: { every: Math.round(totals.every.ms / N), settled: Math.round(totals.settled.ms / N) },
  timeRatio: Math.round(timeRatio * 1000) / 1000, answersThatDiffer: differ,
});
