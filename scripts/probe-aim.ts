/**
 * npm run probe:aim -- --model runs/sft-v3/checkpoint [--layer merged|projected]
 *
 * Can the target be *found* in the model's image tokens? To aim a zoom the agent has to locate
 * "the blue object" in the global view, often a speck of a few view pixels. This probe freezes
 * the model's encoder, takes the global view's 16 image tokens (before the projector: `merged`,
 * the 2×2-merged encoder features; after it: `projected`, what the decoder sees), and trains a
 * colour-conditioned linear pointer — one weight vector per colour, softmax over the image tokens —
 * to pick the token holding the target's centre, on glyph/shape questions. Held-out top-1
 * accuracy, overall and by the target's size in the view, says whether the encoder carries
 * *where* each colour is; the decoder cannot aim better than its features allow. `--ask shape`
 * turns it around, as a colour question must: colour-family scenes, one weight vector per shape,
 * to pick the token holding the named shape's centre among distractors of every other shape. `--layer pixels`
 * is the same pointer on a hand-made feature of the input view itself (no encoder): the ceiling
 * the 64-px view allows.
 * Chance is about one in the token count (16, or 64 with one token per patch; the pointer also
 * learns that targets sit mostly in the middle tokens).
 * Writes runs/eval/<model>-aim-<layer>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { useNodeBackend } from './lib/backend';
import { cliArgs, modelName, numberArg } from './lib/args';
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { letterboxResize, viewToInput } from '../src/model/preprocess';
import { sampleImage } from '../src/agent/episode-image';
import { pixelToView, VIEW_GRID } from '../src/world/boxes';
import { context2d } from '../src/world/canvas';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { hexToRgb } from '../src/world/render';
import { createRng } from '../src/world/rng';
import { COLOURS, COLOUR_NAMES, SHAPES } from '../src/world/types';
import { seedDifficulty } from '../src/world/seeds';

const args = cliArgs('npm run probe:aim --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  layer: { type: 'string', default: 'merged', help: 'merged (encoder features, 2×2-merged), projected (the decoder\'s image tokens), pool (the colour pool\'s features, 2×2-merged), fine (the fine detector\'s keys, each token\'s four 4-px cells\' together) or pixels (no model: per token and colour, the best colour match among its view pixels — what the input allows)' },
  train: { type: 'string', default: '1500', help: 'training scenes (world seeds from 5e6)' },
  test: { type: 'string', default: '400', help: 'held-out scenes (world seeds from 6e6)' },
  steps: { type: 'string', default: '1500', help: 'Adam steps of the pointer' },
  ask: { type: 'string', default: 'colour', help: 'what names the target: colour (glyph and shape scenes) or shape (colour-family scenes, where the named shape is unique)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const LAYERS = ['merged', 'projected', 'pool', 'fine', 'pixels'];
if (!LAYERS.includes(args.layer)) {
  console.error(`--layer must be one of ${LAYERS.join(', ')} (got "${args.layer}")`);
  process.exit(2);
}
if (args.ask !== 'colour' && args.ask !== 'shape') {
  console.error(`--ask must be colour or shape (got "${args.ask}")`);
  process.exit(2);
}
if (args.ask === 'shape' && args.layer === 'pixels') {
  console.error('--layer pixels matches colours only; it cannot be asked for a shape');
  process.exit(2);
}
const askShape = args.ask === 'shape';
/** The names a pointer's weight vectors are indexed by. */
const NAMES: readonly string[] = askShape ? SHAPES : COLOUR_NAMES;
const steps = numberArg('steps', args.steps, 1);
/** Size bands of the target's side in the global view (0–100 grid units; 64 view px = 100 units). */
const px = (viewPx: number) => (viewPx * VIEW_GRID) / 64;
const BANDS: [string, number, number][] = [
  ['< 5 view px', 0, px(5)], ['5–8 view px', px(5), px(8)], ['8–10 view px', px(8), px(10)],
  ['10–12 view px', px(10), px(12)], ['≥ 12 view px', px(12), Infinity],
];

await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const K = model.tokensPerImage;
const side = Math.sqrt(K);

const PALETTE = COLOUR_NAMES.map((c) => hexToRgb(COLOURS[c]).map((v) => v / 255));
/**
 * The `pixels` baseline: [K, colours], for each token's square of the view and each world colour,
 * minus the smallest squared RGB distance of any of its pixels to that colour. A speck of the
 * colour gives a value near 0 even after the area-average downscale has blended it.
 */
function colourMatches(view: Float32Array): Float32Array {
  const size = model.config.imageSize;
  const cellPx = size / side;
  const out = new Float32Array(K * PALETTE.length).fill(-Infinity);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const token = Math.floor(y / cellPx) * side + Math.floor(x / cellPx);
      const o = (y * size + x) * 3;
      PALETTE.forEach(([r, g, b], c) => {
        const match = -((view[o] - r) ** 2 + (view[o + 1] - g) ** 2 + (view[o + 2] - b) ** 2);
        if (match > out[token * PALETTE.length + c]) out[token * PALETTE.length + c] = match;
      });
    }
  }
  return out;
}

/** The 16 image tokens' features [K, D] of the chosen layer for one view [S, S, 3]. */
function tokenFeatures(view: Float32Array): Float32Array {
  if (args.layer === 'pixels') return colourMatches(view);
  return tf.tidy(() => {
    const input = tf.tensor3d(viewToInput(view, model.config), [1, ...model.patchShape]);
    if (args.layer === 'fine') {
      const { fine } = model.vlm.encodeImagesWithFineKeys(input);
      if (!fine) throw new Error(`${args.model} has no fine detector`);
      return fine.dataSync() as Float32Array;
    }
    const { features, pooled } = model.vlm.encode(input);
    if (args.layer === 'projected') return model.vlm.projectPatches(features, pooled).dataSync() as Float32Array;
    if (args.layer === 'pool' && !pooled) throw new Error(`${args.model} has no colour pool`);
    return (args.layer === 'pool' ? pooled! : features).reshape([1, K, -1]).dataSync() as Float32Array;
  });
}

interface Scenes { features: Float32Array; names: number[]; tokens: number[]; boxTokens: Set<number>[]; sizes: number[] }
/**
 * Each scene's K image tokens (frozen), what names the target (its colour or shape), the token
 * holding its centre, the tokens its box overlaps, its size in grid units.
 */
async function scenes(firstSeed: number, n: number): Promise<Scenes> {
  const chunks: Float32Array[] = [];
  const out: Scenes = { features: new Float32Array(), names: [], tokens: [], boxTokens: [], sizes: [] };
  for (let seed = firstSeed; seed < firstSeed + n; seed++) {
    const sample = generateSample(seed, { families: askShape ? ['colour'] : ['glyph', 'shape'], difficulty: seedDifficulty(seed) });
    const image = sampleImage(sample, createNodeCanvas);
    const full = context2d(image.canvas).getImageData(0, 0, image.size.width, image.size.height);
    chunks.push(tokenFeatures(letterboxResize(full, model.config.imageSize)));
    const target = sample.scene.objects.find((o) => o.id === sample.targetIds[0])!;
    const box = pixelToView(sample.targets[0], image.size);
    const cell = (a: number, b: number) => Math.min(side - 1, Math.floor(((a + b) / 2 / VIEW_GRID) * side));
    out.names.push(askShape ? SHAPES.indexOf(target.shape) : COLOUR_NAMES.indexOf(target.colour));
    out.tokens.push(cell(box[1], box[3]) * side + cell(box[0], box[2]));
    const covered = new Set<number>();
    for (let y = cell(box[1], box[1]); y <= cell(box[3], box[3]); y++) {
      for (let x = cell(box[0], box[0]); x <= cell(box[2], box[2]); x++) covered.add(y * side + x);
    }
    out.boxTokens.push(covered);
    out.sizes.push(Math.max(box[2] - box[0], box[3] - box[1]));
    await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
  }
  const D = chunks[0].length;
  out.features = new Float32Array(chunks.length * D);
  chunks.forEach((c, i) => out.features.set(c, i * D));
  return out;
}

const train = await scenes(5_000_000, numberArg('train', args.train, 16));
const test = await scenes(6_000_000, numberArg('test', args.test, 16));
const D = train.features.length / train.names.length / K;
const toTensors = (s: Scenes) => ({ x: tf.tensor3d(s.features, [s.names.length, K, D]), name: tf.oneHot(tf.tensor1d(s.names, 'int32'), NAMES.length).toFloat() });
const trainT = toTensors(train);
const testT = toTensors(test);
const targets = tf.oneHot(tf.tensor1d(train.tokens, 'int32'), K).toFloat();
// per-channel standardisation from the training scenes, so one learning rate suits every model
const mean = trainT.x.mean([0, 1], true);
const std = trainT.x.sub(mean).square().mean([0, 1], true).sqrt().add(1e-5);
const pointer = tf.variable(tf.randomNormal([NAMES.length, D], 0, 0.01, 'float32', 1));
/** Scores [B, K]: each token's features · the weight vector of the target's colour (or shape). */
const scores = (x: tf.Tensor, name: tf.Tensor) => x.sub(mean).div(std).mul(name.matMul(pointer).expandDims(1)).sum(2);
const optimizer = tf.train.adam(3e-3);
const rng = createRng(2);
for (let step = 1; step <= steps; step++) {
  const loss = tf.tidy(() => {
    const idx = tf.tensor1d(Array.from({ length: 128 }, () => rng.int(0, train.names.length - 1)), 'int32');
    return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.gather(targets, idx), scores(tf.gather(trainT.x, idx), tf.gather(trainT.name, idx))) as tf.Scalar, true)!;
  });
  if (step % 250 === 0 || step === steps) console.log(`step ${step}/${steps}  loss ${(await loss.data())[0].toFixed(3)}`);
  loss.dispose();
}

const predicted = tf.tidy(() => scores(testT.x, testT.name).argMax(1).dataSync());
const hits = test.tokens.map((t, i) => predicted[i] === t);
/** The pointer's token lies on the target at all (a zoom or an answer about it would find it). */
const onTarget = test.boxTokens.map((cells, i) => cells.has(predicted[i]));
const rate = (keep: (i: number) => boolean) => {
  const idx = hits.map((_, i) => i).filter(keep);
  const share = (ok: boolean[]) => idx.filter((i) => ok[i]).length / Math.max(1, idx.length);
  return { n: idx.length, top1: share(hits), onTarget: share(onTarget) };
};
const report = {
  all: rate(() => true),
  ...Object.fromEntries(BANDS.map(([name, lo, hi]) => [name, rate((i) => test.sizes[i] >= lo && test.sizes[i] < hi)])),
};
console.log(`model ${args.model}, ${args.layer} tokens, target named by its ${args.ask}: held-out top-1 of the target's token (${K} tokens)`);
for (const [k, v] of Object.entries(report)) console.log(`${k.padEnd(14)} n ${String(v.n).padStart(4)}  top-1 ${(100 * v.top1).toFixed(1).padStart(5)}%  on the target ${(100 * v.onTarget).toFixed(1).padStart(5)}%`);
const out = `runs/eval/${modelName(args.model)}-aim-${args.layer}${askShape ? '-shape' : ''}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, layer: args.layer, ask: args.ask, steps, train: train.names.length, test: test.names.length, report }, null, 1));
console.log(`wrote ${out}`);
