import { describe, expect, it } from 'vitest';
import { pixelBox } from './boxes';
import { COUNT_CROP_SHARE, countCropBox, cropCountSample } from './crop-sample';
import { generateSample } from './generate';
import { canvasPixels, createNodeCanvas } from './node-canvas';
import { renderScene } from './render';
import { createRng } from './rng';
import type { Sample } from './types';

const countSamples = (n: number): Sample[] => Array.from({ length: n }, (_, i) => generateSample(7_000_000 + i, { families: ['count'] }));

describe('cropCountSample', () => {
  it('counts the targets whose centre lies in the crop, moved into its frame; the question stays', () => {
    for (const [i, sample] of countSamples(150).entries()) {
      const box = countCropBox(createRng(i), sample);
      const crop = cropCountSample(sample, box);
      const inside = sample.targetIds.filter((id) => {
        const o = sample.scene.objects.find((obj) => obj.id === id)!;
        return o.cx >= box[0] && o.cx < box[2] && o.cy >= box[1] && o.cy < box[3];
      });
      expect(crop.answer).toBe(String(inside.length));
      expect([...crop.targetIds].sort()).toEqual([...inside].sort());
      expect(crop.question).toBe(sample.question);
      expect(crop.scene.width).toBe(box[2] - box[0]);
      for (const id of crop.targetIds) {
        const before = sample.scene.objects.find((o) => o.id === id)!;
        const after = crop.scene.objects.find((o) => o.id === id)!;
        expect([after.cx, after.cy]).toEqual([before.cx - box[0], before.cy - box[1]]);
      }
      for (const t of crop.targets) expect(t[2] <= crop.scene.width && t[3] <= crop.scene.height && t[0] >= 0 && t[1] >= 0).toBe(true);
      expect(crop.resolvable).toBe(true); // objects only grow
    }
  });

  it('countCropBox: a square inside the scene, 1/4 to 1/2 of its shorter side, always holding a counted centre', () => {
    for (const [i, sample] of countSamples(300).entries()) {
      const box = countCropBox(createRng(1000 + i), sample);
      const side = box[2] - box[0];
      const short = Math.min(sample.scene.width, sample.scene.height);
      expect(box[3] - box[1]).toBe(side);
      expect(side).toBeGreaterThanOrEqual(Math.floor(COUNT_CROP_SHARE[0] * short));
      expect(side).toBeLessThanOrEqual(Math.ceil(COUNT_CROP_SHARE[1] * short));
      expect(box[0] >= 0 && box[1] >= 0 && box[2] <= sample.scene.width && box[3] <= sample.scene.height).toBe(true);
      expect(() => cropCountSample(sample, box)).not.toThrow();
    }
  });

  it('renders as the same crop of the scene: every counted object the same pixels, shifted', () => {
    const [sample] = countSamples(1);
    const box = countCropBox(createRng(3), sample);
    const crop = cropCountSample(sample, box);
    const whole = canvasPixels(renderScene(sample.scene, createNodeCanvas));
    const cropped = canvasPixels(renderScene(crop.scene, createNodeCanvas));
    const at = (img: typeof whole, x: number, y: number) => Array.from(img.data.slice((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
    expect(crop.targetIds.length).toBeGreaterThan(0);
    for (const id of crop.targetIds) {
      const o = crop.scene.objects.find((obj) => obj.id === id)!;
      const [x, y] = [Math.round(o.cx), Math.round(o.cy)];
      expect(at(cropped, x, y)).toEqual(at(whole, x + box[0], y + box[1]));
    }
  });

  it('refuses a question that is not a count, and a crop holding no counted centre, naming them', () => {
    const glyph = generateSample(7_100_000, { families: ['glyph'] });
    expect(() => cropCountSample(glyph, pixelBox(0, 0, 10, 10))).toThrow(/is a glyph question, not a count/);
    const [count] = countSamples(1);
    const empty = pixelBox(0, 0, 1, 1);
    const holds = count.scene.objects.some((o) => count.targetIds.includes(o.id) && o.cx < 1 && o.cy < 1);
    expect(holds).toBe(false);
    expect(() => cropCountSample(count, empty)).toThrow(/holds no counted object's centre/);
  });
});
