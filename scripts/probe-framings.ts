/**
 * npm run probe:framings -- --model models/default --n 1000 [--framings 5] [--families count] [--seed 1000000000]
 *
 * Do readings on shifted framings err independently? Each held-out question (the seeds `npm run
 * eval` uses, so the same episodes as its test set) is read on every one of the first `--framings`
 * (default 3) framings the playground uses (src/agent/framings.ts: the image as it is, then on a
 * black margin at the left and top, at the right and bottom, at the left and bottom, at the right
 * and top), greedily. Per family and split: each reading's accuracy, the
 * majority's, how often at least one reading is right (what a perfect chooser could reach), and
 * two other choosers: the reading surest of its answer (the highest log-probability of its answer
 * tokens), and the answer with the most probability summed over the readings that give it.
 * Writes runs/eval/<model>-framings<N>-<seed>-<n>.json, with each question's answers, so that
 * other reading plans can be scored on them afterwards.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { useNodeBackend } from './lib/backend';
import { cliArgs, listArg, modelName, numberArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS } from '../src/agent/loop';
import { MAX_FRAMINGS, readOnFramings } from '../src/agent/framings';
import { sampleImage } from '../src/agent/episode-image';
import { isCorrect, normalizeAnswer } from '../src/rl/answer';
import { afterMacrotask } from '../src/rl/eval';
import type { Trajectory } from '../src/agent/trajectory';
import { generateSample } from '../src/world/generate';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';
import { createNodeCanvas } from '../src/world/node-canvas';
import { BACKGROUND_STYLES, FAMILIES, type Family } from '../src/world/types';

const args = cliArgs('npm run probe:framings --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  n: { type: 'string', default: '1000', help: 'seeds to draw from (questions of other families are skipped)' },
  seed: { type: 'string', default: String(EVAL_SEED), help: 'first sample seed (the test set of npm run eval)' },
  framings: { type: 'string', default: '3', help: `framings to read each question on, 1 to ${MAX_FRAMINGS} (src/agent/framings.ts)` },
  families: { type: 'string', help: `families to read (default all: ${FAMILIES.join(',')})` },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);
const framingCount = numberArg('framings', args.framings, 1, MAX_FRAMINGS);
const families = listArg<Family>('families', args.families, FAMILIES) ?? [...FAMILIES];
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));

interface Tally { n: number; readings: number[]; majority: number; any: number; surest: number; weighted: number }
const tallies: Record<string, Tally> = {};
const add = (key: string, right: boolean[], majority: boolean, surest: boolean, weighted: boolean) => {
  const t = (tallies[key] ??= { n: 0, readings: Array<number>(framingCount).fill(0), majority: 0, any: 0, surest: 0, weighted: 0 });
  t.n++;
  right.forEach((r, i) => (t.readings[i] += r ? 1 : 0));
  if (majority) t.majority++;
  if (right.some(Boolean)) t.any++;
  if (surest) t.surest++;
  if (weighted) t.weighted++;
};
const answerId = model.tokenizer.special('<answer>');
const answerEndId = model.tokenizer.special('</answer>');
/** The log-probability the model gave its answer's own tokens (between <answer> and </answer>); -Infinity without one. */
function answerLogprob(t: Trajectory): number {
  const { ids, logprobs, modelMask } = t.sequence;
  const start = ids.lastIndexOf(answerId);
  if (start < 0 || !modelMask[start]) return -Infinity;
  let sum = 0;
  for (let i = start + 1; i < ids.length && ids[i] !== answerEndId; i++) if (modelMask[i]) sum += logprobs[i];
  return sum;
}
/** Each question's readings, so that choosers over any subset of framings can be scored afterwards. */
const records: { seed: number; family: Family; resolvable: boolean; truth: string; answers: (string | null)[] }[] = [];
for (let seed = firstSeed; seed < firstSeed + n; seed++) {
  // all families drawn as the test set draws them, so the questions are the test set's own
  const sample = generateSample(seed, { families: [...FAMILIES], backgrounds: [...BACKGROUND_STYLES], difficulty: seedDifficulty(seed) });
  if (!families.includes(sample.family)) continue;
  const read = await readOnFramings(model, sampleImage(sample, createNodeCanvas), sample.question, { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 10, seed: sample.seed }, { count: framingCount, everyFraming: true });
  records.push({ seed, family: sample.family, resolvable: sample.resolvable, truth: sample.answer, answers: read.readings.map((t) => t.answer) });
  const right = read.readings.map((t) => isCorrect(t.answer, sample.answer));
  const majority = isCorrect(read.answer, sample.answer);
  // two other ways to choose: the reading surest of its answer, and the answer with the most probability summed over readings
  const confidence = read.readings.map(answerLogprob);
  const surest = right[confidence.indexOf(Math.max(...confidence))] ?? false;
  const mass = new Map<string, number>();
  read.readings.forEach((t, i) => t.answer !== null && mass.set(normalizeAnswer(t.answer), (mass.get(normalizeAnswer(t.answer)) ?? 0) + Math.exp(confidence[i])));
  const heaviest = [...mass.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const weighted = isCorrect(heaviest, sample.answer);
  for (const key of ['all', sample.family, `${sample.family}/${sample.resolvable ? 'resolvable' : 'unresolvable'}`]) add(key, right, majority, surest, weighted);
  await afterMacrotask();
}
const pct = (k: number, of: number) => `${((100 * k) / of).toFixed(1).padStart(5)}%`;
console.log(`\n${args.model}: seeds ${firstSeed}..${firstSeed + n - 1}, ${framingCount} framings each (greedy)`);
const readingHeads = ['as is', 'left+top', 'right+bottom', 'left+bottom', 'right+top'].slice(0, framingCount);
console.log(`${'group'.padEnd(22)} ${'n'.padStart(5)}  ${readingHeads.map((h) => h.padStart(12)).join('  ')}  ${'majority'.padStart(8)}  ${'any'.padStart(6)}  ${'surest'.padStart(6)}  ${'weighted'.padStart(8)}`);
for (const [key, t] of Object.entries(tallies).sort(([a], [b]) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)))) {
  console.log(`${key.padEnd(22)} ${String(t.n).padStart(5)}  ${t.readings.map((k) => pct(k, t.n).padStart(12)).join('  ')}  ${pct(t.majority, t.n).padStart(8)}  ${pct(t.any, t.n)}  ${pct(t.surest, t.n)}  ${pct(t.weighted, t.n).padStart(8)}`);
}
const out = `runs/eval/${modelName(args.model)}-framings${framingCount}-${firstSeed}-${n}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed: firstSeed, n, framings: framingCount, families, tallies, records }));
console.log(`wrote ${out}`);
