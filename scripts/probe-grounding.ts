/**
 * npm run probe:grounding -- --model runs/sft-v7/checkpoint [--n 150] [--seed 140000]
 *
 * Does the decoder find the target, and does it say where it is? On oracle trajectories of the
 * training distribution (seeds from --seed; pick seeds past the run's data cursor), teacher-forced:
 *   head  — at each grounding query (src/train/grounding.ts: " the" before a region word or a
 *           colour naming targets, the token before a box coordinate or the stated answer), the
 *           supervised head's attention mass on the tokens of the targets it should look at, in
 *           the view the query refers to, what spreading the same image mass evenly would give,
 *           and how often its most-attended image token covers one of them;
 *   aim   — (a fineAim model) the aim pathway's mass on the 4-px cells of those targets, how
 *           often its most likely cell is one of them, how often that cell lies in one of the
 *           head's target tokens (comparable with the head's top→tgt), and where the two
 *           disagree: the head's top token off the targets while the aim's is on them, and the reverse;
 *           and (an aimTrust model) its mean trust there;
 *   word  — how often the model's top prediction is the right next token: the region word or
 *           colour after " the", the coordinate itself for a box (and `off`, its mean error in
 *           grid units), the answer as the last thought states it.
 * Per family and kind of query (region / colour / view box / crop box / answer). Prints a table; writes runs/eval/<model>-grounding.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { useNodeBackend } from './lib/backend';
import { cliArgs, listArg, modelName, numberArg } from './lib/args';
import { pickWorld } from './lib/training-mix';
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { disposeBatch, makeBatch } from '../src/train/batch';
import { makeExample } from '../src/train/data';
import { GROUND_HEAD, groundLayer } from '../src/train/grounding';
import { createNodeCanvas } from '../src/world/node-canvas';
import { BACKGROUND_STYLES, FAMILIES, type Family } from '../src/world/types';
import { HELD_OUT_BACKGROUND } from '../src/world/seeds';

const args = cliArgs('npm run probe:grounding --', {
  model: { type: 'string', default: 'models/default', help: 'model or checkpoint directory' },
  n: { type: 'string', default: '150', help: 'trajectories' },
  seed: { type: 'string', default: '140000', help: 'first training-distribution seed' },
  families: { type: 'string', help: 'comma-separated families to probe (default: the training mix)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const tok = model.tokenizer;
const K = model.tokensPerImage;
const world = { backgrounds: BACKGROUND_STYLES.filter((b) => b !== HELD_OUT_BACKGROUND), families: listArg<Family>('families', args.families, FAMILIES) };

interface Tally { queries: number; mass: number; evenMass: number; topOnTarget: number; wordRight: number; coordinateError: number; aimed: number; aimMass: number; aimTopOnTarget: number; aimTokenOnTarget: number; aimRescues: number; aimLoses: number; trust: number }
const byGroup: Record<string, Tally> = {};
let tooLong = 0;
for (let seed = firstSeed; seed < firstSeed + n; seed++) {
  const { sample, sequence } = makeExample(model, seed, createNodeCanvas, pickWorld(seed, world));
  if (!sequence.grounding.length) continue;
  // training drops such trajectories too (lengthSortedBatches)
  if (sequence.ids.length > model.config.maxSeq) {
    tooLong++;
    continue;
  }
  const batch = makeBatch([sequence], model.vlm.imageTokenId, K, tok.special('<pad>'), model.patchShape);
  const { attention, predicted, aim, trust } = tf.tidy(() => {
    const out = model.vlm.forwardWithFeatures(batch);
    const head = out.attention[groundLayer(model.config.layers)].slice([0, GROUND_HEAD, 0, 0], [1, 1, -1, -1]).squeeze([0, 1]);
    return { attention: head.arraySync() as number[][], predicted: Array.from(out.logits.argMax(-1).dataSync()), aim: out.aim ? (out.aim.squeeze([0]).arraySync() as number[][]) : [], trust: out.aimTrust ? Array.from(out.aimTrust.dataSync()) : [] }; // [] without them
  }) as { attention: number[][]; predicted: number[]; aim: number[][]; trust: number[] };
  disposeBatch(batch);
  const id = (t: number) => sequence.ids[t];
  for (const { query, keys, kind, aim: aimCells } of sequence.grounding) {
    const t = (byGroup[`${sample.family}/${kind}`] ??= { queries: 0, mass: 0, evenMass: 0, topOnTarget: 0, wordRight: 0, coordinateError: 0, aimed: 0, aimMass: 0, aimTopOnTarget: 0, aimTokenOnTarget: 0, aimRescues: 0, aimLoses: 0, trust: 0 });
    // the image block holding the keys: the run of image ids around the first (text separates blocks)
    let blockStart = keys[0];
    while (blockStart > 0 && id(blockStart - 1) === model.vlm.imageTokenId) blockStart--;
    const row = attention[query];
    const image = row.slice(blockStart, blockStart + K);
    const imageMass = image.reduce((a, b) => a + b, 0);
    t.queries++;
    t.mass += keys.reduce((a, k) => a + row[k], 0);
    t.evenMass += (keys.length / K) * imageMass;
    const headOnTarget = keys.includes(blockStart + image.indexOf(Math.max(...image)));
    if (headOnTarget) t.topOnTarget++;
    if (predicted[query] === id(query + 1)) t.wordRight++;
    if (aim.length && aimCells?.length) {
      // the aim over the block's 4-px cells: its mass on the targets' and whether its top cell is one
      const cells = aim[query].slice(4 * blockStart, 4 * (blockStart + K));
      t.aimed++;
      t.aimMass += aimCells.reduce((a: number, k: number) => a + aim[query][k], 0);
      const top = 4 * blockStart + cells.indexOf(Math.max(...cells));
      if (aimCells.includes(top)) t.aimTopOnTarget++;
      const tokenOnTarget = keys.includes(Math.floor(top / 4));
      if (tokenOnTarget) t.aimTokenOnTarget++;
      if (tokenOnTarget && !headOnTarget) t.aimRescues++;
      if (!tokenOnTarget && headOnTarget) t.aimLoses++;
      t.trust += trust[query] ?? NaN;
    }
    if (kind?.endsWith('box')) t.coordinateError += Math.abs((Number(tok.decode([predicted[query]])) || 0) - Number(tok.decode([id(query + 1)])));
  }
  await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
}
model.dispose();

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
console.log(`\n${args.model}, seeds ${firstSeed}..${firstSeed + n - 1} (teacher-forced)${tooLong ? `; ${tooLong} trajectories longer than the model's maxSeq ${model.config.maxSeq} left out, as training leaves them` : ''}`);
const aims = Object.values(byGroup).some((t) => t.aimed > 0);
console.log(`${'family/query'.padEnd(18)} ${'queries'.padStart(7)}  ${'mass'.padStart(7)}  ${'even'.padStart(7)}  ${'top→tgt'.padStart(7)}  ${'word'.padStart(7)}  ${'off'.padStart(5)}${aims ? `  ${'aim'.padStart(7)}  ${'aim→tgt'.padStart(7)}  ${'→token'.padStart(7)}  ${'+'.padStart(4)}  ${'−'.padStart(4)}  ${'trust'.padStart(5)}` : ''}`);
const report: Record<string, Record<string, number>> = {};
for (const [group, t] of Object.entries(byGroup).sort()) {
  const boxes = group.endsWith('box');
  const aimed: Record<string, number> = t.aimed ? { aimMass: t.aimMass / t.aimed, aimTopOnTarget: t.aimTopOnTarget / t.aimed, aimTokenOnTarget: t.aimTokenOnTarget / t.aimed, aimRescues: t.aimRescues, aimLoses: t.aimLoses, ...(Number.isNaN(t.trust) ? {} : { trust: t.trust / t.aimed }) } : {};
  report[group] = { queries: t.queries, mass: t.mass / t.queries, evenMass: t.evenMass / t.queries, topOnTarget: t.topOnTarget / t.queries, wordRight: t.wordRight / t.queries, ...(boxes ? { coordinateError: t.coordinateError / t.queries } : {}), ...aimed };
  const r = report[group];
  const aimColumns = !aims ? '' : t.aimed ? `  ${pct(r.aimMass)}  ${pct(r.aimTopOnTarget)}  ${pct(r.aimTokenOnTarget)}  ${String(t.aimRescues).padStart(4)}  ${String(t.aimLoses).padStart(4)}  ${r.trust === undefined ? '    -' : r.trust.toFixed(2).padStart(5)}` : '';
  console.log(`${group.padEnd(18)} ${String(t.queries).padStart(7)}  ${pct(r.mass)}  ${pct(r.evenMass)}  ${pct(r.topOnTarget)}  ${pct(r.wordRight)}  ${boxes ? r.coordinateError.toFixed(1).padStart(5) : '    -'}${aimColumns}`);
}
const out = `runs/eval/${modelName(args.model)}-grounding.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed: firstSeed, n, tooLong, byGroup: report }, null, 2));
console.log(`wrote ${out}`);
