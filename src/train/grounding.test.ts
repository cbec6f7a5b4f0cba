import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintModel } from '../model/squint-model';
import { Vlm } from '../model/vlm';
import { buildTokenizerJson, SquintTokenizer } from '../model/tokenizer';
import { pixelBox, VIEW_GRID } from '../world/boxes';
import { REGION_ORDER, regionName, scanArea, viewScanAreaCells } from '../world/regions';
import type { Sample } from '../world/types';
import { createNodeCanvas } from '../world/node-canvas';
import { Adam } from './adam';
import { disposeBatch, makeBatch } from './batch';
import { makeExample, tokenizerCorpus } from './data';
import { DEFAULT_MIX } from './oracle';
import { GROUND_HEAD, aimLoss, trustLoss, centreTokens, coverageShares, detectionLoss, fineOffset, emphasiseGrounded, gateLoss, groundLayer, groundingLoss, targetTokens, viewTargetTokens } from './grounding';
import { sftStep, toVariables } from './sft';

/** The region name a count scan entry's query ends ("…, the upper left" → the upper left, not "the left"). */
const regionEndingAt = (tok: SquintTokenizer, ids: readonly number[], query: number) =>
  REGION_ORDER.filter((r) => tok.decode(ids.slice(query - 3, query + 1)).endsWith(r)).sort((a, b) => b.length - a.length)[0];

describe('targetTokens', () => {
  it('names the cells of the token grid a target overlaps, on the letterboxed view', () => {
    const square = { width: 400, height: 400 };
    expect(targetTokens([pixelBox(10, 10, 20, 20)], square, 4)).toEqual([0]);
    expect(targetTokens([pixelBox(90, 90, 110, 110)], square, 4)).toEqual([0, 1, 4, 5]); // straddles a corner
    expect(targetTokens([pixelBox(380, 300, 390, 310)], square, 4)).toEqual([15]);
    // a box ending exactly on a cell border stays in its cell
    expect(targetTokens([pixelBox(0, 0, 100, 100)], square, 4)).toEqual([0]);
    // 800×400 letterboxed: the image fills the middle half of the view's rows
    expect(targetTokens([pixelBox(0, 0, 10, 10)], { width: 800, height: 400 }, 4)).toEqual([4]);
    expect(targetTokens([pixelBox(0, 0, 10, 10), pixelBox(790, 390, 800, 400)], { width: 800, height: 400 }, 4)).toEqual([4, 11]);
  });

  it('centreTokens names the one cell holding each target\'s centre, one entry per target', () => {
    const square = { width: 400, height: 400 };
    // straddling four cells, its centre (100, 100) lies in cell (1, 1)
    expect(centreTokens([pixelBox(90, 90, 110, 110), pixelBox(10, 10, 20, 20), pixelBox(12, 12, 18, 18)], square, 4)).toEqual([5, 0, 0]);
  });

  it('in a crop, names the cells of the crop\'s own grid, and nothing for a target outside it', () => {
    const crop = pixelBox(200, 100, 300, 200);
    expect(viewTargetTokens([pixelBox(260, 160, 270, 170)], crop, 4)).toEqual([10]); // at (60, 60) of 100
    expect(viewTargetTokens([pixelBox(10, 10, 20, 20)], crop, 4)).toEqual([]);
    // a target half inside counts where it is inside
    expect(viewTargetTokens([pixelBox(290, 100, 320, 110)], crop, 4)).toEqual([3]);
  });
});

const colourOfTarget = (sample: Sample) => (id: number) => sample.scene.objects.find((o) => o.id === id)!.colour;

describe('grounding queries and loss', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(300)));
  const config = presetConfig('tiny-conv', tok.vocabSize);

  it('a query sits on " the" before each trained region word (the global view targets in that region), before each colour word naming targets before the first crop (the targets of that colour), before each coordinate of a trained box (the view it is written on) and before the answer word in the last thought (the latest view)', () => {
    const model = new SquintModel(config, tok, initWeights(config, 3));
    const imageId = tok.special('<image>');
    const K = model.tokensPerImage;
    let queries = 0;
    let perObject = 0;
    let perColour = 0;
    let scanned = 0; // the numbers of a count's scan ("…, the top 2")
    let emptyScanned = 0;
    const boxes = { view: 0, crop: 0 };
    for (let seed = 300; seed < 360; seed++) {
      const { sample, sequence } = makeExample(model, seed, createNodeCanvas);
      const starts = sequence.ids.flatMap((id, t) => (id === imageId && sequence.ids[t - 1] !== imageId ? [t] : []));
      const size = { width: sample.scene.width, height: sample.scene.height };
      const globalKeys = targetTokens(sample.targets, size, 2).map((k) => starts[0] + k);
      let regions = 0;
      let coordinates = 0;
      let answers = 0;
      let colours = 0;
      let scans = 0;
      let frame: 'view' | 'crop' = 'view';
      for (const q of sequence.grounding) {
        const here = tok.decode([sequence.ids[q.query]]);
        const next = tok.decode([sequence.ids[q.query + 1]]);
        expect(sequence.weights[q.query + 1]).toBeGreaterThan(0);
        queries++;
        const answerAt = sequence.ids.indexOf(tok.special('<answer>'));
        const listed = /( in|,| and)$/.test(tok.decode(sequence.ids.slice(q.query - 3, q.query)));
        const regionQuery = here === ' the' && listed && /^ (upper|lower|left|right|centre|top|bottom)$/.test(next);
        if (q.kind === 'count') {
          // the total after a region of a count's scan looks at the targets in that region, or at the whole region when none lies there
          expect(next).toMatch(/^ \d$/);
          const named = regionEndingAt(tok, sequence.ids, q.query);
          const inRegion = sample.targets.filter((t) => regionName(t, size) === named);
          const col = REGION_ORDER.indexOf(named) % 3;
          const row = Math.floor(REGION_ORDER.indexOf(named) / 3);
          const third = pixelBox((col * size.width) / 3, (row * size.height) / 3, ((col + 1) * size.width) / 3, ((row + 1) * size.height) / 3);
          expect(q.keys).toEqual(targetTokens(inRegion.length ? inRegion : [third], size, 2).map((k) => starts[0] + k));
          if (!inRegion.length) emptyScanned++;
          scanned++;
          scans++;
          continue;
        }
        const colourOf = colourOfTarget(sample);
        const colourQuery = here === ' the' && sample.targetIds.some((id) => ` ${colourOf(id)}` === next) && q.query < (starts[1] ?? sequence.ids.length);
        if (colourQuery) {
          // the targets of the colour it names (a relation's two objects each get their own)
          const named = sample.targets.filter((_, i) => ` ${colourOf(sample.targetIds[i])}` === next);
          expect(q.keys).toEqual(targetTokens(named, size, 2).map((k) => starts[0] + k));
          if (named.length < sample.targets.length) perColour++;
          expect(q.kind).toBe('colour');
          colours++;
          continue;
        }
        if (q.query > sequence.ids.lastIndexOf(tok.special('<think>')) && !regionQuery) {
          expect(q.query).toBeLessThan(answerAt);
          expect(next.trim()).toBe(tok.decode([sequence.ids[answerAt + 1]]).trim());
          // the answer as the last thought says it looks at the latest view: the last crop, or the global view when it answers directly
          const block = starts.filter((st) => st < q.query).length - 1;
          const view = sequence.views[block];
          const local = sample.targets.map((t) => pixelBox(t[0] - view[0], t[1] - view[1], t[2] - view[0], t[3] - view[1]));
          expect(q.keys).toEqual(targetTokens(local, { width: view[2] - view[0], height: view[3] - view[1] }, 2).map((k) => starts[block] + k));
          expect(q.kind).toBe('answer');
          answers++;
          continue;
        }
        if (regionQuery) {
          // the targets in the region it names (a relation's or a count's several targets each get their own)
          const named = REGION_ORDER.filter((r) => tok.decode(sequence.ids.slice(q.query, q.query + 3)).startsWith(` ${r}`)).sort((a, b) => b.length - a.length)[0];
          const inRegion = sample.targets.filter((t) => regionName(t, size) === named);
          expect(q.keys).toEqual(inRegion.length ? targetTokens(inRegion, size, 2).map((k) => starts[0] + k) : globalKeys);
          if (sample.targets.length > 1 && inRegion.length < sample.targets.length) perObject++;
          expect(q.kind).toBe('region');
          regions++;
          continue;
        }
        expect(here).toMatch(/bbox_(view|crop)":\[$|^,$/);
        expect(next).toMatch(/^\d+$/);
        if (here !== ',') frame = here.includes('bbox_view') ? 'view' : 'crop';
        expect(q.kind).toBe(`${frame} box`);
        // a global-view box looks at the global view; a crop box at the latest crop before it
        const block = frame === 'view' ? 0 : starts.filter((st) => st < q.query).length - 1;
        expect(block).toBeGreaterThanOrEqual(frame === 'view' ? 0 : 1);
        const view = sequence.views[block];
        const local = sample.targets.map((t) => pixelBox(t[0] - view[0], t[1] - view[1], t[2] - view[0], t[3] - view[1]));
        expect(q.keys).toEqual(targetTokens(local, { width: view[2] - view[0], height: view[3] - view[1] }, 2).map((k) => starts[block] + k));
        expect(q.keys.every((k) => k >= starts[block] && k < starts[block] + K)).toBe(true);
        coordinates++;
        if (coordinates % 4 === 0) boxes[frame]++;
      }
      // every trained "in the <region>" and box has its queries; untrained ones (a deliberate miss) do not
      const text = sequence.ids.map((id, t) => (sequence.weights[t] > 0 ? tok.decode([id]) : '\u0000')).join('');
      const regionNames = 'upper left|upper right|lower left|lower right|top|left|centre|right|bottom';
      expect(regions).toBe(text.match(new RegExp(`( in|,| and) the (${regionNames})(?! \\d)`, 'g'))?.length ?? 0);
      expect(scans).toBe(text.match(new RegExp(`the (${regionNames}) \\d`, 'g'))?.length ?? 0);
      expect(scans % 9).toBe(0); // a scan names all nine regions
      expect(coordinates).toBe(4 * (text.match(/bbox_(view|crop)":\[/g)?.length ?? 0));
      expect(answers).toBe(1);
      const beforeCrop = sequence.ids.slice(0, starts[1] ?? sequence.ids.length).map((id, t) => (sequence.weights[t] > 0 ? tok.decode([id]) : '\u0000')).join('');
      const colourWords = sample.targetIds.map(colourOfTarget(sample)).join('|');
      expect(colours).toBe(beforeCrop.match(new RegExp(` the (${colourWords}) (object|shape)`, 'g'))?.length ?? 0);
    }
    expect(queries).toBeGreaterThan(20);
    expect(perObject).toBeGreaterThan(5);
    expect(perColour).toBeGreaterThan(5); // a relation's two objects
    expect(scanned).toBeGreaterThan(9);
    expect(emptyScanned).toBeGreaterThan(9); // most of a scan's regions hold nothing
    expect(boxes.view).toBeGreaterThan(5);
    expect(boxes.crop).toBeGreaterThan(0);
    model.dispose();
  });

  it('emphasiseGrounded raises the weight of each word a query predicts, leaves untrained and other tokens alone', () => {
    const weights = [0, 1, 1, 3, 0, 1];
    const grounding = [{ query: 1, keys: [0] }, { query: 2, keys: [0] }, { query: 3, keys: [0] }];
    expect(emphasiseGrounded(weights, grounding, 5)).toEqual([0, 1, 5, 5, 0, 1]); // position 4 is untrained: stays 0
    expect(emphasiseGrounded(weights, grounding, 1)).toEqual(weights);
    expect(weights).toEqual([0, 1, 1, 3, 0, 1]); // not mutated
  });

  it('is −log of the head\'s attention mass on the targets, averaged over queries', async () => {
    // B 1, H 2, T 3: query 2 attends 0.2 / 0.3 / 0.5 with head 0; targets are keys 0 and 2
    const attention = tf.tensor4d([[[[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]], [[1, 0, 0], [1, 0, 0], [0, 1, 0]]]]);
    const mask = tf.tensor3d([[[0, 0, 0], [0, 0, 0], [1, 0, 1]]]);
    const queries = tf.tensor2d([[0, 0, 1]]);
    expect((await groundingLoss(attention, { mask, queries, sink: null, split: null }).data())[0]).toBeCloseTo(-Math.log(0.7), 5);
    expect((await groundingLoss(attention, { mask, queries, sink: null, split: null }, 1).data())[0]).toBeCloseTo(-Math.log(1e-6), 3); // clamped
    tf.dispose([attention, mask, queries]);
  });

  it('with a sink share f, is −[(1−f)·log(mass on the targets) + f·log(mass on the first token)]', async () => {
    const attention = tf.tensor4d([[[[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]]]]);
    const mask = tf.tensor3d([[[0, 0, 0], [0, 0, 0], [0, 0, 1]]]);
    const queries = tf.tensor2d([[0, 1, 1]]);
    const sink = tf.tensor2d([[0, 1, 0.25]]); // query 1 looks at no target: all its mass belongs on the sink
    const want = (-Math.log(0.5) - (0.75 * Math.log(0.5) + 0.25 * Math.log(0.2))) / 2;
    expect((await groundingLoss(attention, { mask, queries, sink, split: null }).data())[0]).toBeCloseTo(want, 5);
    tf.dispose([attention, mask, queries, sink]);
  });

  it('a split query pays −mean log(attention) over its keys: one key taking it all is worse than an even split', async () => {
    const mask = tf.tensor3d([[[0, 0, 0], [0, 0, 0], [0, 1, 1]]]);
    const queries = tf.tensor2d([[0, 0, 1]]);
    const split = tf.tensor2d([[0, 0, 1]]);
    const loss = async (row: number[]) => {
      const attention = tf.tensor4d([[[[1, 0, 0], [0.5, 0.5, 0], row]]]);
      const [value] = await groundingLoss(attention, { mask, queries, sink: null, split }).data();
      attention.dispose();
      return value;
    };
    expect(await loss([0.1, 0.45, 0.45])).toBeCloseTo(-Math.log(0.45), 5);
    expect(await loss([0.1, 0.8, 0.1])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.1)) / 2, 5);
    // the union's loss is the same for both (mass 0.9 on the keys); the split's prefers the even one
    expect(await loss([0.1, 0.45, 0.45])).toBeLessThan(await loss([0.1, 0.8, 0.1]));
    // a weight w scales the term (and still replaces the union's)
    const heavy = tf.tensor2d([[0, 0, 4]]);
    const attention = tf.tensor4d([[[[1, 0, 0], [0.5, 0.5, 0], [0.1, 0.45, 0.45]]]]);
    expect((await groundingLoss(attention, { mask, queries, sink: null, split: heavy }).data())[0]).toBeCloseTo(-4 * Math.log(0.45), 4);
    tf.dispose([mask, queries, split, heavy, attention]);
  });

  it('the detector pays the binary cross-entropy of every image token\'s score against "a counted centre is here", summed over tokens, averaged over entries', async () => {
    // B 1, T 4: keys 0..1 are text, 2..3 image; entry 3 has a centre at key 2 and none at key 3
    const detection = tf.tensor3d([[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0.5, 0], [0, 0, 0.8, 0.1]]]);
    const targets = tf.tensor3d([[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]]);
    const queries = tf.tensor2d([[0, 0, 0, 1]]);
    const imageKeys = tf.tensor2d([[0, 0, 1, 1]]);
    const [value] = await detectionLoss(detection, { targets, queries }, imageKeys).data();
    expect(value).toBeCloseTo(-(Math.log(0.8) + Math.log(0.9)), 4); // text keys (score 0, target 0) add nothing
    const [weighted] = await detectionLoss(detection, { targets, queries }, imageKeys, 3).data();
    expect(weighted).toBeCloseTo(-(3 * Math.log(0.8) + Math.log(0.9)), 4); // only the centre's term is scaled
    tf.dispose([detection, targets, queries, imageKeys]);
  });

  it('the count gate pays for being shut at a scan entry and open at any other written token, each kind averaged on its own; unwritten positions are free', async () => {
    // B 1, T 5: position 0 is the prompt (not written), 1..2 ordinary tokens, 3 a scan entry, 4 ordinary
    const written = tf.tensor2d([[0, 1, 1, 1, 1]]);
    const entries = tf.tensor2d([[0, 0, 0, 1, 0]]);
    const gate = tf.tensor3d([[[0.99], [0.1], [0.2], [0.7], [0.3]]]);
    const [value] = await gateLoss(gate, entries, written).data();
    expect(value).toBeCloseTo(-Math.log(0.7) - (Math.log(0.9) + Math.log(0.8) + Math.log(0.7)) / 3, 4); // position 0's open gate costs nothing
    // a batch without a count: only the shut term, over every written position
    const [noEntries] = await gateLoss(gate, null, written).data();
    expect(noEntries).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.3) + Math.log(0.7)) / 4, 4);
    // the right gate (open at the entry, shut elsewhere) costs next to nothing
    const right = tf.tensor3d([[[0.5], [1e-4], [1e-4], [1 - 1e-4], [1e-4]]]);
    expect((await gateLoss(right, entries, written).data())[0]).toBeLessThan(1e-3);
    tf.dispose([written, entries, gate, right]);
  });

  it('a sink the head barely looks at (1e-12) still gets the full gradient: −log stays unclamped there', () => {
    const scores = tf.tensor4d([[[[0, 30, 0], [0, 0, 0], [-27.6, 0, 0]]]]); // query 2 puts ~1e-12 on the first token
    const mask = tf.tensor3d([[[0, 0, 0], [0, 0, 0], [0, 1, 0]]]);
    const queries = tf.tensor2d([[0, 0, 1]]);
    const sink = tf.tensor2d([[0, 0, 1]]); // all of query 2's mass belongs on the sink
    const grad = tf.grad((s: tf.Tensor) => groundingLoss(tf.softmax(s) as tf.Tensor4D, { mask, queries, sink, split: null }))(scores);
    // d(−log p0)/d s0 = −(1 − p0) ≈ −1
    expect((grad.arraySync() as number[][][][])[0][0][2][0]).toBeCloseTo(-1, 3);
    tf.dispose([scores, mask, queries, sink, grad]);
  });

  it('a countMass model\'s count scan looks at one centre cell per target in each region and at the first token, sink 1/(n+1)', () => {
    const tally = presetConfig('tiny-tally', tok.vocabSize);
    const model = new SquintModel(tally, tok, initWeights(tally, 3));
    const imageId = tok.special('<image>');
    const shares = new Set<number>();
    let counted = 0;
    for (let seed = 500; seed < 520; seed++) {
      const { sample, sequence } = makeExample(model, seed, createNodeCanvas, { families: ['count'] });
      const start = sequence.ids.indexOf(imageId);
      const size = { width: sample.scene.width, height: sample.scene.height };
      for (const q of sequence.grounding.filter((g) => g.kind === 'count')) {
        const named = regionEndingAt(tok, sequence.ids, q.query);
        const inRegion = sample.targets.filter((t) => regionName(t, size) === named);
        expect(q.sink).toBeCloseTo(1 / (inRegion.length + 1), 10);
        shares.add(inRegion.length);
        // one key per target, each among the cells its target covers; fewer only where two centres share a cell
        expect(q.keys.length).toBeLessThanOrEqual(inRegion.length);
        if (inRegion.length) expect(q.keys.length).toBeGreaterThan(0);
        const covered = targetTokens(inRegion, size, 4).map((k) => start + k);
        for (const k of q.keys) expect(covered).toContain(k);
        counted++;
      }
    }
    expect(counted).toBeGreaterThan(45);
    expect([...shares].sort()).toEqual(expect.arrayContaining([0, 1, 2])); // empty regions, one object, two
    model.dispose();
  });

  it('on view scan areas, a count scan entry looks at the centre cells of the targets counted in its area, or at the whole area', () => {
    const config = presetConfig('tiny-fine', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 3));
    const side = Math.sqrt(model.tokensPerImage);
    const imageId = tok.special('<image>');
    let [counted, empty, differ] = [0, 0, 0];
    for (let seed = 600; seed < 620; seed++) {
      const { sample, sequence, plan } = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...DEFAULT_MIX, countAreas: 'view' });
      const start = sequence.ids.indexOf(imageId);
      const size = { width: sample.scene.width, height: sample.scene.height };
      expect(plan.scan?.areas).toBe('view');
      if (sample.targets.some((t) => scanArea(t, size, 'view') !== regionName(t, size))) differ++;
      for (const q of sequence.grounding.filter((g) => g.kind === 'count')) {
        const named = regionEndingAt(tok, sequence.ids, q.query);
        const inArea = sample.targets.filter((t) => scanArea(t, size, 'view') === named);
        const want = inArea.length ? [...new Set(centreTokens(inArea, size, side))].sort((a, b) => a - b) : viewScanAreaCells(named, side);
        expect(q.keys).toEqual(want.map((k) => start + k));
        // the number the scan says is how many targets the area holds
        expect(tok.decode([sequence.ids[q.query + 1]]).trim()).toBe(String(inArea.length));
        if (!inArea.length) empty++;
        counted++;
      }
    }
    expect(counted).toBe(20 * 9);
    expect(empty).toBeGreaterThan(20);
    expect(differ).toBeGreaterThan(0); // some targets' area is not their third: the two conventions do differ
    model.dispose();
  });

  /**
   * Each count scan entry of the count examples from seeds 600–614 for a fresh model of `preset`,
   * one list per example: its query, how many targets its area holds, and the sorted sequence
   * keys of those targets' centre cells.
   */
  const countScanEntries = (preset: 'tiny-peaks' | 'tiny-detector', areas: 'thirds' | 'view') => {
    const config = presetConfig(preset, tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 3));
    const side = Math.sqrt(model.tokensPerImage);
    const examples = [];
    for (let seed = 600; seed < 615; seed++) {
      const { sample, sequence, plan } = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...DEFAULT_MIX, countAreas: areas });
      const start = sequence.ids.indexOf(tok.special('<image>'));
      const size = { width: sample.scene.width, height: sample.scene.height };
      examples.push(sequence.grounding.filter((g) => g.kind === 'count').map((query) => {
        const named = regionEndingAt(tok, sequence.ids, query.query);
        const inArea = sample.targets.filter((_, i) => plan.scan?.ofTargets[i] === named);
        const centreKeys = [...new Set(centreTokens(inArea, size, side))].sort((a, b) => a - b).map((k) => start + k);
        return { query, held: inArea.length, centreKeys };
      }));
    }
    model.dispose();
    return examples;
  };

  it.each(['thirds', 'view'] as const)('a countPeaks model\'s count scan splits its look evenly over the centre cells of the targets in an area; an empty area is looked at whole, unsplit (%s)', (areas) => {
    let [split, whole] = [0, 0];
    for (const { query: q, held, centreKeys } of countScanEntries('tiny-peaks', areas).flat()) {
      expect(q.split ?? 0).toBe(held > 0 ? 1 : 0);
      if (held) {
        expect(q.keys).toEqual(centreKeys);
        split++;
      } else whole++;
    }
    expect(split).toBeGreaterThan(15);
    expect(whole).toBeGreaterThan(15);
  });

  it('a countDetector model\'s count scan entries give the detector the centres of the targets in their area and the shares of them each cell holds (nothing for an empty area)', () => {
    let [marked, empty, spread] = [0, 0, 0];
    for (const entries of countScanEntries('tiny-detector', 'view')) {
      expect(entries.length).toBe(9);
      for (const { query: q, held, centreKeys } of entries) {
        expect(q.detect!.filter((d) => d.centre).map((d) => d.key)).toEqual(centreKeys);
        // the shares are each object's box split over the cells it covers: they sum to the count
        expect(q.detect!.reduce((sum, d) => sum + d.share, 0)).toBeCloseTo(held, 6);
        for (const d of q.detect!) expect(d.share).toBeGreaterThanOrEqual(0);
        if (q.detect!.some((d) => d.share > 0 && d.share < 1)) spread++;
        if (held) marked++;
        else empty++;
      }
    }
    expect(marked).toBeGreaterThan(15);
    expect(empty).toBeGreaterThan(15);
    expect(spread).toBeGreaterThan(5); // objects straddle cell borders: the shares are not the centre marks again
  });

  it('fineOffset numbers a 4-px cell by its token (row-major) and its place in it (row, then column)', () => {
    // side 4: the 4-px grid is 8×8; cell (row 3, column 2) is in token (1, 1) = 5, lower left of it
    expect(fineOffset(3 * 8 + 2, 4)).toBe(4 * 5 + 2);
    expect(fineOffset(0, 4)).toBe(0);
    expect(fineOffset(1, 4)).toBe(1);
    expect(fineOffset(8, 4)).toBe(2);
    expect(fineOffset(63, 4)).toBe(4 * 15 + 3);
    expect(new Set(Array.from({ length: 64 }, (_, c) => fineOffset(c, 4))).size).toBe(64);
  });

  it('a fineDetector model\'s count entries, on the view and in closer looks\' crops, teach the fine detector the 4-px cells\' shares: the four cells of a token add up to its share', () => {
    const config = presetConfig('tiny-fine-detector', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 3));
    const imageId = tok.special('<image>');
    let [entries, crops, finer] = [0, 0, 0];
    for (let seed = 700; seed < 730; seed++) {
      const { sequence } = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...DEFAULT_MIX, countAreas: 'view', countCloser: 0.25 });
      const starts = sequence.ids.flatMap((id, t) => (id === imageId && sequence.ids[t - 1] !== imageId ? [t] : []));
      for (const q of sequence.grounding.filter((g) => g.kind === 'count')) {
        const byToken = new Map<number, number>();
        for (const d of q.detectFine!) byToken.set(Math.floor(d.key / 4), (byToken.get(Math.floor(d.key / 4)) ?? 0) + d.share);
        const coarse = new Map(q.detect!.filter((d) => d.share > 0).map((d) => [d.key, d.share]));
        expect([...byToken.keys()].sort((a, b) => a - b)).toEqual([...coarse.keys()].sort((a, b) => a - b));
        for (const [key, share] of coarse) expect(byToken.get(key)!).toBeCloseTo(share, 6);
        const block = starts.findLastIndex((s) => s <= q.detect![0]?.key);
        for (const d of q.detectFine!) expect(Math.floor(d.key / 4) - starts[block]).toBeLessThan(model.tokensPerImage);
        if (q.detectFine!.length > q.detect!.length) finer++;
        if (q.query > starts[1]) crops++;
        entries++;
      }
    }
    expect(entries).toBeGreaterThan(100);
    expect(crops).toBeGreaterThan(3);
    expect(finer).toBeGreaterThan(10); // objects cover more 4-px cells than tokens
    model.dispose();
  });

  it('a count that looks closer: its ? entries teach the detector like numbered ones; each crop\'s count looks at the targets of its area in that crop; its boxes look at that area; its answer at the global view', () => {
    const config = presetConfig('tiny-detector', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 3));
    const side = Math.sqrt(model.tokensPerImage);
    const imageId = tok.special('<image>');
    let looks = 0;
    for (let seed = 700; seed < 740; seed++) {
      const { sample, sequence, plan } = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...DEFAULT_MIX, countAreas: 'view', countCloser: 0.25 });
      if (plan.kind !== 'closer') continue;
      const size = { width: sample.scene.width, height: sample.scene.height };
      const starts = sequence.ids.flatMap((id, t) => (id === imageId && sequence.ids[t - 1] !== imageId ? [t] : []));
      const blockOf = (key: number) => starts.findLastIndex((s) => s <= key);
      const counts = sequence.grounding.filter((g) => g.kind === 'count');
      const scan = counts.filter((g) => g.query < starts[1]);
      expect(scan).toHaveLength(9); // the "?" entries too
      for (const q of scan) {
        const named = regionEndingAt(tok, sequence.ids, q.query);
        const held = sample.targets.filter((_, i) => plan.scan!.ofTargets[i] === named).length;
        expect(q.detect!.filter((d) => d.centre).length).toBe(new Set(centreTokens(sample.targets.filter((_, i) => plan.scan!.ofTargets[i] === named), size, side)).size);
        expect(q.detect!.reduce((sum, d) => sum + d.share, 0)).toBeCloseTo(held, 6);
      }
      const crops = counts.filter((g) => g.query >= starts[1]);
      expect(crops).toHaveLength(plan.scan!.closer!.length);
      crops.forEach((q, k) => {
        const area = plan.scan!.closer![k];
        const held = plan.scan!.ofTargets.filter((r) => r === area).length;
        expect(tok.decode([sequence.ids[q.query + 1]]).trim()).toBe(String(held)); // the query predicts the crop's count
        for (const key of [...q.keys, ...q.detect!.map((d) => d.key)]) expect(blockOf(key)).toBe(k + 1); // in its own crop
        expect(q.detect!.filter((d) => d.centre).length).toBeGreaterThan(0);
        const shares = q.detect!.reduce((sum, d) => sum + d.share, 0);
        expect(shares).toBeLessThanOrEqual(held + 1e-6); // a target cut by the crop's edge keeps only its inside share
        expect(shares).toBeGreaterThan(held / 2);
        looks++;
      });
      const boxes = sequence.grounding.filter((g) => g.kind === 'view box');
      expect(boxes).toHaveLength(4 * plan.scan!.closer!.length);
      boxes.forEach((q, i) => {
        const area = plan.scan!.closer![Math.floor(i / 4)];
        const centres = centreTokens(sample.targets.filter((_, j) => plan.scan!.ofTargets[j] === area), size, side);
        expect(q.keys).toEqual([...new Set(centres)].sort((a, b) => a - b).map((c) => starts[0] + c));
      });
      for (const q of sequence.grounding.filter((g) => g.kind === 'answer')) for (const key of q.keys) expect(blockOf(key)).toBe(0);
    }
    expect(looks).toBeGreaterThan(10);
    model.dispose();
  });

  it('a fineAim model\'s queries all carry the aim: the 4-px cells of the targets they look at, inside the tokens they look at; where they look at whole tokens (a count\'s entries), those tokens\' four cells, never trusted; a shape-named or counting question\'s are never trusted either', () => {
    const aimConfig = presetConfig('tiny-aim', tok.vocabSize);
    const model = new SquintModel(aimConfig, tok, initWeights(aimConfig, 3));
    const imageId = tok.special('<image>');
    const aimed = new Map<string, number>();
    let finer = 0;
    for (let seed = 300; seed < 340; seed++) {
      const { sample, sequence } = makeExample(model, seed, createNodeCanvas, {}, { ...DEFAULT_MIX, countAreas: 'view' });
      const starts = sequence.ids.flatMap((id, t) => (id === imageId && sequence.ids[t - 1] !== imageId ? [t] : []));
      for (const q of sequence.grounding) {
        expect(q.aim?.length).toBeGreaterThan(0);
        // the trust is taught 0 where the question names its target by shape or counts; else where the aim is right
        if (sample.family === 'colour' || sample.family === 'count') expect(q.aimTrusted).toBe(false);
        else if (q.kind !== 'count') expect(q.aimTrusted).toBeUndefined();
        if (q.kind === 'count') {
          expect(q.aim).toEqual(q.keys.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]));
          expect(q.aimTrusted).toBe(false);
          aimed.set('count', (aimed.get('count') ?? 0) + 1);
          continue;
        }
        // each 4-px cell lies in a token the query looks at, and every such token has one
        expect([...new Set(q.aim!.map((k) => Math.floor(k / 4)))].sort((a, b) => a - b)).toEqual([...q.keys]);
        const block = starts.findLastIndex((st) => st <= q.keys[0]);
        expect(q.aim!.every((k) => Math.floor(k / 4) >= starts[block] && Math.floor(k / 4) < starts[block] + model.tokensPerImage)).toBe(true);
        if (q.aim!.length > q.keys.length) finer++;
        aimed.set(q.kind!, (aimed.get(q.kind!) ?? 0) + 1);
      }
    }
    for (const kind of ['region', 'colour', 'view box', 'crop box', 'answer', 'count']) expect(aimed.get(kind) ?? 0).toBeGreaterThan(3);
    expect(finer).toBeGreaterThan(10); // a target covers more 4-px cells than tokens
    // OracleMix.aimDistrusted names the distrusted families: with counts alone, a colour question's region queries are trusted
    const colourSeed = Array.from({ length: 40 }, (_, i) => 300 + i).find((seed) => makeExample(model, seed, createNodeCanvas).sample.family === 'colour')!;
    const trustedColour = makeExample(model, colourSeed, createNodeCanvas, {}, { ...DEFAULT_MIX, aimDistrusted: ['count'] }).sequence.grounding;
    expect(trustedColour.length).toBeGreaterThan(0);
    expect(trustedColour.every((q) => q.aimTrusted === undefined)).toBe(true);
    expect(makeExample(model, colourSeed, createNodeCanvas).sequence.grounding.every((q) => q.aimTrusted === false)).toBe(true);
    // a model without the aim gets no aim targets
    const plain = new SquintModel(config, tok, initWeights(config, 3));
    expect(makeExample(plain, 300, createNodeCanvas).sequence.grounding.every((q) => q.aim === undefined)).toBe(true);
    plain.dispose();
    model.dispose();
  });

  it('the aim pays −log(its mass on the target cells) at each aimed query, averaged, its trust the cross-entropy against "the top cell is a target\'s" (never at a count\'s entry), and against 0 all along a sequence that trusts none; makeBatch gives it one row per query', async () => {
    const ids = [1, 2, 2, 2, 3];
    const seqs = [
      { ids, weights: ids.map(() => 1), images: [], grounding: [{ query: 1, keys: [2], kind: 'view box' as const, aim: [8, 9] }, { query: 3, keys: [4], kind: 'crop box' as const, aim: [17] }] },
      { ids, weights: ids.map(() => 1), images: [], grounding: [{ query: 0, keys: [2], kind: 'answer' as const }, { query: 2, keys: [3], kind: 'count' as const, aim: [12, 13, 14, 15], aimTrusted: false }] },
    ];
    const batch = makeBatch(seqs, 99, 4, 0, [4, 3]);
    const entries = batch.ground!.aim!;
    expect(entries.rows.shape).toEqual([2, 2, 5]);
    expect(entries.queries.arraySync()).toEqual([[1, 1], [1, 0]]);
    expect(entries.trusted.arraySync()).toEqual([[1, 1], [0, 0]]); // the count's entry is aimed but not trusted
    // the second sequence trusts none of its aimed queries: its trust is taught 0 at every written position
    expect(entries.distrusted.arraySync()).toEqual([[0, 0, 0, 0, 0], [1, 1, 1, 1, 0]]);
    const targets = entries.targets.arraySync();
    expect(targets[0][0].flatMap((v, k) => (v ? [k] : []))).toEqual([8, 9]);
    expect(targets[0][1].flatMap((v, k) => (v ? [k] : []))).toEqual([17]);
    // a distribution [2, 5, 20]: position 1 puts 0.3 + 0.2 on cells 8 and 9 (its top, 0.5, on cell 0), position 3
    // puts 0.1 on cell 17, its top; the count's entry all on its cells
    const dist = new Float32Array(2 * 5 * 20);
    dist[1 * 20 + 8] = 0.3, dist[1 * 20 + 9] = 0.2, dist[1 * 20 + 0] = 0.5;
    dist[3 * 20 + 17] = 0.1;
    dist[100 + 2 * 20 + 12] = 1;
    const aim = tf.tensor3d(dist, [2, 5, 20]);
    expect((await aimLoss(aim, entries).data())[0]).toBeCloseTo(-(Math.log(0.5) + Math.log(0.1) + Math.log(1)) / 3, 5);
    // the trust: 0.8 everywhere; right at position 3 alone (the count's entry is not trusted, position 1's top is off)
    const trust = tf.fill([2, 5, 1], 0.8) as tf.Tensor3D;
    expect((await trustLoss(aim, trust, entries).data())[0]).toBeCloseTo(-(Math.log(0.2) + Math.log(0.8) + Math.log(0.2)) / 3 - Math.log(0.2), 5);
    tf.dispose([aim, trust]);
    disposeBatch(batch);
    // no aimed query, no aim rows
    const none = makeBatch([{ ...seqs[1], grounding: seqs[1].grounding.slice(0, 1) }], 99, 4, 0, [4, 3]);
    expect(none.ground!.aim).toBeNull();
    disposeBatch(none);
  });

  it('coverageShares splits a box over the cells it covers by area', () => {
    const size = { width: VIEW_GRID, height: VIEW_GRID }; // view units = pixels
    const cell = VIEW_GRID / 4;
    // a box over the corner where four cells meet, a quarter in each
    const corner = coverageShares(pixelBox(cell - 2, cell - 2, cell + 2, cell + 2), size, 4);
    expect([...corner.keys()].sort((a, b) => a - b)).toEqual([0, 1, 4, 5]);
    for (const share of corner.values()) expect(share).toBeCloseTo(0.25, 10);
    // three quarters in the first column, one in the second
    const across = coverageShares(pixelBox(cell - 1, 1, cell + 3, 3), size, 4);
    expect(across.get(0)).toBeCloseTo(0.25, 10);
    expect(across.get(1)).toBeCloseTo(0.75, 10);
    // a box inside one cell, and a box of no area, are all in one cell
    expect([...coverageShares(pixelBox(1, 1, 3, 3), size, 4)]).toEqual([[0, 1]]);
    expect([...coverageShares(pixelBox(cell + 1, 1, cell + 1, 1), size, 4)]).toEqual([[1, 1]]);
  });

  it('makeBatch gives the fine detector only its entries\' rows: each picks its position, its 4-px cells\' shares capped at 1, padding rows marked off', () => {
    const entry = (query: number, detectFine: { key: number; share: number }[]) => ({ query, keys: [3], kind: 'count' as const, detect: [{ key: 3, centre: true, share: 1 }], detectFine: detectFine.map((d) => ({ ...d, centre: false })) });
    const ids = [1, 2, 2, 2, 2, 2, 2, 3];
    const seqs = [
      { ids, weights: ids.map(() => 1), images: [], grounding: [entry(0, [{ key: 13, share: 0.25 }, { key: 14, share: 1.5 }]), entry(6, [{ key: 20, share: 0.5 }])] },
      { ids, weights: ids.map(() => 1), images: [], grounding: [entry(7, [{ key: 31, share: 1 }])] },
    ];
    const batch = makeBatch(seqs, 99, 6, 0, [4, 3]); // no image blocks: 99 is not in the ids
    const fine = batch.ground!.detect!.fine!;
    expect(fine.rows.shape).toEqual([2, 2, 8]);
    expect(fine.targets.shape).toEqual([2, 2, 32]);
    const [rows, targets, queries] = [fine.rows.arraySync(), fine.targets.arraySync(), fine.queries.arraySync()];
    expect(rows[0][0].indexOf(1)).toBe(0);
    expect(rows[0][1].indexOf(1)).toBe(6);
    expect(rows[1][0].indexOf(1)).toBe(7);
    expect(rows[1][1].every((v) => v === 0)).toBe(true);
    expect(queries).toEqual([[1, 1], [1, 0]]);
    expect([targets[0][0][13], targets[0][0][14], targets[0][1][20], targets[1][0][31]]).toEqual([0.25, 1, 0.5, 1]);
    expect(targets[0][0].reduce((a, v) => a + v, 0)).toBeCloseTo(1.25, 6);
    disposeBatch(batch);
  });

  it('makeBatch teaches the detector 1 at the centres, or each key\'s share capped at 1', () => {
    const detect = [{ key: 3, centre: true, share: 0.6 }, { key: 4, centre: false, share: 0.4 }, { key: 5, centre: true, share: 1.3 }];
    const seq = { ids: [1, 2, 2, 2, 2, 2, 2, 3], weights: [0, 0, 0, 0, 0, 0, 0, 1], images: [], grounding: [{ query: 0, keys: [3], kind: 'count' as const, detect }] };
    const targetsRow = (mode: 'centre' | 'share') => {
      const batch = makeBatch([seq], 99, 4, 0, [1, 1], { detect: mode });
      const row = batch.ground!.detect!.targets.arraySync()[0][0];
      disposeBatch(batch);
      return row;
    };
    expect(targetsRow('centre')).toEqual([0, 0, 0, 1, 0, 1, 0, 0]);
    const shares = targetsRow('share');
    expect(shares.slice(3, 6).map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0.4, 1]);
    expect(shares.filter((_, k) => k < 3 || k > 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it('makeBatch teaches the fine detector shares by default, or 1 at the centres\' cells alone', () => {
    const detectFine = [{ key: 9, centre: true, share: 0.7 }, { key: 10, centre: false, share: 0.3 }, { key: 12, centre: true, share: 1.4 }];
    const ids = [1, 2, 2, 2, 2, 2, 2, 3];
    const seq = { ids, weights: ids.map(() => 1), images: [], grounding: [{ query: 2, keys: [3], kind: 'count' as const, detect: [{ key: 3, centre: true, share: 1 }], detectFine }] };
    const fineRow = (fine?: 'centre' | 'share') => {
      const batch = makeBatch([seq], 99, 4, 0, [1, 1], fine ? { fine } : {});
      const row = batch.ground!.detect!.fine!.targets.arraySync()[0][0];
      disposeBatch(batch);
      return row.slice(8, 14).map((v) => Number(v.toFixed(6)));
    };
    expect(fineRow()).toEqual([0, 0.7, 0.3, 0, 1, 0]);
    expect(fineRow('share')).toEqual([0, 0.7, 0.3, 0, 1, 0]);
    expect(fineRow('centre')).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it.each([['tiny-conv', 'colour'], ['tiny-tally', 'count'], ['tiny-peaks', 'count'], ['tiny-detector', 'count'], ['tiny-ladder', 'count'], ['tiny-fine-detector', 'count']] as const)('SFT steps with the grounding loss move the supervised head\'s attention onto the targets (and a count\'s onto the sink), leaking no tensors (%s, %s)', async (preset, family) => {
    const config = presetConfig(preset, tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 5));
    const seqs = [];
    for (let seed = 400; seqs.length < 4; seed++) {
      const { sequence } = makeExample(model, seed, createNodeCanvas, { families: [family] });
      if (sequence.grounding.length) seqs.push(sequence);
    }
    const vars = toVariables(model.vlm.weights);
    const trainable = new Vlm(config, vars, model.vlm.imageTokenId);
    const adam = new Adam();
    const batch = makeBatch(seqs, model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
    expect(batch.ground).not.toBeNull();
    expect(batch.ground!.sink !== null).toBe(config.countMass); // only a countMass model's count scan has sink shares
    expect(batch.ground!.split !== null).toBe(config.countPeaks); // only a countPeaks model's count scan splits
    expect(batch.ground!.detect != null).toBe(config.countDetector); // only a countDetector model's count scan teaches the detector
    const mass = () => tf.tidy(() => {
      const attention = trainable.forwardWithFeatures(batch).attention[groundLayer(config.layers)];
      return groundingLoss(attention, batch.ground!, GROUND_HEAD).dataSync()[0];
    });
    // the detector's loss on its own (countDetector models): the step adds it to the grounding loss
    const detected = () => tf.tidy(() => {
      const imageKeys = tf.tensor2d(batch.ids.arraySync().map((row) => row.map((id) => (id === model.vlm.imageTokenId ? 1 : 0))));
      return detectionLoss(trainable.forwardWithFeatures(batch).detection!, batch.ground!.detect!, imageKeys).dataSync()[0];
    });
    // and the fine detector's (fineDetector models), on the four 4-px cells of every image token
    expect(batch.ground!.detect?.fine != null).toBe(config.fineDetector);
    const detectedFine = () => tf.tidy(() => {
      const imageKeys = tf.tensor2d(batch.ids.arraySync().map((row) => row.flatMap((id) => Array(4).fill(id === model.vlm.imageTokenId ? 1 : 0))));
      const { rows, targets, queries } = batch.ground!.detect!.fine!;
      return detectionLoss(tf.matMul(rows, trainable.forwardWithFeatures(batch).fineDetection!) as tf.Tensor3D, { targets, queries }, imageKeys).dataSync()[0];
    });
    const before = mass();
    const detectedBefore = config.countDetector ? detected() : NaN;
    const detectedFineBefore = config.fineDetector ? detectedFine() : NaN;
    let count = 0;
    for (let step = 0; step < 15; step++) {
      const r = await sftStep(trainable, vars, adam, batch, 3e-3, { groundWeight: 1 });
      expect(r.applied).toBe(true);
      expect(Number.isFinite(r.groundLoss)).toBe(true);
      if (step === 0) count = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(count);
    }
    expect(mass()).toBeLessThan(before * 0.7);
    if (config.countDetector) expect(detected()).toBeLessThan(detectedBefore * 0.7);
    if (config.fineDetector) expect(detectedFine()).toBeLessThan(detectedFineBefore * 0.7);
    disposeBatch(batch);
    adam.dispose();
    Object.values(vars).forEach((v) => v.dispose());
    model.dispose();
  });
});
