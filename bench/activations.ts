/**
 * npx tsx bench/activations.ts [--backends wasm,cpu]
 *
 * GELU's cost on each backend: the tanh form 0.5·x·(1 + tanh(u)) against the identical sigmoid
 * form x·σ(2u) that src/model/ops.ts uses, forward only, on one decoder MLP's hidden activations
 * of an SFT batch ([16, 113, 384]). WASM's Tanh kernel is scalar, its Sigmoid vectorised.
 * Reports median ms of each, their ratio within the run, and the largest difference.
 */
import * as tf from '../src/model/tf';
import { backendsArg, median, round, table, useBackend, writeResult } from './lib';

const SHAPE = [16, 113, 384];
const REPS = 15;
const tanhForm = (x: tf.Tensor, u: tf.Tensor) => x.mul(0.5).mul(tf.tanh(u).add(1));
const sigmoidForm = (x: tf.Tensor, u: tf.Tensor) => x.mul(tf.sigmoid(u.mul(2)));

async function timeMs(f: () => tf.Tensor): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPS + 2; i++) {
    const t0 = performance.now();
    const r = tf.tidy(f);
    await r.data();
    r.dispose();
    if (i >= 2) times.push(performance.now() - t0);
  }
  return median(times);
}

const rows: (string | number)[][] = [['backend', 'tanh form ms', 'sigmoid form ms', 'speed-up', 'max |Δ|']];
const results: Record<string, object> = {};
for (const backend of backendsArg()) {
  await useBackend(backend);
  const x = tf.randomNormal(SHAPE, 0, 1.5, 'float32', 1);
  const u = tf.tidy(() => x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)));
  const tanhMs = await timeMs(() => tanhForm(x, u));
  const sigmoidMs = await timeMs(() => sigmoidForm(x, u));
  const diff = tf.tidy(() => tanhForm(x, u).sub(sigmoidForm(x, u)).abs().max());
  const maxDiff = (await diff.data())[0];
  tf.dispose([x, u, diff]);
  results[backend] = { tanhMs: round(tanhMs), sigmoidMs: round(sigmoidMs), speedUp: round(tanhMs / sigmoidMs), maxAbsDiff: maxDiff };
  rows.push([backend, round(tanhMs), round(sigmoidMs), `×${round(tanhMs / sigmoidMs)}`, maxDiff.toExponential(1)]);
}
console.log(table(rows));
await writeResult('activations', { method: `GELU forward on [${SHAPE}], median of ${REPS} after 2 warm-ups`, results });
