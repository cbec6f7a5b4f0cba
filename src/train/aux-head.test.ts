import { describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { createAuxHead, restoreAuxHead } from './aux-head';

describe('restoreAuxHead', () => {
  it('restores same-shaped variables, fills the first channels from a head saved with fewer, and skips one that does not fit', async () => {
    await tf.setBackend('cpu');
    const head = createAuxHead(3, 5, 1);
    const fresh = head.w.arraySync() as number[][];
    const savedW = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]); // 4 channels: saved before the fifth existed
    const savedB = tf.tensor1d([1, 2, 3, 4, 5]);
    restoreAuxHead(head, { 'aux.w': savedW, 'aux.b': savedB });
    const w = head.w.arraySync() as number[][];
    expect(w.map((row) => row.slice(0, 4))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    expect(w.map((row) => row[4])).toEqual(fresh.map((row) => row[4])); // the new channel keeps its initialisation
    expect(Array.from(head.b.dataSync())).toEqual([1, 2, 3, 4, 5]);
    // another encoder width does not fit: left alone
    const before = tf.memory().numTensors;
    restoreAuxHead(head, { 'aux.w': tf.zeros([2, 4]) });
    expect(head.w.arraySync()).toEqual(w);
    expect(tf.memory().numTensors).toBe(before + 1); // only the test's own zeros; the restore keeps nothing
    tf.dispose([savedW, savedB, head.w, head.b]);
  });
});
