import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from './tf';
import { inputShape, presetConfig, weightShapes } from './config';
import { initWeights } from './init';
import { mergeContiguousIndex, regridWeights } from './regrid';
import { Vlm } from './vlm';

const coarse = presetConfig('tiny-point', 20); // 32 px view: a 4×4 patch grid merged into 2×2 tokens
const fine = { ...coarse, preset: 'tiny-fine', merge: 1, questionFirst: true, maxSeq: 400 }; // 16 tokens

function randomWeights(seed: number) {
  const weights = initWeights(coarse, seed);
  // pathways that start at zero get values, so a wrong regrid would show
  for (const name of ['vision.pool.out', 'decoder.pointer', 'decoder.readout']) {
    const shape = weights[name].shape;
    weights[name].dispose();
    weights[name] = tf.randomNormal(shape, 0, 0.5, 'float32', seed + 1);
  }
  return weights;
}

const maxAbsDiff = async (a: tf.Tensor, b: tf.Tensor) => (await a.sub(b).abs().max().data())[0];

describe('regridWeights (merge 2 → 1)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  it('gives every weight the fine preset\'s shape and lengthens the context with the last position', async () => {
    const source = randomWeights(3);
    const grown = regridWeights(source, coarse, fine);
    for (const [name, shape] of Object.entries(weightShapes(fine))) expect(grown[name].shape, name).toEqual(shape);
    const pos = grown['decoder.pos'];
    expect(await maxAbsDiff(pos.slice([0, 0], [coarse.maxSeq, -1]), source['decoder.pos'])).toBe(0);
    expect(await maxAbsDiff(pos.slice([fine.maxSeq - 1, 0], [1, -1]), source['decoder.pos'].slice([coarse.maxSeq - 1, 0], [1, -1]))).toBe(0);
    tf.dispose([...Object.values(source), ...Object.values(grown)]);
  });

  it('the encoder computes the same patch features and colour pool, in row-major order', async () => {
    const source = randomWeights(5);
    const grown = regridWeights(source, coarse, fine);
    const input = tf.randomNormal([2, ...inputShape(coarse)], 0, 1, 'float32', 7) as tf.Tensor3D;
    const before = new Vlm(coarse, source, 0).encode(input);
    const after = new Vlm(fine, grown, 0).encode(input);
    const order = mergeContiguousIndex(4);
    expect(await maxAbsDiff(tf.gather(before.features, order, 1), after.features)).toBeLessThan(1e-4);
    expect(await maxAbsDiff(tf.gather(before.pooled!, order, 1), after.pooled!)).toBeLessThan(1e-5);
    expect((await before.features.abs().max().data())[0]).toBeGreaterThan(0.1); // not trivially zero
    tf.dispose([input, before.features, before.pooled!, after.features, after.pooled!, ...Object.values(source), ...Object.values(grown)]);
  });

  it('a region whose four patches look alike gets the token the source gave it, with its grid position', async () => {
    const source = randomWeights(9);
    const grown = regridWeights(source, coarse, fine);
    // one feature vector (and pool vector) per 2×2 group, repeated over its four patches
    const perGroup = tf.randomNormal([1, 4, coarse.visionDim], 0, 1, 'float32', 11);
    const poolPerGroup = tf.randomNormal([1, 4, coarse.colourPool], 0, 1, 'float32', 12);
    const order = mergeContiguousIndex(4); // row-major cell → merge-contiguous slot
    const group = (slot: number) => Math.floor(slot / 4);
    const contiguous = (t: tf.Tensor) => tf.gather(t, Array.from({ length: 16 }, (_, slot) => group(slot)), 1) as tf.Tensor3D;
    const rowMajor = (t: tf.Tensor) => tf.gather(t, order.map(group), 1) as tf.Tensor3D;
    const coarseTokens = new Vlm(coarse, source, 0).projectPatches(contiguous(perGroup), contiguous(poolPerGroup)); // [1, 4, C]
    const fineTokens = new Vlm(fine, grown, 0).projectPatches(rowMajor(perGroup), rowMajor(poolPerGroup)); // [1, 16, C]
    const parent = Array.from({ length: 16 }, (_, i) => Math.floor(Math.floor(i / 4) / 2) * 2 + Math.floor((i % 4) / 2));
    expect(await maxAbsDiff(tf.gather(coarseTokens, parent, 1), fineTokens)).toBeLessThan(1e-4);
    tf.dispose([perGroup, poolPerGroup, coarseTokens, fineTokens, ...Object.values(source), ...Object.values(grown)]);
  });

  it('the pointer writes, for attention spread over fine cells, what it wrote for the same mass per coarse cell', async () => {
    const source = randomWeights(13);
    const grown = regridWeights(source, coarse, fine);
    const attention = tf.softmax(tf.randomNormal([16], 0, 2, 'float32', 14));
    const parent = Array.from({ length: 16 }, (_, i) => Math.floor(Math.floor(i / 4) / 2) * 2 + Math.floor((i % 4) / 2));
    const perCoarse = tf.unsortedSegmentSum(attention, tf.tensor1d(parent, 'int32'), 4);
    const want = perCoarse.reshape([1, 4]).matMul(source['decoder.pointer']);
    const got = attention.reshape([1, 16]).matMul(grown['decoder.pointer']);
    expect(await maxAbsDiff(want, got)).toBeLessThan(1e-5);
    tf.dispose([attention, perCoarse, want, got, ...Object.values(source), ...Object.values(grown)]);
  });

  it('refuses anything but merge 2 → 1 and a shorter context', () => {
    const source = randomWeights(15);
    expect(() => regridWeights(source, fine, coarse)).toThrow(/merge 2 into merge 1/);
    expect(() => regridWeights(source, coarse, { ...fine, maxSeq: 100 })).toThrow(/cannot shorten/);
    expect(() => regridWeights(source, coarse, { ...fine, dim: 64 })).toThrow(/the configs differ/);
    tf.dispose(Object.values(source));
  });
});
