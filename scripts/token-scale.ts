/**
 * npm run token-scale -- --model runs/sft-v5/checkpoint [--n 100]
 *
 * What the decoder's first layer receives, by norm: the image tokens of n global views (whole,
 * and their part that varies across the grid), beside the text embeddings and the learned
 * sequence positions of the image slots. A position far smaller than the token it is added to is
 * lost in the pre-LayerNorm, so the decoder cannot tell where an image token lies (docs/recipes.md,
 * "Recipe v6"). Prints a table; writes runs/eval/<model>-token-scale.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, modelName, numberArg } from './lib/args';
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { promptText } from '../src/agent/format';
import { sampleImage } from '../src/agent/episode-image';
import { context2d } from '../src/world/canvas';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';

const args = cliArgs('npm run token-scale --', {
  model: { type: 'string', default: 'models/default', help: 'model or checkpoint directory' },
  n: { type: 'string', default: '100', help: 'global views to average over (eval seeds)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 1);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const w = model.vlm.weights;
const K = model.tokensPerImage;

/** Mean L2 norm of the rows of t's last axis. */
const rowNorm = (t: tf.Tensor) => tf.tidy(() => t.square().sum(-1).sqrt().mean().dataSync()[0]);

let tokens = 0;
let spread = 0;
for (let seed = EVAL_SEED; seed < EVAL_SEED + n; seed++) {
  const image = sampleImage(generateSample(seed, { difficulty: seedDifficulty(seed) }), createNodeCanvas);
  const full = context2d(image.canvas).getImageData(0, 0, image.size.width, image.size.height);
  tf.tidy(() => {
    const projected = model.vlm.encodeImages(tf.tensor3d(model.patches(full), [1, ...model.patchShape])); // [1, K, C]
    tokens += rowNorm(projected) / n;
    spread += rowNorm(projected.sub(projected.mean(1, true))) / n;
  });
  await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
}
const prompt = model.tokenizer.encode(promptText('What is it?'));
const firstSlot = prompt.indexOf(model.vlm.imageTokenId);
const imageSlots = tf.slice(w['decoder.pos'], [firstSlot, 0], [K, -1]);
const result = {
  model: args.model,
  views: n,
  imageTokens: tokens,
  imageTokensSpread: spread,
  gridPositions: w['projector.pos'] ? rowNorm(w['projector.pos']) : null,
  sequencePositionsAtImageSlots: rowNorm(imageSlots),
  sequencePositionsAll: rowNorm(w['decoder.pos']),
  textEmbeddings: rowNorm(w['decoder.embed']),
};
imageSlots.dispose();
model.dispose();

console.log(`mean L2 norm of what the decoder's first layer adds up, ${args.model}, ${n} global views:`);
console.log(`  image token (as placed)                 ${result.imageTokens.toFixed(2)}`);
console.log(`  — its part that varies across the grid  ${result.imageTokensSpread.toFixed(2)}`);
console.log(`  learned grid position (projector.pos)   ${result.gridPositions === null ? 'none' : result.gridPositions.toFixed(2)}`);
console.log(`  sequence position, image slots          ${result.sequencePositionsAtImageSlots.toFixed(2)}`);
console.log(`  sequence position, all                  ${result.sequencePositionsAll.toFixed(2)}`);
console.log(`  text token embedding                    ${result.textEmbeddings.toFixed(2)}`);
const out = `runs/eval/${modelName(args.model)}-token-scale.json`;
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify(result, null, 2));
console.log(`wrote ${out}`);
