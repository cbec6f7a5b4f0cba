/**
 * npm run probe:tally -- --model models/default [--train 1000 --test 300] [--hidden 0]
 *
 * Can a count be summed rather than scanned? A count asks for the objects of one colour, and
 * each has its centre in exactly one patch. This probe trains, on a model's frozen encoder
 * (its patch features and colour pool, the global view of count scenes), a per-patch head that
 * says "an object of colour c has its centre here" (sigmoid, one channel per colour), then
 * counts a held-out scene as the rounded sum of the asked colour's channel over all patches. No
 * region borders to settle and no region holding two: the two ways the region scan loses
 * (README, stage 25 and after). An object whose centre lies near a patch border can split its
 * probability between two patches and still add up to one.
 * `--hidden N` puts a ReLU layer of N units before the channels (0: linear).
 * Writes runs/eval/<model>-tally[-hN].json.
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

const args = cliArgs('npm run probe:tally --', {
  model: { type: 'string', default: 'models/default', help: 'model directory (one token per patch)' },
  train: { type: 'string', default: '1000', help: 'training scenes (seeds from 5 000 000)' },
  test: { type: 'string', default: '300', help: 'held-out scenes (seeds from 6 000 000)' },
  steps: { type: 'string', default: '3000', help: 'Adam steps of the head' },
  hidden: { type: 'string', default: '0', help: 'ReLU units before the colour channels (0: a linear head)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const steps = numberArg('steps', args.steps, 1);
const hidden = numberArg('hidden', args.hidden, 0, 1024);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const { imageSize, patchSize, merge } = model.config;
if (merge !== 1) throw new Error(`${args.model} merges patches; this probe reads one token per patch (preset fine)`);
const side = imageSize / patchSize;
const P = side * side;
const C = COLOUR_NAMES.length;

interface Scenes {
  readonly x: tf.Tensor2D; // [scenes · P, features (+ pool)]
  readonly y: tf.Tensor2D; // [scenes · P, C]: 1 where an object of colour c has its centre
  readonly asked: number[]; // the asked colour of each scene
  readonly count: number[]; // its true count
}

async function scenes(firstSeed: number, n: number): Promise<Scenes> {
  const xs: tf.Tensor2D[] = [];
  const y = new Float32Array(n * P * C);
  const asked: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < n; i++) {
    const seed = firstSeed + i;
    const { sample, input, letterbox: { scale, offsetX, offsetY } } = countSceneInput(model, seed);
    xs.push(tf.tidy(() => {
      const { features, pooled } = model.vlm.encode(tf.tensor3d(input, [1, ...model.patchShape]));
      return (pooled ? tf.concat([features, pooled], -1) : features).reshape([P, -1]) as tf.Tensor2D;
    }));
    for (const o of sample.scene.objects) {
      const vx = Math.min(imageSize - 1e-6, (o.cx * scale + offsetX) * imageSize);
      const vy = Math.min(imageSize - 1e-6, (o.cy * scale + offsetY) * imageSize);
      y[(i * P + Math.floor(vy / patchSize) * side + Math.floor(vx / patchSize)) * C + COLOUR_NAMES.indexOf(o.colour)] = 1;
    }
    asked.push(COLOUR_NAMES.indexOf(sample.scene.objects.find((o) => o.id === sample.targetIds[0])!.colour));
    count.push(sample.targetIds.length);
    await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
  }
  const x = tf.concat(xs) as tf.Tensor2D;
  tf.dispose(xs);
  return { x, y: tf.tensor2d(y, [n * P, C]), asked, count };
}

const train = await scenes(5_000_000, numberArg('train', args.train, 1));
const test = await scenes(6_000_000, numberArg('test', args.test, 1));
const D = train.x.shape[1];
const mean = train.x.mean(0, true);
const std = train.x.sub(mean).square().mean(0, true).sqrt().add(1e-5);
const rng = createRng(4);
const hiddenLayer = hidden > 0 ? { w: tf.variable(tf.randomNormal([D, hidden], 0, Math.sqrt(2 / D), 'float32', 1)), b: tf.variable(tf.zeros([hidden])) } : null;
const out = tf.variable(tf.randomNormal([hidden || D, C], 0, 0.01, 'float32', 2));
const bias = tf.variable(tf.fill([C], -4)); // centres are rare: start near their prior
const logits = (x: tf.Tensor2D) => tf.tidy(() => {
  let h: tf.Tensor2D = x.sub(mean).div(std);
  if (hiddenLayer) h = tf.relu(h.matMul(hiddenLayer.w).add(hiddenLayer.b)) as tf.Tensor2D;
  return h.matMul(out).add(bias) as tf.Tensor2D;
});
const optimizer = tf.train.adam(2e-3);
for (let step = 1; step <= steps; step++) {
  const loss = tf.tidy(() => {
    const idx = tf.tensor1d(Array.from({ length: 1024 }, () => rng.int(0, train.x.shape[0] - 1)), 'int32');
    return optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(tf.gather(train.y, idx), logits(tf.gather(train.x, idx) as tf.Tensor2D)) as tf.Scalar, true)!;
  });
  if (step % 1000 === 0 || step === steps) console.log(`step ${step}/${steps}  loss ${(await loss.data())[0].toFixed(4)}`);
  loss.dispose();
}

/** Each scene's sum over patches of the asked colour's probability. */
function tallies(s: Scenes): number[] {
  const sums = tf.tidy(() => tf.sigmoid(logits(s.x)).reshape([-1, P, C]).sum(1).arraySync() as number[][]);
  return sums.map((row, i) => row[s.asked[i]]);
}
const summarise = (s: Scenes) => {
  const t = tallies(s);
  const right = (keep: (n: number) => boolean) => {
    const idx = s.count.map((_, i) => i).filter((i) => keep(s.count[i]));
    return { n: idx.length, right: idx.filter((i) => Math.round(t[i]) === s.count[i]).length / Math.max(1, idx.length), meanAbsError: idx.reduce((a, i) => a + Math.abs(t[i] - s.count[i]), 0) / Math.max(1, idx.length) };
  };
  return { all: right(() => true), ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [String(n), right((m) => m === n)])) };
};
const report = { train: summarise(train), test: summarise(test) };
console.log(`model ${args.model}: the asked colour's count as the rounded sum of a ${hidden ? `${hidden}-unit` : 'linear'} per-patch centre head on the frozen encoder`);
for (const [k, v] of Object.entries(report.test)) console.log(`test ${k.padEnd(4)} n ${String(v.n).padStart(4)}  right ${(100 * v.right).toFixed(1).padStart(5)}%  mean |error| ${v.meanAbsError.toFixed(2)}`);
console.log(`train all: right ${(100 * report.train.all.right).toFixed(1)}%`);
const file = `runs/eval/${modelName(args.model)}-tally${hidden ? `-h${hidden}` : ''}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(file, JSON.stringify({ model: args.model, hidden, steps, train: train.count.length, test: test.count.length, report }, null, 1));
console.log(`wrote ${file}`);
