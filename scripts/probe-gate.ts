/**
 * npm run probe:gate -- --model runs/gate60/checkpoint [--n 40] [--seed 950100]
 *
 * Where does a countGate model's gate open? Teacher-forced on oracle sequences of each family
 * (the training distribution, count scans over the view's areas), it reads the gate at the
 * positions that write a count scan's number and at every other position the model writes, and
 * reports per family the mean gate and how often it is past 0.5. The gate lets the fine sum and
 * the ladder in: it should be open at the scan's numbers and shut everywhere else.
 * Writes runs/eval/<model>-gate.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '../src/model/tf';
import { useNodeBackend } from './lib/backend';
import { cliArgs, modelName, numberArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { disposeBatch, makeBatch } from '../src/train/batch';
import { makeExample } from '../src/train/data';
import { DEFAULT_MIX } from '../src/train/oracle';
import { FAMILIES } from '../src/world/types';
import { createNodeCanvas } from '../src/world/node-canvas';

const args = cliArgs('npm run probe:gate --', {
  model: { type: 'string', default: 'models/default', help: 'model or checkpoint directory (a countGate model)' },
  n: { type: 'string', default: '40', help: 'scenes per family' },
  seed: { type: 'string', default: '950100', help: 'first training-distribution seed (probes use 950 000–950 199)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const scenes = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
if (!model.config.countGate) {
  console.error(`${args.model}: the ${model.config.preset} preset has no count gate`);
  process.exit(2);
}

/** Gate values at one kind of position. */
const summary = (values: readonly number[]) => ({
  positions: values.length,
  mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
  open: values.length ? values.filter((g) => g > 0.5).length / values.length : null,
});
const rows = [];
for (const family of FAMILIES) {
  const atScan: number[] = [];
  const elsewhere: number[] = [];
  for (let seed = firstSeed; seed < firstSeed + scenes; seed++) {
    const { sequence } = makeExample(model, seed, createNodeCanvas, { families: [family] }, { ...DEFAULT_MIX, countAreas: 'view' });
    const batch = makeBatch([sequence], model.vlm.imageTokenId, model.tokensPerImage, model.tokenizer.special('<pad>'), model.patchShape);
    const gate = tf.tidy(() => model.vlm.forwardWithFeatures(batch).gate!.reshape([-1]).arraySync() as number[]);
    disposeBatch(batch);
    const scan = new Set(sequence.grounding.filter((g) => g.kind === 'count').map((g) => g.query));
    // the position before each trained token is the one that writes it
    sequence.weights.forEach((w, t) => {
      if (w > 0 && t > 0) (scan.has(t - 1) ? atScan : elsewhere).push(gate[t - 1]);
    });
  }
  rows.push({ family, scanNumbers: summary(atScan), otherWrittenTokens: summary(elsewhere) });
}
const pct = (v: number | null) => (v === null ? '   -  ' : `${(100 * v).toFixed(1).padStart(5)}%`);
console.log(`model ${args.model}, ${scenes} scenes a family: gate mean (share > 0.5)`);
for (const r of rows) {
  console.log(`${r.family.padEnd(9)} scan numbers ${String(r.scanNumbers.positions).padStart(4)}: ${r.scanNumbers.mean?.toFixed(3) ?? '  -  '} (${pct(r.scanNumbers.open)})   other written tokens ${String(r.otherWrittenTokens.positions).padStart(5)}: ${r.otherWrittenTokens.mean!.toFixed(3)} (${pct(r.otherWrittenTokens.open)})`);
}
await mkdir('runs/eval', { recursive: true });
const out = `runs/eval/${modelName(args.model)}-gate.json`;
await writeFile(out, JSON.stringify({ model: args.model, scenes, firstSeed, rows }, null, 2));
console.log(`wrote ${out}`);
