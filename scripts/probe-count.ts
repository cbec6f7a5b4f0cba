/**
 * npm run probe:count -- --model runs/sft-tally1/checkpoint [--n 40] [--seed 950100]
 *
 * How does the grounding head look while a count scan names each region's number? On count
 * scenes of the training distribution, teacher-forced, at every scan position ("…, the top" →
 * " 2"), it reads the head's attention: the mass on the image, on the first token (the sink a
 * countMass model is taught to give 1/(n+1)) and on the region's targets, grouped by how many
 * targets the region holds (n), how many cells it spreads over (1/Σp² of its attention over the
 * image: 1 for one cell, 2 for two alike), and how often the model's argmax there is the right
 * number, and the attention's peaks (Σr⁴, what a countPeaks model reads), and a countDetector
 * model's detector sum, and where that sum lies: on the centre keys it is taught to mark, on
 * the other cells the area's targets cover, on cells of counted targets in other areas, or
 * elsewhere, and the number said at each rounded sum; a fineDetector model's fine sum too, and how
 * often each detector's rounded sum is the area's count, and the best any readout of the sum alone
 * could do (each 0.25-wide bin of sums saying its commonest count: fitted on the same entries, so a
 * slightly generous bound) beside what the model says. `centres` is the mass on the keys the grounding loss teaches there: a countMass model's
 * targets' centre cells (another model's: the targets' cells, or the region's when it holds none).
 * A countMass model should show image mass near n/(n+1); a model without it, mass near 1 whatever n.
 * Writes runs/eval/<model>-count.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '../src/model/tf';
import { useNodeBackend } from './lib/backend';
import { choiceArg, cliArgs, modelName, numberArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { GROUND_HEAD, groundLayer } from '../src/model/config';
import { disposeBatch, makeBatch } from '../src/train/batch';
import { makeExample } from '../src/train/data';
import { targetTokens } from '../src/train/grounding';
import { REGION_ORDER, viewScanAreaDistance, viewScanBorderDistance } from '../src/world/regions';
import { DEFAULT_MIX } from '../src/train/oracle';
import { createNodeCanvas } from '../src/world/node-canvas';

const args = cliArgs('npm run probe:count --', {
  model: { type: 'string', default: 'models/default', help: 'model or checkpoint directory' },
  n: { type: 'string', default: '40', help: 'count scenes' },
  'count-areas': { type: 'string', default: 'thirds', help: 'the scan areas the model was trained on: thirds or view (train:sft --count-areas)' },
  seed: { type: 'string', default: '950100', help: 'first training-distribution seed (probes use 950 000–950 199)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const countAreas = choiceArg('count-areas', args['count-areas'], ['thirds', 'view'] as const);
const scenes = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const tok = model.tokenizer;
const side = Math.sqrt(model.tokensPerImage);

interface Group { positions: number; masses: number[]; peaks: number[]; detected: number[]; fineDetected: number[]; detectedWhere: [number, number, number, number]; sink: number; targets: number; centres: number; cells: number; right: number }
const groups = new Map<number, Group>();
// a countDetector model: the number its argmax says at each scan entry, by its detector's sum rounded (3 and up together)
const saidBySum = new Map<number, Map<string, number>>();
// every scan entry of a countDetector model: its area's count, each detector's sum, and whether the model said the count
// (`nearBorder`: a counted centre lies within 1 view px of a `view` area border and of this area, so the scan could place it on either side)
const entries: { n: number; sum: number; fineSum?: number; right: boolean; nearBorder?: boolean }[] = [];
// per scene scanned in one pass over the view: its count, the entries' fine sums added unrounded and rounded, and the numbers the model said
const scenes_: { truth: number; fine: number; fineRounded: number; said: number }[] = [];
for (let seed = firstSeed; seed < firstSeed + scenes; seed++) {
  const { sample, sequence, plan } = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...DEFAULT_MIX, countAreas });
  const batch = makeBatch([sequence], model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
  const [attention, predicted, detection, fineSums] = tf.tidy(() => {
    const out = model.vlm.forwardWithFeatures(batch);
    const head = out.attention[groundLayer(model.config.layers)].slice([0, GROUND_HEAD, 0, 0], [1, 1, -1, -1]).squeeze();
    // a countDetector model's scores: [position][key], zero at text keys
    const scores = out.detection ? (out.detection.squeeze([0]).arraySync() as number[][]) : [];
    const fine = out.fineDetection ? (out.fineDetection.sum(-1).squeeze([0]).arraySync() as number[]) : []; // the fine sum at each position
    return [head.arraySync() as number[][], out.logits.argMax(-1).squeeze().arraySync() as number[], scores, fine];
  });
  disposeBatch(batch);
  const start = sequence.ids.indexOf(model.vlm.imageTokenId);
  const size = { width: sample.scene.width, height: sample.scene.height };
  const coveredKeys = new Set(targetTokens(sample.targets, size, side).map((k) => start + k)); // every counted target's cells
  const scene = { truth: sample.targets.length, fine: 0, fineRounded: 0, said: 0, entries: 0 };
  for (const q of sequence.grounding.filter((g) => g.kind === 'count')) {
    const said = tok.decode([sequence.ids[q.query + 1]]).trim();
    const answered = tok.decode([predicted[q.query]]).trim(); // the model's argmax there
    const text = tok.decode(sequence.ids.slice(q.query - 3, q.query + 1));
    const region = REGION_ORDER.filter((r) => text.endsWith(r)).sort((a, b) => b.length - a.length)[0]; // "the upper left", not "left"
    const inRegion = sample.targets.filter((_, i) => plan.scan?.ofTargets[i] === region);
    const n = inRegion.length;
    const areaCells = targetTokens(inRegion, size, side); // the cells the area's targets cover
    const row = attention[q.query];
    const g = groups.get(n) ?? { positions: 0, masses: [], peaks: [], detected: [], fineDetected: [], detectedWhere: [0, 0, 0, 0], sink: 0, targets: 0, centres: 0, cells: 0, right: 0 };
    groups.set(n, g);
    g.positions++;
    const image = row.slice(start, start + model.tokensPerImage);
    const mass = image.reduce((a, b) => a + b, 0);
    g.masses.push(mass);
    // how many cells it looks at: 1/Σp² of its attention over the image, normalised (1 for one cell, 2 for two alike)
    g.cells += mass > 0 ? 1 / image.reduce((a, p) => a + (p / mass) ** 2, 0) : 0;
    // the peaks a countPeaks model reads (vlm.ts attentionPeaks): Σr⁴, r = each cell's attention over the top cell's
    const top = Math.max(...image);
    g.peaks.push(top > 0 ? image.reduce((a, p) => a + (p / top) ** 4, 0) : 0);
    if (detection.length) {
      const scores = detection[q.query];
      const marked = new Set((q.detect ?? []).filter((d) => d.centre).map((d) => d.key));
      const areaKeys = new Set(areaCells.map((k) => start + k));
      let sum = 0;
      scores.forEach((p, k) => {
        sum += p;
        g.detectedWhere[marked.has(k) ? 0 : areaKeys.has(k) ? 1 : coveredKeys.has(k) ? 2 : 3] += p;
      });
      g.detected.push(sum);
      if (fineSums.length) g.fineDetected.push(fineSums[q.query]);
      const nearBorder = countAreas === 'view' ? sample.targets.some((t) => viewScanBorderDistance(t, size) < 1 && viewScanAreaDistance(t, size, region) < 1) : undefined;
      entries.push({ n, sum, fineSum: fineSums.length ? fineSums[q.query] : undefined, right: answered === said, nearBorder });
      if (fineSums.length) scene.fine += fineSums[q.query], scene.fineRounded += Math.round(fineSums[q.query]);
      const bucket = Math.min(3, Math.round(sum));
      const numbers = saidBySum.get(bucket) ?? new Map<string, number>();
      saidBySum.set(bucket, numbers.set(answered, (numbers.get(answered) ?? 0) + 1));
    }
    g.centres += q.keys.reduce((a, k) => a + row[k], 0);
    g.sink += row[0];
    g.targets += areaCells.reduce((a, k) => a + row[start + k], 0);
    if (answered === said) g.right++;
    scene.said += Number(answered) || 0;
    scene.entries++;
  }
  // a scan over the whole view only (not a closer look's crop): its entries add up to the scene's count
  if (scene.entries === 9 && !plan.scan?.closer?.length) scenes_.push(scene);
}
/** The q-quantile of sorted values (nearest rank). */
const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
/** The 10%, 50% and 90% quantiles. */
const deciles = (values: readonly number[]) => [0.1, 0.5, 0.9].map((q) => quantile([...values].sort((a, b) => a - b), q));
/** The share of sums that round to n (null for none). */
const roundsTo = (sums: readonly number[], n: number) => (sums.length ? sums.filter((v) => Math.round(v) === n).length / sums.length : null);
const byCount = [...groups].sort(([a], [b]) => a - b).map(([n, g]) => ({
  n, positions: g.positions, imageMass: g.masses.reduce((a, b) => a + b, 0) / g.positions,
  imageMassDeciles: deciles(g.masses), sinkMass: g.sink / g.positions,
  peaksDeciles: deciles(g.peaks),
  detectorDeciles: g.detected.length ? deciles(g.detected) : null,
  /** The detector's mean sum on the centre keys it should mark / the area's targets' other cells / other areas' targets / elsewhere. */
  detectorWhere: g.detected.length ? g.detectedWhere.map((m) => m / g.positions) : null,
  /** How often the detector's rounded sum is n. */
  detectorRight: roundsTo(g.detected, n),
  fineDeciles: g.fineDetected.length ? deciles(g.fineDetected) : null,
  fineRight: roundsTo(g.fineDetected, n),
  targetMass: g.targets / g.positions, centreMass: g.centres / g.positions, cellsLookedAt: g.cells / g.positions, rightNumber: g.right / g.positions,
}));
for (const r of byCount) {
  console.log(`n=${r.n}  ${String(r.positions).padStart(4)} positions  image ${r.imageMass.toFixed(3)} (10/50/90%: ${r.imageMassDeciles.map((m) => m.toFixed(2)).join('/')}; n/(n+1) = ${(r.n / (r.n + 1)).toFixed(3)})  sink ${r.sinkMass.toFixed(3)}  targets ${r.targetMass.toFixed(3)}  centres ${r.centreMass.toFixed(3)}  cells looked at ${r.cellsLookedAt.toFixed(2)}  peaks Σr⁴ 10/50/90% ${r.peaksDeciles.map((m) => m.toFixed(2)).join('/')}${r.detectorDeciles ? `  detector Σ 10/50/90% ${r.detectorDeciles.map((m) => m.toFixed(2)).join('/')} (mean on centres / the area's targets' other cells / other areas' targets / elsewhere ${r.detectorWhere!.map((m) => m.toFixed(2)).join(' / ')}), rounds to n ${(100 * r.detectorRight!).toFixed(1)}%` : ''}${r.fineDeciles ? `  fine Σ 10/50/90% ${r.fineDeciles.map((m) => m.toFixed(2)).join('/')}, rounds to n ${(100 * r.fineRight!).toFixed(1)}%` : ''}  number right ${(100 * r.rightNumber).toFixed(1)}%`);
}
const saidBySumRows = [...saidBySum].sort(([a], [b]) => a - b).map(([bucket, said]) => ({ sum: bucket, said: Object.fromEntries([...said].sort(([a], [b]) => a.localeCompare(b))) }));
for (const { sum, said } of saidBySumRows) console.log(`detector Σ ≈ ${sum}${sum === 3 ? '+' : ''}: says ${Object.entries(said).map(([n, k]) => `${n}×${k}`).join(' ')}`);
/** How often a readout that sees only `sumOf` could say the count: each 0.25-wide bin of sums says its commonest count. */
function bestReadout(sumOf: (e: (typeof entries)[number]) => number): number {
  const bins = new Map<number, Map<number, number>>(); // bin → count → entries
  for (const e of entries) {
    const key = Math.floor(sumOf(e) / 0.25);
    const bin = bins.get(key) ?? new Map<number, number>();
    bins.set(key, bin.set(e.n, (bin.get(e.n) ?? 0) + 1));
  }
  return [...bins.values()].reduce((a, bin) => a + Math.max(...bin.values()), 0) / entries.length;
}
const readouts = entries.length
  ? {
      model: entries.filter((e) => e.right).length / entries.length,
      detectorSum: bestReadout((e) => e.sum),
      fineSum: model.config.fineDetector ? bestReadout((e) => e.fineSum!) : null,
    }
  : null;
if (readouts) console.log(`scan entries' numbers right: the model ${(100 * readouts.model).toFixed(1)}%; the best readout of the detector's sum alone ${(100 * readouts.detectorSum).toFixed(1)}%${readouts.fineSum === null ? '' : `, of the fine sum alone ${(100 * readouts.fineSum).toFixed(1)}%`} (${entries.length} entries)`);
if (countAreas === 'view' && entries.length) {
  const share = (list: typeof entries, right: (e: (typeof entries)[number]) => boolean) => `${list.filter(right).length} / ${list.length} (${((100 * list.filter(right).length) / Math.max(1, list.length)).toFixed(1)}%)`;
  for (const near of [true, false]) {
    const list = entries.filter((e) => e.nearBorder === near && e.n > 0);
    console.log(`scan entries of areas holding targets, ${near ? 'a' : 'no'} counted centre within 1 view px of the area's border: the model right ${share(list, (e) => e.right)}${model.config.fineDetector ? `, the fine sum rounds to n ${share(list, (e) => Math.round(e.fineSum!) === e.n)}` : ''}`);
  }
  const emptyNear = entries.filter((e) => e.nearBorder && e.n === 0);
  console.log(`empty areas beside a counted centre within 1 view px of their border: the model right ${share(emptyNear, (e) => e.right)}${model.config.fineDetector ? `, the fine sum rounds to 0 ${share(emptyNear, (e) => Math.round(e.fineSum!) === 0)}` : ''}`);
}
if (scenes_.length && model.config.fineDetector) {
  const right = (f: (s: (typeof scenes_)[number]) => number) => `${(100 * scenes_.filter((s) => f(s) === s.truth).length / scenes_.length).toFixed(1)}%`;
  console.log(`scenes scanned in one pass (${scenes_.length}): the total right if the model's numbers are added ${right((s) => s.said)}, the fine sums rounded then added ${right((s) => s.fineRounded)}, added then rounded ${right((s) => Math.round(s.fine))}`);
}
const mix = model.vlm.weights['decoder.detect.fine.mix'];
if (mix) console.log(`fine detector's mix ${mix.dataSync()[0].toFixed(3)} (the scan reads s + mix·(s_fine − s))`);
await mkdir('runs/eval', { recursive: true });
const out = `runs/eval/${modelName(args.model)}-count.json`;
await writeFile(out, JSON.stringify({ model: args.model, seeds: [firstSeed, firstSeed + scenes], byCount, saidByDetectorSum: saidBySumRows, readouts, entries }, null, 2));
console.log(`wrote ${out}`);
model.dispose();
