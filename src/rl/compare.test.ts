import { describe, expect, it } from 'vitest';
import { aimBreakdown, pairedDifference } from './compare';

const rec = (id: string, correct: boolean) => ({ id, correct });

describe('pairedDifference', () => {
  it('is B − A over the same episodes, with the standard error of the per-episode differences', () => {
    const a = [rec('1', true), rec('2', false), rec('3', false), rec('4', true)];
    const b = [rec('1', true), rec('2', true), rec('3', true), rec('4', false)];
    const p = pairedDifference(a, b);
    expect(p).toMatchObject({ n: 4, accuracyA: 0.5, accuracyB: 0.75, difference: 0.25, wins: 2, losses: 1 });
    // differences 0, 1, 1, −1: mean 0.25, sample variance (0.0625 + 0.5625 · 2 + 1.5625) / 3 = 0.9167
    expect(p.standardError).toBeCloseTo(Math.sqrt(0.91667 / 4), 4);
  });

  it('refuses evaluations of different episodes', () => {
    expect(() => pairedDifference([rec('1', true)], [rec('2', true)])).toThrow(/not of the same episodes/);
    expect(() => pairedDifference([rec('1', true)], [])).toThrow(/not of the same episodes/);
  });
});

describe('aimBreakdown', () => {
  it('splits accuracy by whether the first zoom contained the target', () => {
    const b = aimBreakdown([
      { correct: true, firstZoomHits: true }, { correct: false, firstZoomHits: true },
      { correct: false, firstZoomHits: false }, { correct: true, firstZoomHits: null },
    ]);
    expect(b.hit).toEqual({ n: 2, accuracy: 0.5 });
    expect(b.miss).toEqual({ n: 1, accuracy: 0 });
    expect(b.noZoom).toEqual({ n: 1, accuracy: 1 });
  });
});
