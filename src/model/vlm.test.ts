import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from './tf';
import { LADDER_STEPS, inputShape, presetConfig, validateConfig, weightShapes } from './config';
import { convWindows } from './preprocess';
import { growWeights, initWeights } from './init';
import { SquintModel } from './squint-model';
import { attentionPeaks } from './vlm';
import { SquintTokenizer, buildTokenizerJson } from './tokenizer';
import { disposeBatch, makeBatch } from '../train/batch';

/** Tolerance for cached vs full-recompute logits (float32 accumulation order differs). */
const CACHE_TOLERANCE = 1e-4;

function tinyModel(seed = 3, preset = 'tiny') {
  const tok = new SquintTokenizer(buildTokenizerJson(['What is written on the red object?', 'I will zoom in on it.', '0,1,2,3,42,100']));
  const config = presetConfig(preset, tok.vocabSize);
  const weights = initWeights(config, seed);
  // the pointer and readout start at zero (a grown model computes what it did); give them something to carry
  for (const name of ['decoder.pointer', 'decoder.readout', 'decoder.mass', 'decoder.peaks', 'decoder.detect.out', 'decoder.detect.ladder', 'decoder.detect.fine.mix', 'decoder.detect.gate.w', 'decoder.aim.pointer', 'decoder.aim.steer', 'decoder.aim.trust.w']) {
    if (!weights[name]) continue;
    const shape = weights[name].shape;
    weights[name].dispose();
    weights[name] = tf.randomNormal(shape, 0, name === 'decoder.readout' ? 0.3 : 1, 'float32', seed);
  }
  return new SquintModel(config, tok, weights);
}

/** Full-forward logits of `ids` (one image block, a fixed image) with some weights swapped in for the call. */
async function forwardWith(model: SquintModel, ids: number[], overrides: Record<string, tf.Tensor>): Promise<Float32Array> {
  const w = model.vlm.weights;
  const saved = { ...w };
  Object.assign(w, overrides);
  const img = Float32Array.from({ length: model.patchShape[0] * model.patchShape[1] }, (_, i) => Math.cos(i * 0.11));
  const batch = makeBatch([{ ids, weights: ids.map(() => 1), images: [img] }], model.vlm.imageTokenId, model.tokensPerImage, model.tokenizer.special('<pad>'), model.patchShape);
  const out = model.vlm.forward(batch);
  const values = (await out.data()) as Float32Array;
  tf.dispose([out, batch.ids, batch.patches!, batch.placement!, batch.targets, batch.lossWeights]);
  Object.assign(w, saved);
  return values;
}

describe.each(['cpu', 'wasm'])('VLM on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
  });

  it.each(['tiny', 'tiny-conv', 'tiny-point', 'tiny-fine', 'tiny-tally', 'tiny-peaks', 'tiny-detector', 'tiny-ladder', 'tiny-fine-detector', 'tiny-gated', 'tiny-aim'])('cached decoding gives the same logits as full recomputation, with image blocks mid-sequence (%s)', async (preset) => {
    const model = tinyModel(3, preset);
    const tok = model.tokenizer;
    const K = model.tokensPerImage;
    const img = () => Float32Array.from({ length: model.patchShape[0] * model.patchShape[1] }, (_, i) => Math.sin(i * 0.37 + K));
    const [img1, img2] = [img(), img().map((v) => -v)];
    const partA = tok.encode('<bos><user>');
    const partB = tok.encode('What is written on the red object?<assistant><think>I will zoom in on it.</think>');
    const partC = tok.encode('<user><tool_response>');
    const partD = tok.encode('</tool_response><assistant><answer>42');
    const imageId = tok.special('<image>');
    const ids = [...partA, ...Array(K).fill(imageId), ...partB, ...partC, ...Array(K).fill(imageId), ...partD];

    // full recompute: one forward over the whole sequence
    const batch = makeBatch([{ ids, weights: ids.map(() => 1), images: [img1, img2] }], imageId, K, tok.special('<pad>'), model.patchShape);
    const full = model.vlm.forward(batch);
    const fullLogits = (await full.array())[0];
    full.dispose();
    for (const t of [batch.ids, batch.patches, batch.placement, batch.targets, batch.lossWeights]) t?.dispose();

    // cached: text chunks, image blocks, then one token at a time
    const session = model.newSession();
    const got: [number, Float32Array][] = [];
    let pos = 0;
    const push = async (logits: Float32Array, n: number) => { pos += n; got.push([pos - 1, logits]); };
    await push(await session.appendTokens(partA), partA.length);
    await push(await session.appendImage(img1), K);
    for (const id of partB) await push(await session.appendTokens([id]), 1);
    await push(await session.appendTokens(partC), partC.length);
    await push(await session.appendImage(img2), K);
    for (const id of partD) await push(await session.appendTokens([id]), 1);
    expect(pos).toBe(ids.length);
    let maxDiff = 0;
    for (const [p, logits] of got) for (let v = 0; v < logits.length; v++) maxDiff = Math.max(maxDiff, Math.abs(logits[v] - fullLogits[p][v]));
    expect(maxDiff).toBeLessThan(CACHE_TOLERANCE);
    session.dispose();
    model.dispose();
  });

  it('the pointer writes where the grounding head looks, the readout what it sees there; neither touches positions before the image', async () => {
    const model = tinyModel(5, 'tiny-point');
    const tok = model.tokenizer;
    const K = model.tokensPerImage;
    const imageId = tok.special('<image>');
    const ids = [...tok.encode('<bos><user>'), ...Array(K).fill(imageId), ...tok.encode('What is written on the red object?')];
    const w = model.vlm.weights;
    const logitsWith = (overrides: Record<string, tf.Tensor>) => forwardWith(model, ids, overrides);
    const [noPointer, noReadout] = [tf.zerosLike(w['decoder.pointer']), tf.zerosLike(w['decoder.readout'])];
    const base = await logitsWith({ 'decoder.pointer': noPointer, 'decoder.readout': noReadout });
    const pointed = await logitsWith({ 'decoder.readout': noReadout });
    const read = await logitsWith({ 'decoder.pointer': noPointer });
    // the same vector for every cell: the pointer adds one fixed vector wherever the head looks
    const uniform = tf.tile(w['decoder.pointer'].slice([0, 0], [1, -1]), [K, 1]);
    const constant = await logitsWith({ 'decoder.pointer': uniform, 'decoder.readout': noReadout });
    const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    expect(diff(base, pointed)).toBeGreaterThan(1e-3);
    expect(diff(base, read)).toBeGreaterThan(1e-3);
    // before the image there is nothing to point at: those positions are untouched
    const V = model.config.vocabSize;
    expect(diff(base.slice(0, 2 * V), pointed.slice(0, 2 * V))).toBeLessThan(1e-6);
    expect(diff(base.slice(0, 2 * V), read.slice(0, 2 * V))).toBeLessThan(1e-6);
    // distinct cell vectors give different logits from one shared vector: the cell, not just the act of looking, is written
    expect(diff(constant, pointed)).toBeGreaterThan(1e-3);
    tf.dispose([noPointer, noReadout, uniform]);
    model.dispose();
  });

  it('the mass writes how much the grounding head looks at the image, not where: nothing before the image, and one count vector per feature', async () => {
    const model = tinyModel(5, 'tiny-tally');
    const tok = model.tokenizer;
    const K = model.tokensPerImage;
    const imageId = tok.special('<image>');
    const ids = [...tok.encode('<bos><user>What is written on the red object?'), ...Array(K).fill(imageId), ...tok.encode('<assistant><think>I will')];
    const zero = tf.zerosLike(model.vlm.weights['decoder.mass']);
    const base = await forwardWith(model, ids, { 'decoder.mass': zero });
    const counted = await forwardWith(model, ids, {});
    const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    const V = model.config.vocabSize;
    const firstImage = ids.indexOf(imageId);
    // before the image the head can attend no image token: m = 0, and the mass adds nothing
    expect(diff(base.slice(0, firstImage * V), counted.slice(0, firstImage * V))).toBeLessThan(1e-6);
    // from the image on it does
    expect(diff(base.slice(firstImage * V), counted.slice(firstImage * V))).toBeGreaterThan(1e-3);
    zero.dispose();
    model.dispose();
  });

  it.each(['tiny', 'tiny-point', 'tiny-tally', 'tiny-peaks', 'tiny-detector', 'tiny-ladder', 'tiny-fine-detector', 'tiny-gated', 'tiny-aim'])('a decode session returns the tensor count to baseline (%s), also after an overlong append', async (preset) => {
    const model = tinyModel(3, preset);
    const before = tf.memory().numTensors;
    const session = model.newSession();
    await session.appendTokens(model.tokenizer.encode('<bos><user>'));
    await session.appendImage(new Float32Array(model.patchShape[0] * model.patchShape[1]));
    await session.appendTokens([5]);
    await expect(session.appendTokens(Array(model.config.maxSeq).fill(5))).rejects.toThrow(/maxSeq/);
    await session.appendTokens([6]); // the session is still usable
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses to decode past maxSeq with a clear error', async () => {
    const model = tinyModel();
    const session = model.newSession();
    await expect(session.appendTokens(Array(model.config.maxSeq + 1).fill(5))).rejects.toThrow(/exceeds the model's maxSeq/);
    session.dispose();
    model.dispose();
  });
});

describe('pointer and readout config', () => {
  it('absent in older configs means none; one vector per image cell, one matrix for the readout; a bad value is refused', () => {
    const { pointer: _none, readout: _neither, ...without } = presetConfig('point', 50);
    expect(validateConfig(without).pointer).toBe(false);
    expect(validateConfig(without).readout).toBe(false);
    expect(weightShapes(presetConfig('point', 50))['decoder.pointer']).toEqual([16, 128]);
    expect(weightShapes(presetConfig('point', 50))['decoder.readout']).toEqual([128, 128]);
    expect(weightShapes(presetConfig('aim', 50))['decoder.pointer']).toBeUndefined();
    expect(weightShapes(presetConfig('aim', 50))['decoder.readout']).toBeUndefined();
    expect(() => validateConfig({ ...without, pointer: 'yes' })).toThrow(/"pointer" must be true or false/);
    expect(() => validateConfig({ ...without, readout: 1 })).toThrow(/"readout" must be true or false/);
  });
});

describe('countMass config', () => {
  it('absent in older configs means none; the tally preset has it, with a [2, dim] matrix; it needs the pointer; a bad value is refused', () => {
    const { countMass: _none, ...without } = presetConfig('fine', 50);
    expect(validateConfig(without).countMass).toBe(false);
    expect(weightShapes(presetConfig('tally', 50))['decoder.mass']).toEqual([2, 128]);
    expect(weightShapes(presetConfig('fine', 50))['decoder.mass']).toBeUndefined();
    // otherwise the same weights: a fine model grows into tally with only the mass fresh
    const { 'decoder.mass': _mass, ...rest } = weightShapes(presetConfig('tally', 50));
    expect(rest).toEqual(weightShapes(presetConfig('fine', 50)));
    expect(() => validateConfig({ ...without, countMass: 'yes' })).toThrow(/"countMass" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('tally', 50), pointer: false })).toThrow(/countMass needs the pointer/);
  });
});

describe('countPeaks', () => {
  it('counts the cells attended alike, whatever their share; nothing where nothing is attended', async () => {
    const perCell = tf.tensor3d([[
      [1, 0, 0, 0], // one object
      [0.5, 0.5, 0, 0], // two alike
      [0.3, 0.3, 0.3, 0], // three alike, less of the mass on the image
      [0.65, 0.35, 0, 0], // one object spread onto its neighbour
      [0, 0, 0, 0], // before any image
    ]]);
    const features = attentionPeaks(perCell);
    const rows = (await features.array())[0];
    const close = (got: number[], want: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    close(rows[0], [1, 1, 1]);
    close(rows[1], [2, 2, 2]);
    close(rows[2], [3, 3, 3]);
    const r = 0.35 / 0.65;
    close(rows[3], [1 + r, 1 + r ** 2, 1 + r ** 4]); // one peak and a spread: below two in every power, closest to one in Σr⁴
    close(rows[4], [0, 0, 0]);
    tf.dispose([perCell, features]);
  });

  it('absent in older configs means none; the peaks preset is deeper plus a [3, dim] matrix, grown as a no-op; it needs the pointer; a bad value is refused', async () => {
    const { countPeaks: _none, ...without } = presetConfig('deeper', 50);
    expect(validateConfig(without).countPeaks).toBe(false);
    const { 'decoder.peaks': peaks, ...rest } = weightShapes(presetConfig('peaks', 50));
    expect(peaks).toEqual([3, 128]);
    expect(rest).toEqual(weightShapes(presetConfig('deeper', 50)));
    expect(() => validateConfig({ ...without, countPeaks: 'yes' })).toThrow(/"countPeaks" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('peaks', 50), pointer: false })).toThrow(/countPeaks needs the pointer/);
    // grown from a model without it, the new matrix is zero: the same logits, until it learns
    const source = tinyModel(5, 'tiny-fine');
    const config = presetConfig('tiny-peaks', source.config.vocabSize);
    const { weights, fresh } = growWeights(config, source.vlm.weights, 'tiny-fine');
    expect(fresh).toEqual(['decoder.peaks']);
    const grown = new SquintModel(config, source.tokenizer, weights);
    const K = source.tokensPerImage;
    const ids = [...source.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(K).fill(source.tokenizer.special('<image>')), ...source.tokenizer.encode('<assistant><think>I will zoom in on it. 1')];
    const [before, after] = [await forwardWith(source, ids, {}), await forwardWith(grown, ids, {})];
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-6);
    // and a non-zero matrix writes from the image on, not before it
    const nonZero = tf.randomNormal(weights['decoder.peaks'].shape, 0, 0.5, 'float32', 2);
    const moved = await forwardWith(grown, ids, { 'decoder.peaks': nonZero });
    const V = config.vocabSize;
    const firstImage = ids.indexOf(source.tokenizer.special('<image>'));
    expect(Math.max(...before.slice(0, firstImage * V).map((v, i) => Math.abs(v - moved[i])))).toBeLessThan(1e-6);
    expect(Math.max(...before.slice(firstImage * V).map((v, i) => Math.abs(v - moved[firstImage * V + i])))).toBeGreaterThan(1e-4);
    nonZero.dispose();
    source.dispose();
    grown.dispose();
  });
});

describe('countDetector', () => {
  it('absent in older configs means none; the detector preset is deeper plus its four weights, grown as a no-op; it needs the readout; a bad value is refused', async () => {
    const { countDetector: _none, ...without } = presetConfig('deeper', 50);
    expect(validateConfig(without).countDetector).toBe(false);
    const { 'decoder.detect.q': q, 'decoder.detect.k': k, 'decoder.detect.bias': bias, 'decoder.detect.out': out, ...rest } = weightShapes(presetConfig('detector', 50));
    expect([q, k, bias, out]).toEqual([[128, 32], [128, 32], [1], [1, 128]]);
    expect(rest).toEqual(weightShapes(presetConfig('deeper', 50)));
    expect(() => validateConfig({ ...without, countDetector: 1 })).toThrow(/"countDetector" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('detector', 50), readout: false })).toThrow(/countDetector needs the readout/);
    const source = tinyModel(5, 'tiny-fine');
    const config = presetConfig('tiny-detector', source.config.vocabSize);
    const { weights, fresh } = growWeights(config, source.vlm.weights, 'tiny-fine');
    expect(fresh.sort()).toEqual(['decoder.detect.bias', 'decoder.detect.k', 'decoder.detect.out', 'decoder.detect.q']);
    expect((await weights['decoder.detect.bias'].data())[0]).toBe(-4);
    const grown = new SquintModel(config, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const ids = [...source.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(source.tokensPerImage).fill(imageId), ...source.tokenizer.encode('<assistant><think>I will zoom in on it. 1')];
    const [before, after] = [await forwardWith(source, ids, {}), await forwardWith(grown, ids, {})];
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-6);
    // a non-zero output vector writes the count from the image on, not before it
    const nonZero = tf.randomNormal(weights['decoder.detect.out'].shape, 0, 0.5, 'float32', 2);
    const moved = await forwardWith(grown, ids, { 'decoder.detect.out': nonZero });
    const V = config.vocabSize;
    const firstImage = ids.indexOf(imageId);
    expect(Math.max(...before.slice(0, firstImage * V).map((v, i) => Math.abs(v - moved[i])))).toBeLessThan(1e-6);
    expect(Math.max(...before.slice(firstImage * V).map((v, i) => Math.abs(v - moved[firstImage * V + i])))).toBeGreaterThan(1e-4);
    nonZero.dispose();
    source.dispose();
    grown.dispose();
  });

  it.each([['tiny-detector', 'detection', 1], ['tiny-fine-detector', 'fineDetection', 4]] as const)('%s: the %s scores only the image tokens a position can see (%i per token), each in 0..1 on its own', async (preset, output, perToken) => {
    const model = tinyModel(4, preset);
    const imageId = model.tokenizer.special('<image>');
    const K = model.tokensPerImage;
    const ids = [...model.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(K).fill(imageId), ...model.tokenizer.encode('<assistant><think>I will')];
    const img = Float32Array.from({ length: model.patchShape[0] * model.patchShape[1] }, (_, i) => Math.sin(i * 0.07));
    const batch = makeBatch([{ ids, weights: ids.map(() => 1), images: [img] }], model.vlm.imageTokenId, K, model.tokenizer.special('<pad>'), model.patchShape);
    const detection = tf.tidy(() => model.vlm.forwardWithFeatures(batch)[output]!);
    expect(detection.shape).toEqual([1, ids.length, perToken * ids.length]);
    const rows = (await detection.array())[0];
    const first = ids.indexOf(imageId);
    for (let t = 0; t < ids.length; t++) {
      for (let j = 0; j < perToken * ids.length; j++) {
        const key = Math.floor(j / perToken);
        const seen = key >= first && key < first + K && key <= t;
        if (!seen) expect(rows[t][j]).toBe(0);
        else expect(rows[t][j]).toBeGreaterThan(0);
        expect(rows[t][j]).toBeLessThan(1);
      }
    }
    tf.dispose([detection, batch.ids, batch.patches!, batch.placement!, batch.targets, batch.lossWeights]);
    model.dispose();
  });
});

describe('fineDetector', () => {
  it('absent in older configs means none; the fine-detector preset is detector plus its key MLP, query, bias and mix, grown as a no-op; it needs the detector, merge 1 and a colour pool', async () => {
    const { fineDetector: _none, ...without } = presetConfig('detector', 50);
    expect(validateConfig(without).fineDetector).toBe(false);
    const shapes = weightShapes(presetConfig('fine-detector', 50));
    const fine = Object.keys(shapes).filter((name) => name.startsWith('decoder.detect.fine.'));
    expect(Object.fromEntries(Object.entries(shapes).filter(([name]) => !fine.includes(name)))).toEqual(weightShapes(presetConfig('detector', 50)));
    expect(shapes['decoder.detect.fine.reduce']).toEqual([64 + 16, 32]); // the stem's second layer and the colour pool
    expect(shapes['decoder.detect.fine.w1']).toEqual([9 * 32, 256]); // a 3×3 neighbourhood
    expect(() => validateConfig({ ...without, fineDetector: 'yes' })).toThrow(/"fineDetector" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('fine-detector', 50), countDetector: false })).toThrow(/fineDetector needs the count detector/);
    expect(() => validateConfig({ ...presetConfig('fine-detector', 50), merge: 2 })).toThrow(/fineDetector needs/);
    expect(() => validateConfig({ ...presetConfig('fine-detector', 50), colourPool: 0, poolTokens: false })).toThrow(/fineDetector needs/);
    const source = tinyModel(5, 'tiny-detector');
    const config = presetConfig('tiny-fine-detector', source.config.vocabSize);
    const { weights, fresh } = growWeights(config, source.vlm.weights, 'tiny-detector');
    expect(fresh.sort()).toEqual(fine.sort());
    expect((await weights['decoder.detect.fine.mix'].data())[0]).toBe(0);
    // the fine detector's query and bias start as the token detector's
    expect(await weights['decoder.detect.fine.q'].array()).toEqual(await source.vlm.weights['decoder.detect.q'].array());
    expect(await weights['decoder.detect.fine.bias'].array()).toEqual(await source.vlm.weights['decoder.detect.bias'].array());
    const grown = new SquintModel(config, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const ids = [...source.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(source.tokensPerImage).fill(imageId), ...source.tokenizer.encode('<assistant><think>I will zoom in on it. 1')];
    const [before, after] = [await forwardWith(source, ids, {}), await forwardWith(grown, ids, {})];
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-6);
    // at mix 1 the sum is the fine detector's alone: the token detector's query no longer matters
    const one = tf.ones([1]);
    const otherQuery = tf.randomNormal(weights['decoder.detect.q'].shape, 0, 1, 'float32', 9);
    const [fineOnly, fineOnlyOtherQuery] = [await forwardWith(grown, ids, { 'decoder.detect.fine.mix': one }), await forwardWith(grown, ids, { 'decoder.detect.fine.mix': one, 'decoder.detect.q': otherQuery })];
    expect(Math.max(...fineOnly.map((v, i) => Math.abs(v - fineOnlyOtherQuery[i])))).toBeLessThan(1e-5);
    expect(Math.max(...fineOnly.map((v, i) => Math.abs(v - after[i])))).toBeGreaterThan(1e-4);
    tf.dispose([one, otherQuery]);
    source.dispose();
    grown.dispose();
  });

  it('keys each 4-px cell by the MLP over its 3×3 neighbourhood (content and position), four cells per token in row, column order', async () => {
    const model = tinyModel(6, 'tiny-fine-detector');
    const vlm = model.vlm;
    const w = vlm.weights;
    const input = tf.tensor3d(Float32Array.from({ length: 2 * model.patchShape[0] * model.patchShape[1] }, (_, i) => Math.sin(i * 0.13)), [2, ...model.patchShape]);
    const { fineCells, pooled } = vlm.encode(input);
    const keys = (await vlm.fineDetectKeys(fineCells!, 2).array()) as number[][][]; // [N, K, 4·D]
    // the patches' colour pool, taken from the 4-px cells here, is the same 8-px max
    expect((await pooled!.sub(vlm.colourPoolFeatures(input)).abs().max().data())[0]).toBe(0);
    // reference: per cell features, layer norm, reduce, pad, MLP, all on plain arrays
    const side = model.config.imageSize / 4;
    const cells = (await tf.concat([vlm.stemCells(input), vlm.colourPoolCells(input, 4)], -1).array()) as number[][];
    const [g, b, reduce, pos, w1, b1, w2, b2] = await Promise.all(['ln.g', 'ln.b', 'reduce', 'pos', 'w1', 'b1', 'w2', 'b2'].map((n) => w[`decoder.detect.fine.${n}`].array())) as [number[], number[], number[][], number[][], number[][], number[], number[][], number[]];
    const matVec = (v: number[], m: number[][], bias?: number[]) => m[0].map((_, j) => v.reduce((acc, x, i) => acc + x * m[i][j], bias?.[j] ?? 0));
    const reduced = cells.map((f, row) => {
      const mean = f.reduce((a, x) => a + x, 0) / f.length;
      const variance = f.reduce((a, x) => a + (x - mean) ** 2, 0) / f.length;
      const cellPos = pos[row % (side * side)]; // each cell's own learned position
      return matVec(f.map((x, i) => ((x - mean) / Math.sqrt(variance + 1e-5)) * g[i] + b[i]), reduce).map((v, j) => v + cellPos[j]);
    });
    const D = 32;
    for (const [n, y, x] of [[0, 0, 0], [0, 3, 6], [1, 7, 7], [1, 4, 1]]) {
      const context: number[] = [];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const [yy, xx] = [y + dy, x + dx];
        context.push(...(yy < 0 || xx < 0 || yy >= side || xx >= side ? Array(32).fill(0) : reduced[(n * side + yy) * side + xx]));
      }
      const want = matVec(matVec(context, w1, b1).map((v) => Math.max(0, v)), w2, b2);
      const token = (y >> 1) * (side / 2) + (x >> 1);
      const sub = (y & 1) * 2 + (x & 1);
      const got = keys[n][token].slice(sub * D, (sub + 1) * D);
      expect(Math.max(...want.map((v, i) => Math.abs(v - got[i])))).toBeLessThan(1e-3);
    }
    input.dispose();
    model.dispose();
  });
});

describe('finePixels', () => {
  it('absent in older configs means none; adds the per-pixel layer and a zero map to the fine keys, grown as a no-op; it needs the fine detector', async () => {
    const { finePixels: _none, ...without } = presetConfig('fine-detector', 50);
    expect(validateConfig(without).finePixels).toBe(false);
    expect(() => validateConfig({ ...without, finePixels: 1 })).toThrow(/"finePixels" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('detector', 50), finePixels: true })).toThrow(/finePixels needs the fine detector/);
    const shapes = weightShapes(presetConfig('fine-detector-pixels', 50));
    const added = Object.keys(shapes).filter((name) => !(name in weightShapes(presetConfig('fine-detector', 50))));
    expect(added.sort()).toEqual(['decoder.detect.fine.pixel.b', 'decoder.detect.fine.pixel.w', 'decoder.detect.fine.pixels']);
    expect(shapes['decoder.detect.fine.pixels']).toEqual([16 * (3 + 8), 32]); // a 4-px cell's 16 pixels: RGB and 8 features each
    const source = tinyModel(5, 'tiny-fine-detector');
    const config = validateConfig({ ...source.config, finePixels: true });
    const { weights, fresh } = growWeights(config, source.vlm.weights, 'tiny-fine-detector');
    expect(fresh.sort()).toEqual(added.sort());
    const grown = new SquintModel(config, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const ids = [...source.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(source.tokensPerImage).fill(imageId), ...source.tokenizer.encode('<assistant><think>I will zoom in on it. 1')];
    const one = tf.ones([1]); // the fine sum alone, so that its keys decide the logits
    const [before, after] = [await forwardWith(source, ids, { 'decoder.detect.fine.mix': one }), await forwardWith(grown, ids, { 'decoder.detect.fine.mix': one })];
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-6);
    // once the map is not zero, the pixels change the logits
    const map = tf.randomNormal(weights['decoder.detect.fine.pixels'].shape, 0, 1, 'float32', 4);
    const withPixels = await forwardWith(grown, ids, { 'decoder.detect.fine.mix': one, 'decoder.detect.fine.pixels': map });
    expect(Math.max(...withPixels.map((v, i) => Math.abs(v - after[i])))).toBeGreaterThan(1e-4);
    tf.dispose([one, map]);
    source.dispose();
    grown.dispose();
  });

  it("gives each 4-px cell exactly its own 16 view pixels", async () => {
    const tokenizer = new SquintTokenizer(buildTokenizerJson(['a']));
    const config = validateConfig({ ...presetConfig('tiny-fine-detector', tokenizer.vocabSize), finePixels: true });
    const model = new SquintModel(config, tokenizer, initWeights(config, 2));
    const vlm = model.vlm;
    const side = config.imageSize;
    // a view whose red channel numbers its pixels; the stem's input holds it as 2·red − 1
    const view = Float32Array.from({ length: side * side * 3 }, (_, i) => (i % 3 === 0 ? Math.floor(i / 3) / (side * side) : 0.5));
    const input = tf.tensor3d(convWindows(view, config), [1, ...inputShape(config)]);
    const rows = (await vlm.finePixelCells(input).array()) as number[][];
    const cellsPerRow = side / 4;
    expect(rows.length).toBe(cellsPerRow * cellsPerRow);
    rows.forEach((row, cell) => {
      const [cy, cx] = [Math.floor(cell / cellsPerRow), cell % cellsPerRow];
      const seen = row.filter((_, j) => j % (3 + 8) === 0).map((v) => Math.round(((v + 1) / 2) * side * side)).sort((a, b) => a - b);
      const own = Array.from({ length: 16 }, (_, k) => (cy * 4 + Math.floor(k / 4)) * side + cx * 4 + (k % 4)).sort((a, b) => a - b);
      expect(seen).toEqual(own);
    });
    input.dispose();
    model.dispose();
  });
});

describe('countLadder', () => {
  it('absent in older configs means none; the ladder preset is detector plus one weight, grown as a no-op; it needs the detector; a bad value is refused', async () => {
    const { countLadder: _none, ...without } = presetConfig('detector', 50);
    expect(validateConfig(without).countLadder).toBe(false);
    const { 'decoder.detect.ladder': ladder, ...rest } = weightShapes(presetConfig('ladder', 50));
    expect(ladder).toEqual([LADDER_STEPS, 128]);
    expect(rest).toEqual(weightShapes(presetConfig('detector', 50)));
    const { 'decoder.detect.ladder': fineLadder, ...fineRest } = weightShapes(presetConfig('fine-ladder', 50));
    expect(fineLadder).toEqual([LADDER_STEPS, 128]);
    expect(fineRest).toEqual(weightShapes(presetConfig('fine-detector', 50))); // fine-ladder: fine-detector plus the ladder
    expect(() => validateConfig({ ...without, countLadder: 'yes' })).toThrow(/"countLadder" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('deeper', 50), countLadder: true })).toThrow(/countLadder needs the count detector/);
    const source = tinyModel(5, 'tiny-detector');
    const config = presetConfig('tiny-ladder', source.config.vocabSize);
    const { weights, fresh } = growWeights(config, source.vlm.weights, 'tiny-detector');
    expect(fresh).toEqual(['decoder.detect.ladder']);
    const grown = new SquintModel(config, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const ids = [...source.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(source.tokensPerImage).fill(imageId), ...source.tokenizer.encode('<assistant><think>I will zoom in on it. 1')];
    const [before, after] = [await forwardWith(source, ids, {}), await forwardWith(grown, ids, {})];
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-6);
    grown.dispose();
    source.dispose();
  });

  it('steps the detector\'s sum into "at least k": each step switches where the sum passes k − 0.5', () => {
    const source = tinyModel(5, 'tiny-detector');
    const config = presetConfig('tiny-ladder', source.config.vocabSize);
    const { weights } = growWeights(config, source.vlm.weights, 'tiny-detector');
    // out = 0 and ladder = identity rows: the residual gets exactly the steps
    weights['decoder.detect.out'].dispose();
    weights['decoder.detect.out'] = tf.zeros([1, config.dim]);
    weights['decoder.detect.ladder'].dispose();
    weights['decoder.detect.ladder'] = tf.eye(LADDER_STEPS, config.dim);
    const model = new SquintModel(config, source.tokenizer, weights);
    const stepsAt = (sums: number[]) => tf.tidy(() => model.vlm.detectedCount(tf.tensor3d(sums, [1, sums.length, 1])).slice([0, 0, 0], [1, sums.length, LADDER_STEPS]).arraySync()[0]);
    const atLeast = (sums: number[]) => stepsAt(sums).map((row) => row.filter((v) => v > 0.5).length);
    expect(atLeast([0, 0.4, 0.6, 1.4, 1.6, 2.4, 2.6, 6])).toEqual([0, 0, 1, 1, 2, 2, 3, 5]);
    // at a whole count every step is settled: within 0.02 of 0 or 1
    for (const row of stepsAt([0, 1, 2, 3, 4, 5])) for (const v of row) expect(Math.min(v, 1 - v)).toBeLessThan(0.02);
    model.dispose();
    source.dispose();
  });
});

describe('countGate', () => {
  it('absent in older configs means none; gated-ladder is fine-ladder plus the gate; it needs the fine detector and the ladder; a bad value is refused', () => {
    const { countGate: _none, ...without } = presetConfig('fine-ladder', 50);
    expect(validateConfig(without).countGate).toBe(false);
    const { 'decoder.detect.gate.w': gate, 'decoder.detect.gate.bias': bias, ...rest } = weightShapes(presetConfig('gated-ladder', 50));
    expect([gate, bias]).toEqual([[128, 1], [1]]);
    expect(rest).toEqual(weightShapes(presetConfig('fine-ladder', 50)));
    expect(() => validateConfig({ ...without, countGate: 1 })).toThrow(/"countGate" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('fine-detector', 50), countGate: true })).toThrow(/countGate needs the fine detector and the count ladder/);
    expect(() => validateConfig({ ...presetConfig('ladder', 50), countGate: true })).toThrow(/countGate needs/);
  });

  it('shut, the model computes what the token detector alone did (no fine sum, no ladder); open, what the ungated fine-ladder model does; grown, it starts nearly shut', async () => {
    const source = tinyModel(5, 'tiny-fine-detector');
    const ladderConfig = validateConfig({ ...presetConfig('tiny-fine-detector', source.config.vocabSize), countLadder: true });
    const { weights: ladderWeights } = growWeights(ladderConfig, source.vlm.weights, 'tiny-fine-detector');
    ladderWeights['decoder.detect.ladder'].dispose();
    ladderWeights['decoder.detect.ladder'] = tf.randomNormal([LADDER_STEPS, ladderConfig.dim], 0, 1, 'float32', 7);
    const ungated = new SquintModel(ladderConfig, source.tokenizer, ladderWeights);
    const gatedConfig = presetConfig('tiny-gated', source.config.vocabSize);
    const { weights, fresh } = growWeights(gatedConfig, ungated.vlm.weights, 'tiny-fine-ladder');
    expect(fresh.sort()).toEqual(['decoder.detect.gate.bias', 'decoder.detect.gate.w']);
    expect(await weights['decoder.detect.gate.bias'].data()).toEqual(Float32Array.from([-4]));
    expect(Math.max(...((await weights['decoder.detect.gate.w'].data()) as Float32Array).map(Math.abs))).toBe(0);
    const gated = new SquintModel(gatedConfig, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const ids = [...source.tokenizer.encode('<bos><user>What is written on the red object?'), ...Array(source.tokensPerImage).fill(imageId), ...source.tokenizer.encode('<assistant><think>I will zoom in on it. 1')];
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const [shut, open] = [tf.fill([1], -60), tf.fill([1], 60)];
    const zeroMix = tf.zeros([1]);
    const zeroLadder = tf.zerosLike(weights['decoder.detect.ladder']);
    const tokenDetectorAlone = await forwardWith(ungated, ids, { 'decoder.detect.fine.mix': zeroMix, 'decoder.detect.ladder': zeroLadder });
    expect(maxDiff(await forwardWith(gated, ids, { 'decoder.detect.gate.bias': shut }), tokenDetectorAlone)).toBeLessThan(1e-5);
    const fineLadder = await forwardWith(ungated, ids, {});
    expect(maxDiff(await forwardWith(gated, ids, { 'decoder.detect.gate.bias': open }), fineLadder)).toBeLessThan(1e-5);
    // the two ends differ, so the gate decides something
    expect(maxDiff(fineLadder, tokenDetectorAlone)).toBeGreaterThan(1e-3);
    // as grown (sigmoid(−4) ≈ 0.018) it is far nearer shut than open
    const grownLogits = await forwardWith(gated, ids, {});
    expect(maxDiff(grownLogits, tokenDetectorAlone)).toBeLessThan(maxDiff(grownLogits, fineLadder) / 10);
    tf.dispose([shut, open, zeroMix, zeroLadder]);
    gated.dispose();
    ungated.dispose();
    source.dispose();
  });
});

describe('ladderBias', () => {
  it('absent in older configs means none; gated-ladder-bias is gated-ladder plus one bias row; it needs the gate; a bad value is refused', () => {
    const { ladderBias: _none, ...without } = presetConfig('gated-ladder', 50);
    expect(validateConfig(without).ladderBias).toBe(false);
    const { 'decoder.detect.ladder.bias': bias, ...rest } = weightShapes(presetConfig('gated-ladder-bias', 50));
    expect(bias).toEqual([128]);
    expect(rest).toEqual(weightShapes(presetConfig('gated-ladder', 50)));
    expect(() => validateConfig({ ...without, ladderBias: 'yes' })).toThrow(/"ladderBias" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('fine-ladder', 50), ladderBias: true })).toThrow(/ladderBias needs the count gate/);
  });

  it('grown at zero it computes what the gated model did; the row enters only where the gate opens', async () => {
    const source = tinyModel(5, 'tiny-fine-detector');
    const gatedConfig = presetConfig('tiny-gated', source.config.vocabSize);
    const { weights: gatedWeights } = growWeights(gatedConfig, source.vlm.weights, 'tiny-fine-detector');
    const gated = new SquintModel(gatedConfig, source.tokenizer, gatedWeights);
    const biasConfig = validateConfig({ ...gatedConfig, ladderBias: true });
    const { weights, fresh } = growWeights(biasConfig, gated.vlm.weights, 'tiny-gated');
    expect(fresh).toEqual(['decoder.detect.ladder.bias']);
    const biased = new SquintModel(biasConfig, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const ids = [...source.tokenizer.encode('<bos><user>How many red objects are there?'), ...Array(source.tokensPerImage).fill(imageId), ...source.tokenizer.encode('<assistant><think>The top left 1')];
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(maxDiff(await forwardWith(biased, ids, {}), await forwardWith(gated, ids, {}))).toBeLessThan(1e-6);
    const row = tf.randomNormal([biasConfig.dim], 0, 1, 'float32', 3);
    const [shut, open] = [tf.fill([1], -60), tf.fill([1], 60)];
    // shut, a bias row changes nothing; open, it does
    const shutGated = await forwardWith(gated, ids, { 'decoder.detect.gate.bias': shut });
    expect(maxDiff(await forwardWith(biased, ids, { 'decoder.detect.ladder.bias': row, 'decoder.detect.gate.bias': shut }), shutGated)).toBeLessThan(1e-5);
    const openGated = await forwardWith(gated, ids, { 'decoder.detect.gate.bias': open });
    expect(maxDiff(await forwardWith(biased, ids, { 'decoder.detect.ladder.bias': row, 'decoder.detect.gate.bias': open }), openGated)).toBeGreaterThan(1e-3);
    tf.dispose([row, shut, open]);
    biased.dispose();
    gated.dispose();
    source.dispose();
  });
});

describe('fineAim', () => {
  it('absent in older configs means none; gated-ladder-aim is gated-ladder-pixels plus the aim weights; it needs finePixels, the steer the aim, the trust the steer', () => {
    const { fineAim: _none, ...without } = presetConfig('gated-ladder-pixels', 50);
    expect(validateConfig(without).fineAim).toBe(false);
    expect(() => validateConfig({ ...without, fineAim: 'yes' })).toThrow(/"fineAim" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('gated-ladder-bias', 50), fineAim: true })).toThrow(/fineAim needs the fine detector with finePixels/);
    const shapes = weightShapes(presetConfig('gated-ladder-aim', 50));
    const base = weightShapes(presetConfig('gated-ladder-pixels', 50));
    expect(Object.keys(shapes).filter((name) => !(name in base)).every((name) => name.startsWith('decoder.aim.'))).toBe(true);
    expect(shapes['decoder.aim.pointer']).toEqual([256, 128]); // one vector per 4-px cell of the 64-px view
    // the steer and its trust: absent in older aim configs, a scalar and a per-position gate, each needing the one before
    const { aimSteer: _noSteer, aimTrust: _noTrust, ...unsteered } = presetConfig('gated-ladder-aim', 50);
    expect(validateConfig(unsteered).aimSteer).toBe(false);
    expect(validateConfig(unsteered).aimTrust).toBe(false);
    expect(Object.keys(shapes).filter((name) => !(name in weightShapes(validateConfig(unsteered)))).sort()).toEqual(['decoder.aim.steer', 'decoder.aim.trust.b', 'decoder.aim.trust.w']);
    expect(() => validateConfig({ ...unsteered, aimSteer: 1 })).toThrow(/"aimSteer" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('gated-ladder-pixels', 50), aimSteer: true })).toThrow(/aimSteer needs the aim/);
    expect(() => validateConfig({ ...unsteered, aimTrust: true })).toThrow(/aimTrust needs the steer/);
  });

  it('grown at zero it computes what its source did; a pointer or a steer changes the logits; its distribution sums to at most 1 over the cells a position sees', async () => {
    const source = tinyModel(5, 'tiny-fine-detector');
    const pixelsConfig = validateConfig({ ...presetConfig('tiny-gated', source.config.vocabSize), finePixels: true });
    const { weights: pixelWeights } = growWeights(pixelsConfig, source.vlm.weights, 'tiny-fine-detector');
    const pixels = new SquintModel(pixelsConfig, source.tokenizer, pixelWeights);
    const aimConfig = presetConfig('tiny-aim', source.config.vocabSize);
    const { weights, fresh } = growWeights(aimConfig, pixels.vlm.weights, 'tiny-gated');
    expect(fresh.every((name) => name.startsWith('decoder.aim.'))).toBe(true);
    const aimed = new SquintModel(aimConfig, source.tokenizer, weights);
    const imageId = source.tokenizer.special('<image>');
    const K = source.tokensPerImage;
    const ids = [...source.tokenizer.encode('<bos><user>What shape is the red object?'), ...Array(K).fill(imageId), ...source.tokenizer.encode('<assistant><think>I will zoom in on it.')];
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(maxDiff(await forwardWith(aimed, ids, {}), await forwardWith(pixels, ids, {}))).toBeLessThan(1e-6);
    const pointer = tf.randomNormal(weights['decoder.aim.pointer'].shape, 0, 1, 'float32', 6);
    const plain = await forwardWith(pixels, ids, {});
    expect(maxDiff(await forwardWith(aimed, ids, { 'decoder.aim.pointer': pointer }), plain)).toBeGreaterThan(1e-3);
    // a steer moves the grounding head's attention, and through it the logits
    const steer = tf.fill([1], 3);
    expect(maxDiff(await forwardWith(aimed, ids, { 'decoder.aim.steer': steer }), plain)).toBeGreaterThan(1e-3);
    // the distribution: nothing before the image, at most 1 after it, nothing on text keys
    const img = Float32Array.from({ length: aimed.patchShape[0] * aimed.patchShape[1] }, (_, i) => Math.sin(i * 0.3));
    const batch = makeBatch([{ ids, weights: ids.map(() => 1), images: [img] }], imageId, K, source.tokenizer.special('<pad>'), aimed.patchShape);
    const aim = tf.tidy(() => aimed.vlm.forwardWithFeatures(batch).aim!.arraySync() as number[][][]);
    const start = ids.indexOf(imageId);
    const sums = aim[0].map((row) => row.reduce((a, b) => a + b, 0));
    expect(Math.max(...sums.slice(0, start))).toBeLessThan(1e-6);
    expect(Math.min(...sums.slice(start))).toBeGreaterThan(0.5); // "nowhere" starts at one share among 4K + 1
    expect(Math.max(...sums)).toBeLessThanOrEqual(1 + 1e-5);
    const onText = aim[0].flatMap((row) => row.filter((_, col) => Math.floor(col / 4) < start || Math.floor(col / 4) >= start + K));
    expect(Math.max(...onText)).toBeLessThan(1e-6);
    // a strong steer puts the grounding head's attention where the aim looks
    const strong = tf.fill([1], 40);
    const saved = aimed.vlm.weights['decoder.aim.steer'];
    aimed.vlm.weights['decoder.aim.steer'] = strong;
    const [headTop, aimTop] = tf.tidy(() => {
      const out = aimed.vlm.forwardWithFeatures(batch);
      const last = ids.length - 1;
      const head = out.attention[0].slice([0, 0, last, start], [1, 1, 1, K]).reshape([K]);
      const perToken = out.aim!.slice([0, last, 4 * start], [1, 1, 4 * K]).reshape([K, 4]).sum(-1);
      return [head.argMax().dataSync()[0], perToken.argMax().dataSync()[0]];
    });
    aimed.vlm.weights['decoder.aim.steer'] = saved;
    expect(headTop).toBe(aimTop);
    strong.dispose();
    disposeBatch(batch);
    tf.dispose([pointer, steer]);
    for (const m of [aimed, pixels, source]) m.dispose();
  });
});

describe('aimReach', () => {
  it('absent in older configs means none; it adds only decoder.aim.reach.*; it needs the aim', () => {
    const { aimReach: _none, ...without } = presetConfig('gated-ladder-aim', 50);
    expect(validateConfig(without).aimReach).toBe(false);
    expect(() => validateConfig({ ...without, aimReach: 'yes' })).toThrow(/"aimReach" must be true or false/);
    expect(() => validateConfig({ ...presetConfig('gated-ladder-pixels', 50), aimReach: true })).toThrow(/aimReach needs the aim/);
    const added = Object.entries(weightShapes(presetConfig('gated-ladder-reach', 50))).filter(([name]) => !(name in weightShapes(validateConfig(without))));
    expect(Object.fromEntries(added)).toEqual({ 'decoder.aim.reach.w1': [9 * 64, 64], 'decoder.aim.reach.b1': [64], 'decoder.aim.reach.w2': [64, 64] });
  });

  it('grown at zero its keys are the source\'s; once its output moves, a cell\'s key changes with its neighbours\' pixels and not with a far cell\'s', () => {
    const source = tinyModel(5, 'tiny-fine-detector');
    const unreached = validateConfig({ ...presetConfig('tiny-aim', source.config.vocabSize), aimReach: false });
    const { weights: sourceWeights } = growWeights(unreached, source.vlm.weights, 'tiny-fine-detector');
    const plain = new SquintModel(unreached, source.tokenizer, sourceWeights);
    const reachConfig = presetConfig('tiny-aim', source.config.vocabSize);
    const { weights, fresh } = growWeights(reachConfig, plain.vlm.weights, 'tiny-aim without reach');
    expect(fresh.sort()).toEqual(['decoder.aim.reach.b1', 'decoder.aim.reach.w1', 'decoder.aim.reach.w2']);
    const reached = new SquintModel(reachConfig, source.tokenizer, weights);
    const [rows, dim] = plain.patchShape;
    const image = Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i * 0.37));
    const keysOf = (model: SquintModel, img: Float32Array) => tf.tidy(() => model.vlm.encodeImagesWithFineKeys(tf.tensor3d(img, [1, rows, dim])).aim!.arraySync() as number[][][])[0].flat();
    const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(maxDiff(keysOf(reached, image), keysOf(plain, image))).toBeLessThan(1e-6);
    const saved = weights['decoder.aim.reach.w2'];
    weights['decoder.aim.reach.w2'] = tf.randomNormal(saved.shape, 0, 1, 'float32', 3);
    // the conv stem's input: one row per 2-px cell of the 32-px view, row-major; change the top-left corner's
    const corner = image.slice();
    for (let i = 0; i < dim; i++) corner[i] += 1;
    const [before, after] = [keysOf(reached, image), keysOf(reached, corner)];
    // keys come in token order, 4 cells of DETECT_DIM each: token 0's first cell holds the corner, its second is the
    // neighbour to the right, and the last token is 16+ px away
    const D = 32;
    const cellKeys = (keys: number[], token: number, cell: number) => keys.slice((token * 4 + cell) * D, (token * 4 + cell + 1) * D);
    expect(maxDiff(cellKeys(after, 0, 1), cellKeys(before, 0, 1))).toBeGreaterThan(1e-4);
    const last = source.tokensPerImage - 1;
    expect(maxDiff(cellKeys(after, last, 3), cellKeys(before, last, 3))).toBeLessThan(1e-6);
    // without the reach the neighbour's key ignores the change: the corner cell's own key alone moves
    const [plainBefore, plainAfter] = [keysOf(plain, image), keysOf(plain, corner)];
    expect(maxDiff(cellKeys(plainAfter, 0, 0), cellKeys(plainBefore, 0, 0))).toBeGreaterThan(1e-4);
    expect(maxDiff(cellKeys(plainAfter, 0, 1), cellKeys(plainBefore, 0, 1))).toBeLessThan(1e-6);
    weights['decoder.aim.reach.w2'].dispose();
    weights['decoder.aim.reach.w2'] = saved;
    for (const m of [reached, plain, source]) m.dispose();
  });
});

describe('questionFirst config', () => {
  it('absent in older configs means image first; the ask preset reads the question first; a bad value is refused', () => {
    const { questionFirst: _none, ...without } = presetConfig('ask', 50);
    expect(validateConfig(without).questionFirst).toBe(false);
    expect(presetConfig('ask', 50).questionFirst).toBe(true);
    expect(presetConfig('point', 50).questionFirst).toBe(false);
    // the prompt order changes no weight: a point model grows into ask unchanged
    expect(weightShapes(presetConfig('ask', 50))).toEqual(weightShapes(presetConfig('point', 50)));
    expect(() => validateConfig({ ...without, questionFirst: 'yes' })).toThrow(/"questionFirst" must be true or false/);
  });
});

describe('growing the encoder by a block', () => {
  it('a new block starts as the identity: the grown model computes the source\'s logits, and the block can still learn', async () => {
    const source = tinyModel(5, 'tiny-fine');
    const grown = { ...source.config, visionLayers: source.config.visionLayers + 1 };
    const { weights, fresh, identity } = growWeights(grown, source.vlm.weights, 'tiny-fine');
    expect(fresh.every((name) => name.startsWith(`vision.block${source.config.visionLayers}.`))).toBe(true);
    expect(identity.sort()).toEqual(['vision.block1.out.w', 'vision.block1.proj.w']);
    // the block's inner weights keep their random start, so gradients reach them once its outputs move
    expect((await weights['vision.block1.qkv.w'].abs().sum().data())[0]).toBeGreaterThan(0);
    const model = new SquintModel(grown, source.tokenizer, weights);
    const ids = [source.tokenizer.special('<image>'), ...source.tokenizer.encode('What is written on the red object?')];
    const [before, after] = [await forwardWith(source, ids, {}), await forwardWith(model, ids, {})];
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i])))).toBeLessThan(1e-7);
    // and not because the encoder is ignored: a non-zero block changes them
    const nonZero = tf.randomNormal(weights['vision.block1.out.w'].shape, 0, 0.5, 'float32', 1);
    const moved = await forwardWith(model, ids, { 'vision.block1.out.w': nonZero });
    expect(Math.max(...before.map((v, i) => Math.abs(v - moved[i])))).toBeGreaterThan(1e-4);
    nonZero.dispose();
    source.dispose();
    model.dispose();
  });

  it.each([['fine', 'deep', 'vision.block2.'], ['deep', 'deeper', 'vision.block3.'], ['deeper', 'deep-decoder', 'decoder.block3.']])('the %s preset grows into %s by one block, nothing else', (from, to, block) => {
    const grown = weightShapes(presetConfig(to, 50));
    const source = weightShapes(presetConfig(from, 50));
    const added = Object.keys(grown).filter((name) => !(name in source));
    expect(added.length).toBe(12);
    expect(added.every((name) => name.startsWith(block))).toBe(true);
    expect(Object.keys(source).every((name) => JSON.stringify(source[name]) === JSON.stringify(grown[name]))).toBe(true);
  });
});
