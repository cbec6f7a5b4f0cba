import * as tf from '../src/model/tf';
import { useNodeBackend } from './lib/backend';
import { loadCheckpoint } from './lib/checkpoint';
import { makeExample } from '../src/train/data';
import { createNodeCanvas } from '../src/world/node-canvas';
import { makeBatch, disposeBatch } from '../src/train/batch';
import { groundLayer, GROUND_HEAD } from '../src/train/grounding';
await useNodeBackend('wasm');
const { model } = await loadCheckpoint(process.argv[2]);
const rows: string[] = [];
for (let seed = 950100; seed < 950108; seed++) {
  const { sequence } = makeExample(model, seed, createNodeCanvas, { families: ['count'] });
  const batch = makeBatch([sequence], model.vlm.imageTokenId, model.tokensPerImage, model.tokenizer.special('<pad>'), model.patchShape);
  const att = tf.tidy(() => model.vlm.forwardWithFeatures(batch).attention[groundLayer(model.config.layers)].slice([0, GROUND_HEAD, 0, 0], [1, 1, -1, -1]).squeeze().arraySync() as number[][]);
  const start = sequence.ids.indexOf(model.vlm.imageTokenId);
  for (const q of sequence.grounding.filter((g) => g.kind === 'count')) {
    const row = att[q.query];
    const image = row.slice(start, start + model.tokensPerImage).reduce((a, b) => a + b, 0);
    const targets = q.keys.reduce((a, k) => a + row[k], 0);
    rows.push(`n=${Math.round(1 / q.sink! - 1)} sink ${row[0].toExponential(2)} targets ${targets.toFixed(3)} image ${image.toFixed(3)} said ${model.tokenizer.decode([sequence.ids[q.query + 1]])}`);
  }
  disposeBatch(batch);
}
console.log(rows.join('\n'));
