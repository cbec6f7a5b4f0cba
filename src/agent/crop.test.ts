import { describe, expect, it } from 'vitest';
import { pixelBox } from '../world/boxes';
import { context2d } from '../world/canvas';
import { createNodeCanvas } from '../world/node-canvas';
import { MAX_CROP_STORE_SIDE, boxWasWidened, checkBox, cropImage } from './crop';

const size = { width: 400, height: 300 };

describe('checkBox', () => {
  it('clamps to the image and rounds outward to whole pixels', () => {
    const c = checkBox(pixelBox(-20.5, 10.2, 120.1, 500), size);
    expect(c).toEqual({ ok: true, box: [0, 10, 121, 300], widened: false });
  });
  it('widens a side of 30 px or less to 31 px about its centre', () => {
    expect(checkBox(pixelBox(10, 10, 40, 200), size)).toEqual({ ok: true, box: [9, 10, 40, 200], widened: true });
    expect(checkBox(pixelBox(100, 100, 101, 102), size)).toEqual({ ok: true, box: [85, 85, 116, 116], widened: true });
  });
  it('shifts a widened box back inside the image rather than clipping it', () => {
    expect(checkBox(pixelBox(0, 0, 5, 5), size)).toEqual({ ok: true, box: [0, 0, 31, 31], widened: true });
    expect(checkBox(pixelBox(395, 290, 400, 300), size)).toEqual({ ok: true, box: [369, 269, 400, 300], widened: true });
  });
  it('refuses to zoom into an image too small for any crop', () => {
    const c = checkBox(pixelBox(0, 0, 20, 20), { width: 20, height: 300 });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error).toMatch(/^Error: the image \(20×300 px\) is too small to zoom into/);
  });
  it('rejects boxes outside the image, non-finite boxes and degenerate ones', () => {
    expect(checkBox(pixelBox(500, 500, 600, 600), size)).toMatchObject({ ok: false, error: expect.stringMatching(/outside the 400×300 image/) });
    expect(checkBox(pixelBox(NaN, 0, 100, 100), size)).toMatchObject({ ok: false, error: expect.stringMatching(/not a finite number/) });
    expect(checkBox(pixelBox(50, 50, 50, 50), size).ok).toBe(false);
  });
  it('accepts reversed corners by normalising them', () => {
    expect(checkBox(pixelBox(200, 200, 100, 100), size)).toEqual({ ok: true, box: [100, 100, 200, 200], widened: false });
  });
  it('rejects aspect ratios above 100', () => {
    const wide = { width: 5000, height: 100 };
    const c = checkBox(pixelBox(0, 0, 4000, 35), wide);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error).toMatch(/too thin/);
  });
});

describe('boxWasWidened', () => {
  it('tells a widened box from one cropped as written', () => {
    const tiny = pixelBox(100, 100, 101, 102);
    const c = checkBox(tiny, size);
    expect(c.ok && boxWasWidened(tiny, c.box)).toBe(true);
    const big = pixelBox(10.5, 10.5, 120.2, 90.7);
    const d = checkBox(big, size);
    expect(d.ok && boxWasWidened(big, d.box)).toBe(false);
  });
});

describe('cropImage', () => {
  it('cuts exactly the box from the original through Canvas 2D', () => {
    const original = createNodeCanvas(size.width, size.height);
    const ctx = context2d(original);
    for (let y = 0; y < size.height; y += 10) for (let x = 0; x < size.width; x += 10) {
      ctx.fillStyle = `rgb(${x % 256}, ${y % 256}, ${(x * y) % 256})`;
      ctx.fillRect(x, y, 10, 10);
    }
    const box = pixelBox(40, 30, 170, 120);
    const crop = cropImage(original, box, createNodeCanvas);
    expect([crop.width, crop.height]).toEqual([130, 90]);
    const expected = ctx.getImageData(40, 30, 130, 90).data;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff += Math.abs(expected[i] - crop.data[i]);
    expect(diff / expected.length).toBeLessThan(0.5);
  });
  it('stores very large crops downscaled to MAX_CROP_STORE_SIDE', () => {
    const big = createNodeCanvas(3000, 1500);
    const crop = cropImage(big, pixelBox(0, 0, 3000, 1500), createNodeCanvas);
    expect(crop.width).toBe(MAX_CROP_STORE_SIDE);
    expect(crop.height).toBe(MAX_CROP_STORE_SIDE / 2);
  });
});
