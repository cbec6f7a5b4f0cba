/**
 * npx tsx bench/settled-readings.ts [--n 100] [--quick]
 *
 * What the reading plans cost (src/agent/framings.ts): each test-set question is read in this one
 * process under every plan: once; up to three framings, every one read (the majority of three);
 * up to three until one answer leads by two; up to five until one answer leads by two (the
 * playground's default). The order of the plans rotates from question to question, so none always
 * runs on a warmer cache. Reports the readings and time each plan takes, time ratios to one
 * reading, and how many answers of "up to three" differ from the majority of all three (none may:
 * at most three, a lead of two is a settled majority).
 */
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS } from '../src/agent/loop';
import { MAX_FRAMINGS, type ReadingPlan, readOnFramings } from '../src/agent/framings';
import { sampleImage } from '../src/agent/episode-image';
import { afterMacrotask } from '../src/rl/eval';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';
import { numberFlag, quick, table, useBackend, writeResult } from './lib';

const N = numberFlag('n', quick ? 20 : 100);
await useBackend('wasm');
const model = await loadSquintModel(nodeFileReader('models/default'));

const PLANS = {
  once: { count: 1 },
  'every of 3': { count: 3, everyFraming: true },
  'up to 3': { count: 3 },
  [`up to ${MAX_FRAMINGS}`]: { count: MAX_FRAMINGS },
} satisfies Record<string, ReadingPlan>;
type PlanName = keyof typeof PLANS;
const names = Object.keys(PLANS) as PlanName[];
const totals = Object.fromEntries(names.map((name) => [name, { readings: 0, ms: 0 }])) as Record<PlanName, { readings: number; ms: number }>;
let differ = 0;
for (let i = 0; i < N; i++) {
  const seed = EVAL_SEED + i;
  const sample = generateSample(seed, { difficulty: seedDifficulty(seed) });
  const answers = new Map<PlanName, string | null>();
  for (let k = 0; k < names.length; k++) {
    const name = names[(i + k) % names.length]!;
    const started = performance.now();
    const read = await readOnFramings(model, sampleImage(sample, createNodeCanvas), sample.question, { ...DEFAULT_EPISODE_OPTIONS, seed }, PLANS[name]);
    totals[name].ms += performance.now() - started;
    totals[name].readings += read.readings.length;
    answers.set(name, read.answer);
    await afterMacrotask();
  }
  if (answers.get('every of 3') !== answers.get('up to 3')) differ++;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
const perQuestion = (name: PlanName) => ({ readings: round(totals[name].readings / N, 2), ms: Math.round(totals[name].ms / N) });
const ratio = (name: PlanName) => round(totals[name].ms / totals.once.ms, 3);
console.log(table([
  ['plan', 'readings per question', 'ms per question', 'time ÷ one reading'],
  ...names.map((name) => [name, perQuestion(name).readings, perQuestion(name).ms, ratio(name)]),
]));
console.log(`answers of "up to 3" that differ from the majority of all three: ${differ} of ${N}`);
await writeResult('settled-readings', {
  questions: N,
  plans: Object.fromEntries(names.map((name) => [name, { ...perQuestion(name), timeRatioToOnce: ratio(name) }])),
  answersThatDiffer: differ,
});
