import { describe, expect, it } from 'vitest';
import { presetConfig } from './config';
import { letterboxResize, patchify } from './preprocess';

const solid = (width: number, height: number, rgb: [number, number, number]) => {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
};

describe('letterboxResize', () => {
  it('keeps a uniform colour exact inside and pads with black', () => {
    const view = letterboxResize(solid(400, 200, [255, 128, 0]), 64); // image occupies rows 16..47
    const px = (x: number, y: number) => Array.from(view.slice((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    expect(px(10, 30).map((v) => +v.toFixed(4))).toEqual([1, +(128 / 255).toFixed(4), 0]);
    expect(px(10, 5)).toEqual([0, 0, 0]);
    expect(px(10, 60)).toEqual([0, 0, 0]);
  });

  it('is an exact area average (2×2 checkerboard → mid grey)', () => {
    const w = 128;
    const data = new Uint8ClampedArray(w * w * 4);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.set((x + y) % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * w + x) * 4);
    const view = letterboxResize({ width: w, height: w, data }, 64);
    for (const v of view) expect(v).toBeCloseTo(0.5, 5);
  });

  it('handles images smaller than the view (upscaling by coverage)', () => {
    const view = letterboxResize(solid(10, 10, [0, 0, 255]), 64);
    expect(view[(32 * 64 + 32) * 3 + 2]).toBeCloseTo(1, 5);
  });
});

describe('patchify', () => {
  it('orders patches so each 2×2 merge group is contiguous', () => {
    const c = presetConfig('tiny', 10); // 32 px, patch 8 → 4×4 grid, merge 2
    const view = new Float32Array(32 * 32 * 3);
    // mark each pixel's red channel with its patch's row-major index
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) view[(y * 32 + x) * 3] = (Math.floor(y / 8) * 4 + Math.floor(x / 8)) / 100;
    const patches = patchify(view, c);
    const pd = 8 * 8 * 3;
    const order = Array.from({ length: 16 }, (_, i) => Math.round(((patches[i * pd] + 1) / 2) * 100));
    expect(order).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
  });
});
