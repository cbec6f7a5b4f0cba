/**
 * npm run probe:readout -- --model runs/sft-v12/checkpoint [--n 600] [--seed 300000]
 *
 * Where is a colour question's answer lost on its way from the image to the word? On colour
 * questions of the training distribution, teacher-forced, at the position that predicts the
 * colour word of the last thought ("… and it is" → " yellow"), linear probes (softmax regression,
 * fit on the first 75% of scenes, scored on the rest) read the target's colour from:
 *   token  — the target's image tokens as the projector made them (mean over its cells);
 *   head   — the grounding head's output there (its attention times its values, one head);
 *   resid  — the residual stream after the grounding layer (with the pointer and readout, if any);
 *   final  — the decoder's last hidden state, from which the model predicts the word.
 * Chance is 1/8. A colour the token carries and the residual does not was dropped by the head.
 * Writes runs/eval/<model>-readout.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { useNodeBackend } from './lib/backend';
import { cliArgs, modelName, numberArg } from './lib/args';
import * as tf from '../src/model/tf';
import { GROUND_HEAD, groundLayer } from '../src/model/config';
import { loadSquintModel } from '../src/model/load';
import { causalMask, constantTimes, dense, layerNorm, transformerBlock } from '../src/model/ops';
import { imageCells } from '../src/model/vlm';
import { nodeFileReader } from '../src/model/weights/node-files';
import { disposeBatch, makeBatch } from '../src/train/batch';
import { makeExample } from '../src/train/data';
import { createNodeCanvas } from '../src/world/node-canvas';
import { COLOUR_NAMES } from '../src/world/types';

const args = cliArgs('npm run probe:readout --', {
  model: { type: 'string', default: 'models/default', help: 'model or checkpoint directory' },
  n: { type: 'string', default: '600', help: 'colour scenes' },
  seed: { type: 'string', default: '300000', help: 'first training-distribution seed' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 20);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const { vlm, tokenizer: tok } = model;
const c = vlm.config;
const w = vlm.weights;
const STAGES = ['token', 'head', 'resid', 'final'] as const;
const features: Record<(typeof STAGES)[number], number[][]> = { token: [], head: [], resid: [], final: [] };
const colours: number[] = [];

/**
 * The decoder's forward pass (as Vlm.forwardWithFeatures, layer by layer), keeping what the
 * probes read at position `query`: the target tokens `keys`, the grounding head's output, the
 * residual after its layer, the final hidden state.
 */
function readAt(batch: ReturnType<typeof makeBatch>, query: number, keys: readonly number[]): number[][] {
  return tf.tidy(() => {
    const [B, T] = batch.ids.shape;
    const embedded = constantTimes(tf.oneHot(batch.ids.reshape([-1]), c.vocabSize).toFloat() as tf.Tensor2D, w['decoder.embed'] as tf.Tensor2D);
    const { features: f, pooled } = vlm.encode(batch.patches!);
    const imageRows = constantTimes(batch.placement!, vlm.projectPatches(f, pooled).reshape([-1, c.dim]) as tf.Tensor2D); // [B·T, C]
    let h = embedded.add(imageRows).reshape([B, T, c.dim]).add(tf.slice(w['decoder.pos'], [0, 0], [T, c.dim])) as tf.Tensor3D;
    const mask = causalMask(T, 0);
    const L = groundLayer(c.layers);
    const hd = c.dim / c.heads;
    let head: tf.Tensor = tf.zeros([hd]);
    let resid: tf.Tensor = tf.zeros([c.dim]);
    for (let i = 0; i < c.layers; i++) {
      const prefix = `decoder.block${i}`;
      const block = transformerBlock(h, w, prefix, c.heads, mask);
      if (i === L) {
        const values = dense(layerNorm(h, w[`${prefix}.ln1.g`], w[`${prefix}.ln1.b`]), w[`${prefix}.qkv.w`], w[`${prefix}.qkv.b`])
          .slice([0, 0, 2 * c.dim + GROUND_HEAD * hd], [1, T, hd]).reshape([T, hd]);
        head = block.attention.slice([0, GROUND_HEAD, query, 0], [1, 1, 1, T]).reshape([1, T]).matMul(values);
      }
      h = block.out;
      if (i === L && (c.pointer || c.readout)) {
        const keysIn = { cells: imageCells(batch.placement!, B, T, model.tokensPerImage), tokens: imageRows.reshape([B, T, c.dim]) as tf.Tensor3D };
        h = h.add(vlm.point(block.attention, keysIn)) as tf.Tensor3D;
      }
      if (i === L) resid = h.slice([0, query, 0], [1, 1, c.dim]);
    }
    const final = layerNorm(h, w['decoder.ln.g'], w['decoder.ln.b']).slice([0, query, 0], [1, 1, c.dim]);
    const token = imageRows.gather(tf.tensor1d([...keys], 'int32')).mean(0);
    return [token, head, resid, final].map((t) => Array.from(t.dataSync()));
  });
}

for (let seed = numberArg('seed', args.seed, 0); colours.length < n; seed++) {
  const { sample, sequence } = makeExample(model, seed, createNodeCanvas, { families: ['colour'] });
  // the answer query: the position predicting the colour word the last thought states
  const q = sequence.grounding.find((g) => tok.decode([sequence.ids[g.query + 1]]).trim() === sample.answer);
  if (!q) continue;
  const batch = makeBatch([sequence], vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
  readAt(batch, q.query, q.keys).forEach((f, i) => features[STAGES[i]].push(f));
  disposeBatch(batch);
  colours.push(COLOUR_NAMES.indexOf(sample.answer as (typeof COLOUR_NAMES)[number]));
  await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
}

/** Held-out accuracy of a softmax regression on standardised features. */
function probe(rows: number[][]): { train: number; test: number } {
  const split = Math.floor(rows.length * 0.75);
  return tf.tidy(() => {
    const x = tf.tensor2d(rows);
    const y = tf.oneHot(tf.tensor1d(colours, 'int32'), COLOUR_NAMES.length).toFloat();
    const [xTrain, yTrain] = [x.slice([0, 0], [split, -1]), y.slice([0, 0], [split, -1])];
    const mean = xTrain.mean(0, true);
    const std = xTrain.sub(mean).square().mean(0, true).sqrt().add(1e-5);
    const weights = tf.variable(tf.zeros([x.shape[1], COLOUR_NAMES.length]));
    const bias = tf.variable(tf.zeros([COLOUR_NAMES.length]));
    const logits = (v: tf.Tensor) => v.sub(mean).div(std).matMul(weights).add(bias);
    const optimizer = tf.train.adam(1e-2);
    for (let s = 0; s < 400; s++) optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yTrain, logits(xTrain)).add(weights.square().sum().mul(1e-3)) as tf.Scalar);
    const predicted = logits(x).argMax(1).dataSync();
    const rate = (from: number, to: number) => colours.slice(from, to).filter((col, i) => predicted[from + i] === col).length / (to - from);
    const out = { train: rate(0, split), test: rate(split, rows.length) };
    optimizer.dispose();
    tf.dispose([weights, bias]);
    return out;
  });
}

console.log(`\n${args.model}: colour of the target, ${n} colour scenes (75% fit, 25% scored; chance ${(100 / COLOUR_NAMES.length).toFixed(1)}%)`);
const report: Record<string, { train: number; test: number }> = {};
for (const stage of STAGES) {
  report[stage] = probe(features[stage]);
  console.log(`${stage.padEnd(6)} ${String(features[stage][0].length).padStart(4)} dims  fit ${(100 * report[stage].train).toFixed(1).padStart(5)}%  held out ${(100 * report[stage].test).toFixed(1).padStart(5)}%`);
}
model.dispose();
const out = `runs/eval/${modelName(args.model)}-readout.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed: Number(args.seed), n, report }, null, 2));
console.log(`wrote ${out}`);
