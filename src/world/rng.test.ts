import { describe, expect, it } from 'vitest';
import { createRng, hashSeed } from './rng';

const draw = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('rng', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    expect(draw(42, 100)).toEqual(draw(42, 100));
    expect(draw(42, 100)).not.toEqual(draw(43, 100));
    expect(draw(0, 10)).not.toEqual(draw(2 ** 32, 10));
  });

  it('next() is uniform-ish in [0, 1)', () => {
    const xs = draw(7, 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('int(lo, hi) is inclusive and hits every value', () => {
    const rng = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(-2, 3);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(3);
      seen.add(v);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
  });

  it('shuffle returns a permutation without touching the input; pick and chance behave', () => {
    const rng = createRng(3);
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = rng.shuffle(input);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...out].sort((a, b) => a - b)).toEqual(input);
    expect(input).toContain(rng.pick(input));
    expect(() => rng.pick([])).toThrow();
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (rng.chance(0.3)) hits++;
    expect(hits / 10_000).toBeGreaterThan(0.27);
    expect(hits / 10_000).toBeLessThan(0.33);
  });

  it('fork is deterministic, independent of the parent and does not advance it', () => {
    const a = createRng(9);
    const b = createRng(9);
    const fa = a.fork(1);
    expect(fa.next()).toBe(b.fork(1).next());
    expect(a.next()).toBe(b.next());
    expect(createRng(9).fork(1).next()).not.toBe(createRng(9).fork(2).next());
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
  });
});
