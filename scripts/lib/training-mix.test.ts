import { describe, expect, it } from 'vitest';
import { ANSWER_VIEW_PX } from '../../src/train/oracle';
import { FAMILY_WEIGHTS, answerViewPx, familyWeights, pickWorld } from './training-mix';

describe('training mix', () => {
  it('--family-weights replaces only the families it names', () => {
    expect(familyWeights(undefined)).toEqual(FAMILY_WEIGHTS);
    expect(familyWeights('count=0.3, relation=0')).toEqual({ ...FAMILY_WEIGHTS, count: 0.3, relation: 0 });
  });

  it('a bad entry is refused with a message naming it', () => {
    expect(() => familyWeights('counts=0.3')).toThrow(/unknown family "counts"/);
    expect(() => familyWeights('count=-1')).toThrow(/"count=-1" must be family=weight/);
    expect(() => familyWeights('count=')).toThrow(/"count=" must be/);
    expect(() => familyWeights('count')).toThrow(/"count" must be/);
    expect(() => familyWeights('glyph=0,shape=0,colour=0,relation=0,count=0')).toThrow(/all zero/);
  });

  it('--answer-view replaces only the thresholds it names, and refuses bad ones by name', () => {
    expect(answerViewPx(undefined)).toEqual(ANSWER_VIEW_PX);
    expect(answerViewPx('shape=16, colour=9')).toEqual({ ...ANSWER_VIEW_PX, shape: 16, colour: 9 });
    expect(() => answerViewPx('color=9')).toThrow(/answer view "color=9": unknown family "color"/);
    expect(() => answerViewPx('colour=0')).toThrow(/"colour=0" must be family=px with 0 < px ≤ 64/);
    expect(() => answerViewPx('colour=65')).toThrow(/"colour=65" must be/);
    expect(() => answerViewPx('colour')).toThrow(/"colour" must be/);
  });

  it('draws families in proportion to their weights, never one weighted zero', () => {
    const weights = familyWeights('count=0.5,relation=0');
    const drawn: Record<string, number> = {};
    const n = 4000;
    for (let seed = 0; seed < n; seed++) {
      const family = pickWorld(seed, {}, weights).families![0];
      drawn[family] = (drawn[family] ?? 0) + 1;
    }
    const total = Object.values(weights).reduce((a, b) => a + b);
    expect(drawn.relation).toBeUndefined();
    for (const family of ['glyph', 'shape', 'colour', 'count'] as const) {
      expect(drawn[family] / n).toBeCloseTo(weights[family] / total, 1);
    }
  });
});
