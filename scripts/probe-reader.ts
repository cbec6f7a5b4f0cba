/**
 * npm run probe:reader -- --task glyph --steps 1000
 *
 * Can the vision encoder learn to *read* what a final zoom shows? Trains a fresh encoder of the
 * chosen preset (`default`: conv stem; `vit`: linear patch embedding) plus a mean-pooled linear
 * head to classify the glyph (20 classes) or shape (6)
 * of the object a crop is centred on, from crops cut the way the oracle's final zoom cuts them
 * (a square 1.2–3.4× the object, centre jittered by ±15%), and reports held-out accuracy by the
 * object's size in the 64-px view. A cheap test of an encoder change before a full SFT run.
 * `--init-vision DIR --freeze` instead measures a pre-trained encoder: a linear probe of its features.
 * `--vision-dim D --vision-layers L` sizes the fresh encoder differently from the preset (a capacity check).
 * `--object-view 8,10` cuts each crop so that its object spans 8 to 10 px of the 64-px view, as small
 * targets do in the global view (neighbours in the crop too; crops the image's edge would shift are
 * skipped, so the object stays centred), and `--pool centre` reads only the four tokens around the
 * crop's centre instead of the mean of all (a one-token-per-patch preset): can the encoder tell a
 * shape at the size a colour question's target has in the global view?
 * Writes <out>/probe-<task>-<preset>[-w<D>x<L>][-v<A>-<B>][-centre][-pretrained][-frozen].json; the crops are cached in <out>/crops-*.bin.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { bandArg, choiceArg, cliArgs, numberArg } from './lib/args';
import * as tf from '../src/model/tf';
import { inputShape, presetConfig } from '../src/model/config';
import { initWeights } from '../src/model/init';
import { letterboxResize, viewToInput } from '../src/model/preprocess';
import { Vlm } from '../src/model/vlm';
import { cropImage, checkBox } from '../src/agent/crop';
import { sampleImage } from '../src/agent/episode-image';
import { Adam, gradNorm } from '../src/train/adam';
import { squareIn } from '../src/train/oracle';
import { toVariables } from '../src/train/sft';
import { centreFeatures } from '../src/train/vision-pretrain';
import { loadVisionPretraining } from './lib/checkpoint';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { pixelBox } from '../src/world/boxes';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { createRng } from '../src/world/rng';
import { GLYPHS, SHAPES } from '../src/world/types';

const args = cliArgs('npm run probe:reader --', {
  task: { type: 'string', default: 'glyph', help: 'glyph or shape' },
  preset: { type: 'string', default: 'default', help: 'model preset whose encoder is probed' },
  crops: { type: 'string', default: '24000', help: 'training crops (generated once, then cached)' },
  steps: { type: 'string', default: '1000', help: 'Adam steps' },
  batch: { type: 'string', default: '32', help: 'crops per step' },
  lr: { type: 'string', default: '1e-3', help: 'learning rate (constant)' },
  out: { type: 'string', default: 'runs/probe-reader', help: 'output directory' },
  'init-vision': { type: 'string', help: 'start the encoder from a pretrain:vision or model directory instead of fresh' },
  freeze: { type: 'boolean', default: false, help: 'train the head only (a linear probe of the encoder\'s features)' },
  'vision-dim': { type: 'string', help: 'the encoder\'s width instead of the preset\'s (the conv stem\'s channels follow it): does a larger encoder read better?' },
  'vision-layers': { type: 'string', help: 'the encoder\'s transformer layers instead of the preset\'s' },
  'object-view': { type: 'string', help: 'A,B: cut crops so that the object spans A to B px of the view (default: 1.2–3.4× the object, as a final zoom)' },
  pool: { type: 'string', default: 'mean', help: 'mean (all tokens) or centre (the four around the crop\'s centre)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const task = args.task === 'shape' ? 'shape' : args.task === 'glyph' ? 'glyph' : (console.error('--task must be glyph or shape'), process.exit(2));
const steps = numberArg('steps', args.steps, 1);
const batchSize = numberArg('batch', args.batch, 1, 1024);
const lr = numberArg('lr', args.lr, 0, 1);
const VIEW = 64;
const VIEW_BYTES = VIEW * VIEW * 3;
const objectView = bandArg('object-view', args['object-view']);
const pool = choiceArg('pool', args.pool, ['mean', 'centre'] as const);
const viewTag = objectView ? `-v${objectView.join('-')}` : '';

interface CropSet {
  readonly pixels: Uint8Array; // [n, 64, 64, 3]
  readonly labels: number[]; // glyph or shape index
  readonly sizes: number[]; // object side in view px
}

/** Target-centred crops of objects with a glyph (task glyph) or of any object (shape), from world seeds `first`… */
async function makeCrops(first: number, count: number): Promise<CropSet> {
  const rng = createRng(first);
  const pixels = new Uint8Array(count * VIEW_BYTES);
  const labels: number[] = [];
  const sizes: number[] = [];
  for (let seed = first; labels.length < count; seed++) {
    const s = generateSample(seed, { families: [task] });
    const image = sampleImage(s, createNodeCanvas);
    const size = { width: s.scene.width, height: s.scene.height };
    for (const o of s.scene.objects) {
      if (labels.length >= count || (task === 'glyph' && !o.glyph)) continue;
      const [dx, dy] = [o.size * rng.float(-0.15, 0.15), o.size * rng.float(-0.15, 0.15)];
      const side = objectView ? (o.size * VIEW) / rng.float(objectView[0], objectView[1]) : o.size * rng.float(1.2, 3.4);
      const check = checkBox(squareIn(o.cx + dx, o.cy + dy, side, pixelBox(0, 0, size.width, size.height)), size);
      if (!check.ok) continue;
      // at a global view's scale the object must stay where --pool centre reads: skip crops the edge shifted
      if (objectView && Math.hypot((check.box[0] + check.box[2]) / 2 - (o.cx + dx), (check.box[1] + check.box[3]) / 2 - (o.cy + dy)) > 0.02 * side) continue;
      const view = letterboxResize(cropImage(image.canvas, check.box, createNodeCanvas), VIEW);
      pixels.set(Uint8Array.from(view, (v) => Math.round(v * 255)), labels.length * VIEW_BYTES);
      labels.push(task === 'glyph' ? GLYPHS.indexOf(o.glyph!) : SHAPES.indexOf(o.shape));
      sizes.push((o.size * VIEW) / Math.max(check.box[2] - check.box[0], check.box[3] - check.box[1]));
    }
    // @napi-rs/canvas frees pixel buffers in finalisers that run only when the event loop turns
    await new Promise((r) => setImmediate(r));
  }
  return { pixels, labels, sizes };
}

async function cachedCrops(name: string, first: number, count: number): Promise<CropSet> {
  const bin = join(args.out, `crops-${task}-${name}-${count}${viewTag}.bin`);
  const meta = bin.replace(/\.bin$/, '.json');
  if (existsSync(bin) && existsSync(meta)) return { pixels: new Uint8Array(readFileSync(bin)), ...JSON.parse(readFileSync(meta, 'utf8')) };
  const t0 = Date.now();
  const set = await makeCrops(first, count);
  writeFileSync(bin, set.pixels);
  writeFileSync(meta, JSON.stringify({ labels: set.labels, sizes: set.sizes }));
  console.log(`${count} ${name} crops in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  return set;
}

await useNodeBackend('wasm');
mkdirSync(args.out, { recursive: true });
const train = await cachedCrops('train', 3_000_000, numberArg('crops', args.crops, 1));
const test = await cachedCrops('test', 4_000_000, 1500);
const preset = presetConfig(args.preset, 8);
const config = {
  ...preset,
  visionDim: args['vision-dim'] ? numberArg('vision-dim', args['vision-dim'], 2, 1024) : preset.visionDim,
  visionLayers: args['vision-layers'] ? numberArg('vision-layers', args['vision-layers'], 1, 16) : preset.visionLayers,
};
if (config.visionDim % (2 * config.visionHeads) !== 0) {
  console.error(`--vision-dim must be a multiple of ${2 * config.visionHeads} (even, and split over ${config.visionHeads} heads)`);
  process.exit(2);
}
if ((args['vision-dim'] || args['vision-layers']) && args['init-vision']) {
  console.error('--vision-dim and --vision-layers size a fresh encoder: leave out --init-vision');
  process.exit(2);
}
const sizeTag = args['vision-dim'] || args['vision-layers'] ? `-w${config.visionDim}x${config.visionLayers}` : '';
const classes = task === 'glyph' ? GLYPHS.length : SHAPES.length;

/** The encoder's input for the crops at `indices`, [n, rows, dim]. */
function inputs(set: CropSet, indices: number[]): tf.Tensor3D {
  const [rows, dim] = inputShape(config);
  const out = new Float32Array(indices.length * rows * dim);
  const view = new Float32Array(VIEW_BYTES);
  indices.forEach((i, k) => {
    for (let j = 0; j < VIEW_BYTES; j++) view[j] = set.pixels[i * VIEW_BYTES + j] / 255;
    out.set(viewToInput(view, config), k * rows * dim);
  });
  return tf.tensor3d(out, [indices.length, rows, dim]);
}

// a fresh encoder (as pre-training starts it) + a mean-pooled linear head
/** The encoder's starting weights: fresh, from a pretrain:vision directory, or from a model directory (e.g. an SFT checkpoint). */
async function startingEncoder(dir: string | undefined): Promise<Record<string, tf.Tensor>> {
  const weights = !dir ? initWeights(config, 3)
    : existsSync(join(dir, 'model.json')) ? (await loadSquintModel(nodeFileReader(dir))).vlm.weights
      : await loadVisionPretraining(dir, config);
  // encode() also computes the fine detector's pixel map (a `finePixels` preset), though the probe reads only the features
  const read = (n: string) => n.startsWith('vision.') || n.startsWith('decoder.detect.fine.pixel.');
  const [vision, rest] = [Object.entries(weights).filter(([n]) => read(n)), Object.entries(weights).filter(([n]) => !read(n))];
  tf.dispose(rest.map(([, t]) => t)); // the decoder (and aux head) are not probed
  return Object.fromEntries(vision);
}
const vars = toVariables(await startingEncoder(args['init-vision']));
const head = { 'head.w': tf.variable(tf.randomNormal([config.visionDim, classes], 0, 0.02)), 'head.b': tf.variable(tf.zeros([classes])) };
const encoderVars = Object.fromEntries(Object.entries(vars).filter(([n]) => n.startsWith('vision.')));
const all: Record<string, tf.Variable> = args.freeze ? { ...head } : { ...encoderVars, ...head };
const encoder = new Vlm(config, vars, 0);
if (pool === 'centre' && config.merge !== 1) {
  console.error(`--pool centre reads a one-token-per-patch grid; preset ${config.preset} merges ${config.merge}×${config.merge} patches`);
  process.exit(2);
}
const pooled = (features: tf.Tensor3D) => (pool === 'centre' ? centreFeatures(features) : features.mean(1));
const logits = (x: tf.Tensor3D) => pooled(encoder.encodePatches(x)).matMul(head['head.w']).add(head['head.b']) as tf.Tensor2D;
const adam = new Adam();

const SIZE_BINS = objectView ? [[0, 8], [8, 9], [9, 10], [10, 12], [12, 14], [14, 16], [16, Infinity]] as const : [[0, 16], [16, 24], [24, 36], [36, Infinity]] as const;
async function evaluate(): Promise<{ accuracy: number; bySize: Record<string, number> }> {
  const predictions: number[] = [];
  for (let o = 0; o < test.labels.length; o += 250) {
    const idx = Array.from({ length: Math.min(250, test.labels.length - o) }, (_, k) => o + k);
    const p = inputs(test, idx);
    const pred = tf.tidy(() => logits(p).argMax(-1));
    predictions.push(...(await pred.data()));
    tf.dispose([p, pred]);
  }
  const right = (i: number) => predictions[i] === test.labels[i];
  const bySize: Record<string, number> = {};
  for (const [lo, hi] of SIZE_BINS) {
    const inBin = test.sizes.map((s, i) => (s >= lo && s < hi ? i : -1)).filter((i) => i >= 0);
    if (inBin.length) bySize[`${lo}-${hi === Infinity ? '' : hi}px`] = inBin.filter(right).length / inBin.length;
  }
  return { accuracy: test.labels.filter((_, i) => right(i)).length / test.labels.length, bySize };
}

const curve: { step: number; trainLoss: number; accuracy: number; bySize: Record<string, number> }[] = [];
const started = Date.now();
const sampler = createRng(7);
let lossSum = 0;
for (let step = 0; step <= steps; step++) {
  if (step % 100 === 0) {
    const r = await evaluate();
    const trainLoss = step ? lossSum / 100 : NaN;
    curve.push({ step, trainLoss, ...r });
    lossSum = 0;
    console.log(`step ${step}  train loss ${trainLoss.toFixed(3)} (chance ${Math.log(classes).toFixed(3)})  held-out ${(100 * r.accuracy).toFixed(1)}%  ` +
      Object.entries(r.bySize).map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`).join('  '));
  }
  if (step === steps) break;
  const idx = Array.from({ length: batchSize }, () => sampler.int(0, train.labels.length - 1));
  const p = inputs(train, idx);
  const y = tf.oneHot(tf.tensor1d(idx.map((i) => train.labels[i]), 'int32'), classes);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, logits(p)) as tf.Scalar, Object.values(all));
  const byName = Object.fromEntries(Object.entries(all).map(([n, v]) => [n, grads[v.name]]));
  lossSum += (await value.data())[0];
  adam.apply(all, byName, lr, await gradNorm(byName));
  tf.dispose([p, y, value, ...Object.values(grads)]);
}
const result = { task, preset: config.preset, objectView, pool, stem: config.stem, visionDim: config.visionDim, visionLayers: config.visionLayers, initVision: args['init-vision'] ?? null, frozen: args.freeze, classes, trainCrops: train.labels.length, testCrops: test.labels.length, steps, batch: batchSize, lr, seconds: Math.round((Date.now() - started) / 1000), curve };
const resultFile = join(args.out, `probe-${task}-${config.preset}${sizeTag}${viewTag}${pool === 'centre' ? '-centre' : ''}${args['init-vision'] ? '-pretrained' : ''}${args.freeze ? '-frozen' : ''}.json`);
writeFileSync(resultFile, JSON.stringify(result, null, 1));
console.log(`wrote ${resultFile}`);
