/**
 * npm run eval -- --model models/default --n 1000 --seed 1000000000 [--no-tool]
 *
 * Runs full agent episodes on world samples from seeds never used in training (training draws
 * seeds from 0 upward; evaluation defaults to 1e9 upward), prints a table and writes JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { useNodeBackend, type NodeBackend } from './lib/backend';
import { bandArg, cliArgs, formatDuration, listArg, numberArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS } from '../src/agent/loop';
import { MAX_FRAMINGS } from '../src/agent/framings';
import { evaluate, type EvalReport, type GroupStats } from '../src/rl/eval';
import { isCorrect, normalizeAnswer } from '../src/rl/answer';
import { generateSample } from '../src/world/generate';
import { EVAL_SEED, HELD_OUT_TARGET_VIEW, inTargetBand, seedDifficulty } from '../src/world/seeds';
import { createNodeCanvas } from '../src/world/node-canvas';
import { BACKGROUND_STYLES, FAMILIES, type BackgroundStyle, type Family, type WorldOptions } from '../src/world/types';


const args = cliArgs('npm run eval --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  n: { type: 'string', default: '200', help: 'episodes' },
  seed: { type: 'string', default: String(EVAL_SEED), help: 'first sample seed (training uses seeds below 1e9)' },
  'no-tool': { type: 'boolean', default: false, help: 'disable the zoom tool (the model must answer from the global view)' },
  'max-turns': { type: 'string', default: '10', help: 'turn limit per episode' },
  temperature: { type: 'string', default: '0', help: 'sampling temperature (0 = greedy)' },
  difficulty: { type: 'string', help: 'world difficulty 0..1 (default: drawn per sample)' },
  families: { type: 'string', help: `comma-separated subset of ${FAMILIES.join(',')}` },
  backgrounds: { type: 'string', help: `comma-separated subset of ${BACKGROUND_STYLES.join(',')} (e.g. the held-out style)` },
  'target-view': { type: 'string', help: `only samples with a target spanning LO,HI view px (the held-out size split: ${HELD_OUT_TARGET_VIEW.join(',')}); seeds outside it are skipped` },
  framings: { type: 'string', default: '1', help: `read each question on up to this many framings (1–${MAX_FRAMINGS}: the image as it is, then shifted on a black margin) until one answer leads by two, and answer by majority, as the playground does (src/agent/framings.ts)` },
  backend: { type: 'string', default: 'wasm', help: 'wasm or cpu' },
  json: { type: 'string', help: 'output JSON path (default runs/eval/<model>-<seed>-<n>[-notool][-f<framings>].json)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});

const n = numberArg('n', args.n, 1);
const framings = numberArg('framings', args.framings, 1, MAX_FRAMINGS);
if (!Number.isInteger(framings)) {
  console.error(`--framings: a whole number from 1 to ${MAX_FRAMINGS} (got ${args.framings})`);
  process.exit(2);
}
const seed = numberArg('seed', args.seed, 0);
const families = listArg<Family>('families', args.families, FAMILIES);
const backgrounds = listArg<BackgroundStyle>('backgrounds', args.backgrounds, BACKGROUND_STYLES);
const fixedDifficulty = args.difficulty !== undefined ? numberArg('difficulty', args.difficulty, 0, 1) : undefined;

await useNodeBackend(args.backend as NodeBackend);
const model = await loadSquintModel(nodeFileReader(args.model));

const targetBand = bandArg('target-view', args['target-view']);

/** n samples from consecutive seeds (those in the target band only, when one is given). */
function* samples() {
  for (let s = seed, found = 0; found < n; s++) {
    // difficulty varies over the set unless fixed, deterministically from the seed
    const world: WorldOptions = { families, backgrounds, difficulty: fixedDifficulty ?? seedDifficulty(s) };
    const sample = generateSample(s, world);
    if (targetBand && !inTargetBand(sample, targetBand)) continue;
    found++;
    yield sample;
  }
}

const options = {
  ...DEFAULT_EPISODE_OPTIONS,
  maxTurns: numberArg('max-turns', args['max-turns'], 1, 50),
  toolEnabled: !args['no-tool'],
  sampling: { temperature: numberArg('temperature', args.temperature, 0, 10), topP: 1 },
};
const started = performance.now();
const { report, records } = await evaluate(model, samples(), createNodeCanvas, options, (_record, i) => {
  if ((i + 1) % 25 === 0 || i + 1 === n) {
    const elapsed = performance.now() - started;
    process.stdout.write(`\r${i + 1}/${n} episodes  ${formatDuration(elapsed)} elapsed  ETA ${formatDuration((elapsed / (i + 1)) * (n - i - 1))}   `);
  }
}, framings);
process.stdout.write('\n');

const pct = (x: number | null) => (x === null ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
const row = (name: string, g: GroupStats) => `${name.padEnd(24)} ${String(g.n).padStart(5)}  ${pct(g.accuracy)}  ${pct(g.toolRate)}`;
function print(r: EvalReport) {
  console.log(`\nmodel ${args.model}  tool ${options.toolEnabled ? 'on' : 'OFF'}${framings > 1 ? `  up to ${framings} framings (answer by majority)` : ''}  ${targetBand ? `seeds from ${seed} with a target of ${targetBand[0]}–${targetBand[1]} view px` : `seeds ${seed}..${seed + n - 1}`}`);
  console.log(`${'group'.padEnd(24)} ${'n'.padStart(5)}  ${'acc'.padStart(6)}  ${'tool'.padStart(6)}`);
  console.log(row('overall', { n: r.n, accuracy: r.accuracy, toolRate: r.toolRate }));
  for (const [k, g] of Object.entries(r.byFamily)) console.log(row(k, g));
  for (const [k, g] of Object.entries(r.bySplit)) console.log(row(k, g));
  console.log(`format validity ${pct(r.formatValidity)}  mean turns ${r.meanTurns.toFixed(2)}  ms/episode ${r.msPerEpisode.toFixed(0)}`);
  console.log(`first zoom contains target ${pct(r.firstZoomHitRate)}  median IoU ${r.firstZoomMedianIoU?.toFixed(3) ?? '-'}`);
  console.log(`first region the first thought names holds a target ${pct(r.regionHitRate)}`);
}
print(report);
if (framings > 1) {
  // how the majority differs from the first reading alone (every other line above describes that reading)
  const firstRight = records.filter((r) => isCorrect(r.framings!.answers[0], r.truth)).length;
  const changed = records.filter((r) => normalizeAnswer(r.answer ?? '') !== normalizeAnswer(r.framings!.answers[0] ?? ''));
  console.log(`up to ${framings} framings, answer by majority: the first reading alone right in ${firstRight} of ${records.length} (${pct(firstRight / records.length)}); the majority changed ${changed.length} answers, ${changed.filter((r) => r.correct).length} to right and ${changed.filter((r) => isCorrect(r.framings!.answers[0], r.truth)).length} to wrong; all readings agree in ${records.filter((r) => r.framings!.votes === r.framings!.answers.length).length}; ${records.filter((r) => r.framings!.answers.length < framings).length} settled before the last reading; ${(records.reduce((k, r) => k + r.framings!.answers.length, 0) / records.length).toFixed(2)} readings a question`);
}

const out = args.json ?? `runs/eval/${basename(args.model)}-${seed}-${n}${options.toolEnabled ? '' : '-notool'}${framings > 1 ? `-f${framings}` : ''}.json`;
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed, n, options: { ...options, signal: undefined, framings }, world: { families, backgrounds, difficulty: fixedDifficulty ?? 'per-seed', targetView: targetBand }, report, records }, null, 2));
console.log(`wrote ${out}`);
