import { describe, expect, it } from 'vitest';
import { generateSample } from './generate';
import { viewPixels } from './resolvability';
import { HELD_OUT_TARGET_VIEW, inTargetBand, trainingSample } from './seeds';

const targetViews = (s: ReturnType<typeof generateSample>) => s.targets.map((t) => viewPixels(Math.max(t[2] - t[0], t[3] - t[1]), s.scene));

describe('the held-out target-size split', () => {
  it('inTargetBand: any target spanning LO ≤ view px < HI', () => {
    const samples = Array.from({ length: 200 }, (_, i) => generateSample(1000 + i));
    const inBand = samples.filter((s) => inTargetBand(s, HELD_OUT_TARGET_VIEW));
    // about a tenth of samples, and the predicate agrees with the sizes it is about
    expect(inBand.length).toBeGreaterThan(5);
    expect(inBand.length).toBeLessThan(60);
    for (const s of samples) {
      const hit = targetViews(s).some((v) => v >= HELD_OUT_TARGET_VIEW[0] && v < HELD_OUT_TARGET_VIEW[1]);
      expect(inTargetBand(s, HELD_OUT_TARGET_VIEW)).toBe(hit);
    }
  });

  it('trainingSample replaces held-out draws deterministically and keeps the rest; null holds nothing out', () => {
    let replaced = 0;
    for (let seed = 0; seed < 150; seed++) {
      const world = { families: ['glyph', 'colour'] as const };
      const original = generateSample(seed, { families: [...world.families] });
      const sample = trainingSample(seed, { families: [...world.families] }, HELD_OUT_TARGET_VIEW);
      expect(inTargetBand(sample, HELD_OUT_TARGET_VIEW)).toBe(false);
      expect(world.families).toContain(sample.family); // the replacement honours the world options
      if (inTargetBand(original, HELD_OUT_TARGET_VIEW)) {
        replaced++;
        expect(sample.seed).not.toBe(seed);
        expect(trainingSample(seed, { families: [...world.families] }, HELD_OUT_TARGET_VIEW).seed).toBe(sample.seed);
      } else {
        expect(sample.seed).toBe(seed);
      }
      expect(trainingSample(seed, { families: [...world.families] }, null).seed).toBe(seed);
    }
    expect(replaced).toBeGreaterThan(0);
  });

  it('trainingSample with a filter: only accepted samples, the accepted ones unchanged', () => {
    const world = { families: ['glyph', 'shape'] as const };
    let kept = 0;
    for (let seed = 0; seed < 100; seed++) {
      const original = generateSample(seed, { families: [...world.families] });
      const sample = trainingSample(seed, { families: [...world.families] }, null, (s) => !s.resolvable);
      expect(sample.resolvable).toBe(false);
      if (!original.resolvable) {
        kept++;
        expect(sample.seed).toBe(seed);
      }
    }
    expect(kept).toBeGreaterThan(10);
    expect(kept).toBeLessThan(90);
    // a filter nothing passes fails loudly instead of looping
    expect(() => trainingSample(1, { families: ['colour'] }, null, (s) => !s.resolvable)).toThrow(/none of 50 replacements/);
  });
});
