import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from './canvas';
import { generateSample } from './generate';
import { canvasPixels, canvasToPng, createNodeCanvas, decodePng, loadPng } from './node-canvas';
import { glyphInk, renderScene } from './render';
import { BACKGROUND_STYLES, COLOURS, type Scene } from './types';

const hash = (img: RgbaImage) => createHash('sha256').update(img.data).digest('hex');
const render = (scene: Scene) => canvasPixels(renderScene(scene, createNodeCanvas));

function pixel(img: RgbaImage, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

const hexRgb = (hex: string): [number, number, number] => {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
};

describe('renderScene', () => {
  it('renders the same seed to identical pixels and PNG bytes; different seeds differ', () => {
    const a = generateSample(11).scene;
    const first = renderScene(a, createNodeCanvas);
    const second = renderScene(a, createNodeCanvas);
    expect(first.width).toBe(a.width);
    expect(first.height).toBe(a.height);
    expect(hash(canvasPixels(first))).toBe(hash(canvasPixels(second)));
    expect(canvasToPng(first).equals(canvasToPng(second))).toBe(true);
    const b = generateSample(12).scene;
    expect(hash(render(b))).not.toBe(hash(canvasPixels(first)));
    // Same objects, different seed for the texture → different pixels: the background uses the seed.
    expect(hash(render({ ...a, seed: a.seed + 1 }))).not.toBe(hash(canvasPixels(first)));
  });

  it('draws each object in its colour at its place (centre pixel of glyph-less circles/squares/hexagons)', () => {
    let checked = 0;
    for (let seed = 0; seed < 6; seed++) {
      const { scene } = generateSample(seed, { difficulty: 0.2 });
      const img = render(scene);
      for (const o of scene.objects) {
        if (o.glyph || o.size < 14 || !['circle', 'square', 'hexagon'].includes(o.shape)) continue;
        // Objects never overlap, so nothing else covers the centre.
        expect(pixel(img, o.cx, o.cy)).toEqual(hexRgb(COLOURS[o.colour]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('prints glyphs in a contrasting ink inside the object', () => {
    const sample = generateSample(5, { families: ['glyph'], targetSize: [120, 200], difficulty: 0 });
    const target = sample.scene.objects.find((o) => o.id === sample.targetIds[0])!;
    const img = render(sample.scene);
    const ink = hexRgb(glyphInk(COLOURS[target.colour]));
    const fill = hexRgb(COLOURS[target.colour]);
    let inkPx = 0;
    let fillPx = 0;
    const half = (target.size * 0.3) | 0;
    for (let y = target.cy - half; y <= target.cy + half; y++) {
      for (let x = target.cx - half; x <= target.cx + half; x++) {
        const p = pixel(img, x, y);
        if (p.every((v, i) => Math.abs(v - ink[i]!) <= 2)) inkPx++;
        if (p.every((v, i) => Math.abs(v - fill[i]!) <= 2)) fillPx++;
      }
    }
    const area = (2 * half + 1) ** 2;
    expect(inkPx / area).toBeGreaterThan(0.1);
    expect(fillPx / area).toBeGreaterThan(0.1);
  });

  it('black or white glyph ink, whichever contrasts more', () => {
    expect(glyphInk(COLOURS.yellow)).toBe('#111111');
    expect(glyphInk(COLOURS.cyan)).toBe('#111111');
    expect(glyphInk(COLOURS.blue)).toBe('#ffffff');
    expect(glyphInk(COLOURS.purple)).toBe('#ffffff');
  });

  it('every background style is muted (low saturation) so object colours pop', () => {
    for (const style of BACKGROUND_STYLES) {
      const { scene } = generateSample(3, { backgrounds: [style] });
      const img = render({ ...scene, objects: [] });
      let sat = 0;
      let n = 0;
      for (let i = 0; i < img.data.length; i += 4 * 97) {
        const r = img.data[i]!;
        const g = img.data[i + 1]!;
        const b = img.data[i + 2]!;
        sat += Math.max(r, g, b) - Math.min(r, g, b);
        n++;
      }
      // Object colours have a saturation (max − min) of 150..220; backgrounds stay far below.
      expect(sat / n, style).toBeLessThan(30);
      expect(new Set(Array.from({ length: 200 }, (_, k) => img.data[k * 4 * 131])).size, style).toBeGreaterThan(3);
    }
  });

  it('renders a 2048×2048 scene in reasonable time', () => {
    const { scene } = generateSample(8, { difficulty: 1 });
    const big = { ...scene, width: 2048, height: 2048 };
    renderScene(big, createNodeCanvas);
    const t0 = performance.now();
    renderScene(big, createNodeCanvas);
    // ~70 ms on a free core; generous bound for shared CI machines.
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('PNG round trip (canvasToPng → loadPng / decodePng) preserves pixels', () => {
    const canvas = renderScene(generateSample(21, { difficulty: 0 }).scene, createNodeCanvas);
    const png = canvasToPng(canvas);
    const dir = mkdtempSync(join(tmpdir(), 'squint-world-'));
    try {
      const path = join(dir, 'scene.png');
      writeFileSync(path, png);
      const loaded = loadPng(path);
      expect(loaded.width).toBe(canvas.width);
      expect(loaded.height).toBe(canvas.height);
      expect(hash(loaded)).toBe(hash(canvasPixels(canvas)));
      expect(hash(decodePng(png))).toBe(hash(loaded));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
