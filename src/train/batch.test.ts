import { describe, expect, it } from 'vitest';
import { lengthSortedBatches } from './batch';

const seq = (length: number) => ({ ids: Array.from({ length }, (_, i) => i) });

describe('lengthSortedBatches', () => {
  it('leaves out sequences longer than the context and batches the rest by length', () => {
    const pool = [30, 513, 10, 512, 700, 20, 40].map(seq);
    const { batches, dropped } = lengthSortedBatches(pool, 2, 512);
    expect(dropped).toBe(2);
    expect(batches.map((b) => b.map((s) => s.ids.length))).toEqual([[10, 20], [30, 40], [512]]);
  });

  it('gives no batches, not an empty one, when every sequence is too long', () => {
    expect(lengthSortedBatches([seq(600), seq(601)], 4, 512)).toEqual({ batches: [], dropped: 2 });
  });
});
