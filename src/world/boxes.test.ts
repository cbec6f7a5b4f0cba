import { describe, expect, it } from 'vitest';
import { closestCentreDistance, pixelBox } from './boxes';

describe('closestCentreDistance', () => {
  it('is the distance between the nearest two centres, whatever the order', () => {
    const far = pixelBox(0, 0, 10, 10); // centre (5, 5)
    const near1 = pixelBox(100, 100, 110, 110); // centre (105, 105)
    const near2 = pixelBox(103, 104, 113, 114); // centre (108, 109): 5 from near1
    expect(closestCentreDistance([far, near1, near2])).toBeCloseTo(5);
    expect(closestCentreDistance([near2, far, near1])).toBeCloseTo(5);
  });

  it('is Infinity for fewer than two boxes', () => {
    expect(closestCentreDistance([])).toBe(Infinity);
    expect(closestCentreDistance([pixelBox(0, 0, 4, 4)])).toBe(Infinity);
  });
});
