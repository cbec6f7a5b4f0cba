import { describe, expect, it } from 'vitest';
import { checkBox } from '../agent/crop';
import { containsBox, intersectionOverUnion, viewToPixel } from '../world/boxes';
import { generateSample } from '../world/generate';
import { oraclePlan } from './oracle';

describe('oraclePlan', () => {
  const samples = Array.from({ length: 300 }, (_, i) => generateSample(5000 + i, { families: i % 2 ? ['glyph'] : ['shape', 'colour', 'count', 'relation'] }));
  const plans = samples.map((s, i) => [s, oraclePlan(s, i)] as const);

  it('answers resolvable targets directly and zooms on the others', () => {
    for (const [s, p] of plans) {
      if (!s.resolvable) expect(p.kind).not.toBe('direct');
      expect(p.turns.at(-1)!.zoom).toBeNull();
      expect(p.answer).toBe(s.answer);
    }
    const kinds = new Set(plans.map(([, p]) => p.kind));
    expect(kinds).toEqual(new Set(['direct', 'zoom', 'recover', 'coarse']));
  });

  it('every planned box passes the crop tool, and the last zoom contains the target', () => {
    for (const [s, p] of plans) {
      const size = { width: s.scene.width, height: s.scene.height };
      const zooms = p.turns.filter((t) => t.zoom).map((t) => viewToPixel(t.zoom!, size));
      for (const z of zooms) expect(checkBox(z, size).ok).toBe(true);
      if (zooms.length) {
        const last = checkBox(zooms.at(-1)!, size);
        if (last.ok) expect(s.targets.every((t) => containsBox(last.box, t))).toBe(true);
      }
    }
  });

  it('recovery trajectories start with a box that misses the target', () => {
    const recover = plans.filter(([, p]) => p.kind === 'recover');
    expect(recover.length).toBeGreaterThan(3);
    for (const [s, p] of recover) {
      const size = { width: s.scene.width, height: s.scene.height };
      const first = viewToPixel(p.turns[0].zoom!, size);
      expect(s.targets.every((t) => intersectionOverUnion(first, t) === 0)).toBe(true);
      expect(p.turns[1].thought).toMatch(/not in this crop|missed|do not see/);
    }
  });
});
