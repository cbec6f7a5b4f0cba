import { describe, expect, it } from 'vitest';
import * as tf from './tf';
import { graftWeights } from './graft';

const map = (values: Record<string, number[]>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, tf.tensor1d(v)]));
const read = (m: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(m).map(([k, t]) => [k, Array.from(t.dataSync())]));

describe('graftWeights', () => {
  it('copies the donor weights under the prefixes and leaves every other weight as it was', () => {
    const target = map({ 'a.fine.w': [1, 2], 'a.fine.mix': [1], 'a.gate': [3] });
    const donor = map({ 'a.fine.w': [7, 8], 'a.fine.mix': [1.5], 'a.gate': [9] });
    const before = tf.memory().numTensors;
    expect(graftWeights(target, donor, ['a.fine.'])).toEqual(['a.fine.mix', 'a.fine.w']);
    expect(read(target)).toEqual({ 'a.fine.w': [7, 8], 'a.fine.mix': [1.5], 'a.gate': [3] });
    // the replaced tensors are disposed, the copies are the target's own
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(donor));
    expect(read(target)['a.fine.w']).toEqual([7, 8]);
    tf.dispose(Object.values(target));
  });

  it('refuses a prefix matching nothing, a weight the target lacks and a shape that differs, changing nothing', () => {
    const target = map({ 'a.fine.w': [1, 2], 'a.gate': [3] });
    expect(() => graftWeights(target, map({ 'a.fine.w': [7, 8] }), ['a.fine.', 'b.'])).toThrow(/no weight starting with "b\."/);
    expect(() => graftWeights(target, map({ 'a.fine.w': [7, 8], 'a.fine.extra': [1] }), ['a.fine.'])).toThrow(/a\.fine\.extra is the donor's but not the target's/);
    expect(() => graftWeights(target, map({ 'a.fine.w': [7, 8, 9] }), ['a.fine.'])).toThrow(/a\.fine\.w is \[3\] in the donor and \[2\] in the target/);
    expect(() => graftWeights(target, map({ 'a.fine.w': [7, 8] }), [])).toThrow(/at least one/);
    expect(read(target)).toEqual({ 'a.fine.w': [1, 2], 'a.gate': [3] });
    tf.dispose(Object.values(target));
  });
});
