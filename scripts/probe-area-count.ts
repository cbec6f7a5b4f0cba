/**
 * npm run probe:area-count -- --model models/default [--train 400 --test 200]
 *
 * Can a count be read off the mean of an area's image tokens? The question behind stage 26
 * (README, "Does the recipe reproduce?" and after): there the grounding head learnt to spread
 * its attention evenly over a count area's tokens, so the readout was their mean, yet the
 * numbers stayed wrong. This probe takes the model's frozen global-view tokens (what the
 * decoder sees: after the projector) of count scenes, averages them over each of nine areas (the
 * view split 3 : 2 : 3 along the token grid), and trains a linear classifier per asked colour
 * to name how many objects of that colour have their centre in the area (0–6). Held-out
 * accuracy by the true number says whether the tokens carry the count (then the decoder failed
 * to read it) or not (then the encoder must learn it first).
 * `--layer features` reads the encoder's tokens instead, before the projector.
 * Writes runs/eval/<model>-area-count-<layer>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { useNodeBackend } from './lib/backend';
import { cliArgs, modelName, numberArg } from './lib/args';
import { countSceneInput } from './lib/count-scene';
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { createRng } from '../src/world/rng';
import { COLOUR_NAMES } from '../src/world/types';

const args = cliArgs('npm run probe:area-count --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  train: { type: 'string', default: '400', help: 'training scenes (seeds from 5 000 000)' },
  test: { type: 'string', default: '200', help: 'held-out scenes (seeds from 6 000 000)' },
  steps: { type: 'string', default: '1500', help: 'Adam steps of the linear classifier' },
  layer: { type: 'string', default: 'projected', help: 'projected (the decoder\'s image tokens) or features (the encoder\'s, before the projector: where the aux head reads)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const steps = numberArg('steps', args.steps, 1);
if (!['projected', 'features'].includes(args.layer!)) throw new Error(`--layer must be projected or features, not ${args.layer}`);
const MAX_COUNT = 6;
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const side = model.config.imageSize / model.config.patchSize;
if (model.config.merge !== 1) throw new Error(`${args.model} merges patches; this probe reads one token per patch (preset fine)`);

/** Band 0, 1 or 2 of a view fraction: the view split 3 : 2 : 3. */
const band = (f: number) => (f < 3 / 8 ? 0 : f < 5 / 8 ? 1 : 2);
const areaOfCell = (cell: number) => band((Math.floor(cell / side) + 0.5) / side) * 3 + band(((cell % side) + 0.5) / side);
/** [9, K]: each area's row averages its cells' tokens (the same for every scene). */
const areaMean = tf.tidy(() => {
  const byArea = tf.oneHot(tf.tensor1d([...Array(side * side).keys()].map(areaOfCell), 'int32'), 9).toFloat().transpose(); // [9, K]
  return byArea.div(byArea.sum(1, true));
});

interface Rows { x: number[][]; colour: number[]; count: number[] }
/** One row per (scene, area): the area's mean token, the asked colour, how many targets it holds. */
async function rows(firstSeed: number, n: number): Promise<Rows> {
  const out: Rows = { x: [], colour: [], count: [] };
  for (let seed = firstSeed; seed < firstSeed + n; seed++) {
    const { sample, input, letterbox: { scale, offsetX, offsetY } } = countSceneInput(model, seed);
    const means = tf.tidy(() => {
      const { features, pooled } = model.vlm.encode(tf.tensor3d(input, [1, ...model.patchShape]));
      const tokens = (args.layer === 'features' ? features : model.vlm.projectPatches(features, pooled)).reshape([side * side, -1]); // [K, D]
      return areaMean.matMul(tokens).arraySync() as number[][]; // [9, D]
    });
    const counts = new Array(9).fill(0);
    for (const t of sample.targets) counts[band(((t[1] + t[3]) / 2) * scale + offsetY) * 3 + band(((t[0] + t[2]) / 2) * scale + offsetX)]++;
    const colour = COLOUR_NAMES.indexOf(sample.scene.objects.find((o) => o.id === sample.targetIds[0])!.colour);
    means.forEach((m, area) => {
      out.x.push(m);
      out.colour.push(colour);
      out.count.push(Math.min(MAX_COUNT, counts[area]));
    });
    await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
  }
  return out;
}

const train = await rows(5_000_000, numberArg('train', args.train, 1));
const test = await rows(6_000_000, numberArg('test', args.test, 1));
const D = train.x[0].length;
const C = COLOUR_NAMES.length;
const K = MAX_COUNT + 1;
const tensors = (r: Rows) => ({ x: tf.tensor2d(r.x), colour: tf.oneHot(tf.tensor1d(r.colour, 'int32'), C).toFloat() as tf.Tensor2D, count: tf.oneHot(tf.tensor1d(r.count, 'int32'), K).toFloat() as tf.Tensor2D });
const trainT = tensors(train);
const testT = tensors(test);
const mean = trainT.x.mean(0, true);
const std = trainT.x.sub(mean).square().mean(0, true).sqrt().add(1e-5);
// per asked colour, a linear classifier over the standardised mean token: W [C, D, K], b [C, K]
const W = tf.variable(tf.randomNormal([C, D * K], 0, 0.01, 'float32', 1));
const b = tf.variable(tf.zeros([C, K]));
const logits = (x: tf.Tensor2D, colour: tf.Tensor2D) => tf.tidy(() => {
  const w = colour.matMul(W).reshape([-1, D, K]); // each row's colour's weights
  return x.sub(mean).div(std).expandDims(1).matMul(w).reshape([-1, K]).add(colour.matMul(b));
});
const optimizer = tf.train.adam(3e-3);
const rng = createRng(3);
for (let step = 1; step <= steps; step++) {
  const loss = tf.tidy(() => {
    const idx = tf.tensor1d(Array.from({ length: 256 }, () => rng.int(0, train.count.length - 1)), 'int32');
    const gather = (t: tf.Tensor) => tf.gather(t, idx) as tf.Tensor2D;
    return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(gather(trainT.count), logits(gather(trainT.x), gather(trainT.colour))) as tf.Scalar, true)!;
  });
  if (step % 500 === 0 || step === steps) console.log(`step ${step}/${steps}  loss ${(await loss.data())[0].toFixed(3)}`);
  loss.dispose();
}
const predicted = tf.tidy(() => logits(testT.x, testT.colour).argMax(1).dataSync());
const byCount = (keep: (n: number) => boolean) => {
  const idx = test.count.map((_, i) => i).filter((i) => keep(test.count[i]));
  return { n: idx.length, right: idx.filter((i) => predicted[i] === test.count[i]).length / Math.max(1, idx.length) };
};
const report = { none: byCount((n) => n === 0), one: byCount((n) => n === 1), two: byCount((n) => n === 2), 'three or more': byCount((n) => n >= 3) };
console.log(`model ${args.model}: the asked colour's count in each area, read linearly off the area's mean ${args.layer} token (held out)`);
for (const [k, v] of Object.entries(report)) console.log(`${k.padEnd(14)} n ${String(v.n).padStart(5)}  right ${(100 * v.right).toFixed(1).padStart(5)}%`);
const out = `runs/eval/${modelName(args.model)}-area-count-${args.layer}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, layer: args.layer, steps, train: train.count.length, test: test.count.length, report }, null, 1));
console.log(`wrote ${out}`);
