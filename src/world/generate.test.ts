import { describe, expect, it } from 'vitest';
import { containsBox, pixelBox } from './boxes';
import {
  canCarryGlyph,
  generateSample,
  MAX_ASPECT,
  MAX_OBJECTS,
  MAX_SIDE,
  MIN_OBJECT_PX,
  MIN_OBJECTS,
  MIN_SIDE,
  objectBox,
} from './generate';
import { scanArea, viewScanBorderDistance } from './regions';
import { isResolvable, MIN_GLYPH_TARGET_PX, THRESHOLDS, viewPixels } from './resolvability';
import { BACKGROUND_STYLES, COLOUR_NAMES, FAMILIES, GLYPHS, SHAPES, type Family, type Sample, type SceneObject } from './types';

const N = 300;
const samples: Sample[] = Array.from({ length: N }, (_, i) => generateSample(1000 + i));

const targetsOf = (s: Sample): SceneObject[] =>
  s.targetIds.map((id) => {
    const obj = s.scene.objects.find((o) => o.id === id);
    if (!obj) throw new Error(`target ${id} missing from scene ${s.id}`);
    return obj;
  });

const byFamily = (family: Family) => samples.filter((s) => s.family === family);

describe('generateSample: determinism', () => {
  it('same seed and options → identical sample; different seeds → different scenes', () => {
    expect(generateSample(77)).toEqual(generateSample(77));
    expect(generateSample(77, { difficulty: 0.9 })).toEqual(generateSample(77, { difficulty: 0.9 }));
    const scenes = new Set(samples.slice(0, 50).map((s) => JSON.stringify(s.scene)));
    expect(scenes.size).toBe(50);
    expect(generateSample(77).id).toBe('77');
  });
});

describe('generateSample: scene invariants', () => {
  it('sides lie in 384..2048 with aspect ≤ 3:1, and both orientations and many sizes occur', () => {
    for (const { scene } of samples) {
      for (const side of [scene.width, scene.height]) {
        expect(Number.isInteger(side)).toBe(true);
        expect(side).toBeGreaterThanOrEqual(MIN_SIDE);
        expect(side).toBeLessThanOrEqual(MAX_SIDE);
      }
      expect(Math.max(scene.width, scene.height) / Math.min(scene.width, scene.height)).toBeLessThanOrEqual(MAX_ASPECT + 0.01);
    }
    expect(samples.some((s) => s.scene.width > s.scene.height * 1.5)).toBe(true);
    expect(samples.some((s) => s.scene.height > s.scene.width * 1.5)).toBe(true);
    expect(new Set(samples.map((s) => s.scene.background)).size).toBe(BACKGROUND_STYLES.length);
  });

  it('has 5..40 objects, each fully inside the image, ≥ 10 px, with unique ids and no overlaps', () => {
    for (const { scene } of samples) {
      expect(scene.objects.length).toBeGreaterThanOrEqual(MIN_OBJECTS);
      expect(scene.objects.length).toBeLessThanOrEqual(MAX_OBJECTS);
      expect(new Set(scene.objects.map((o) => o.id)).size).toBe(scene.objects.length);
      for (const o of scene.objects) {
        expect(o.size).toBeGreaterThanOrEqual(MIN_OBJECT_PX);
        expect(o.cx - o.size / 2).toBeGreaterThanOrEqual(0);
        expect(o.cy - o.size / 2).toBeGreaterThanOrEqual(0);
        expect(o.cx + o.size / 2).toBeLessThanOrEqual(scene.width);
        expect(o.cy + o.size / 2).toBeLessThanOrEqual(scene.height);
        expect(SHAPES).toContain(o.shape);
        expect(COLOUR_NAMES).toContain(o.colour);
        if (o.glyph !== null) {
          expect(GLYPHS).toContain(o.glyph);
          expect(canCarryGlyph(o.shape, o.size)).toBe(true);
        }
      }
      // Shapes are drawn inside the circle of diameter `size`: circles apart → shapes apart.
      const overlapping: string[] = [];
      for (let i = 0; i < scene.objects.length; i++) {
        for (let j = i + 1; j < scene.objects.length; j++) {
          const a = scene.objects[i]!;
          const b = scene.objects[j]!;
          if (Math.hypot(a.cx - b.cx, a.cy - b.cy) < (a.size + b.size) / 2) overlapping.push(`${scene.seed}: ${a.id}/${b.id}`);
        }
      }
      expect(overlapping).toEqual([]);
    }
  });

  it('varies object sizes from tiny to large and prints glyphs on some objects', () => {
    const sizes = samples.flatMap((s) => s.scene.objects.map((o) => o.size / Math.min(s.scene.width, s.scene.height)));
    expect(samples.flatMap((s) => s.scene.objects).some((o) => o.size <= 12)).toBe(true);
    expect(sizes.some((f) => f >= 0.2)).toBe(true);
    const objects = samples.flatMap((s) => s.scene.objects);
    const withGlyph = objects.filter((o) => o.glyph !== null).length;
    expect(withGlyph / objects.length).toBeGreaterThan(0.05);
    expect(withGlyph).toBeLessThan(objects.length);
  });

  it('difficulty 0 gives smaller scenes with fewer objects than difficulty 1', () => {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const easy = Array.from({ length: 80 }, (_, i) => generateSample(i, { difficulty: 0 }).scene);
    const hard = Array.from({ length: 80 }, (_, i) => generateSample(i, { difficulty: 1 }).scene);
    expect(mean(easy.map((s) => Math.max(s.width, s.height)))).toBeLessThan(mean(hard.map((s) => Math.max(s.width, s.height))));
    expect(mean(easy.map((s) => s.objects.length))).toBeLessThan(mean(hard.map((s) => s.objects.length)));
    expect(Math.max(...easy.map((s) => s.objects.length))).toBeLessThanOrEqual(12);
    expect(Math.max(...hard.map((s) => Math.max(s.width, s.height)))).toBeGreaterThan(1800);
  });
});

describe('generateSample: questions and ground truth', () => {
  it('generates every family with several phrasings each', () => {
    for (const family of FAMILIES) {
      const fam = byFamily(family);
      expect(fam.length, family).toBeGreaterThan(N / FAMILIES.length / 2);
      expect(new Set(fam.map((s) => s.question.split(' ').slice(0, 3).join(' '))).size, family).toBeGreaterThanOrEqual(2);
    }
  });

  it('targets are boxes of the target objects, inside the image, and locatable at the view', () => {
    for (const s of samples) {
      const targets = targetsOf(s);
      expect(s.targets.length).toBe(s.targetIds.length);
      expect(new Set(s.targetIds).size).toBe(s.targetIds.length);
      targets.forEach((obj, i) => {
        const box = s.targets[i]!;
        expect(box).toEqual(objectBox(obj, s.scene));
        expect(containsBox(pixelBox(0, 0, s.scene.width, s.scene.height), box)).toBe(true);
        expect(containsBox(box, pixelBox(obj.cx - obj.size / 2, obj.cy - obj.size / 2, obj.cx + obj.size / 2, obj.cy + obj.size / 2))).toBe(true);
        expect(viewPixels(obj.size, s.scene)).toBeGreaterThanOrEqual(THRESHOLDS.locate);
      });
    }
  });

  it('glyph: answer is the target glyph; the target colour is unique; the glyph is zoom-readable', () => {
    for (const s of byFamily('glyph')) {
      const [t] = targetsOf(s);
      expect(s.targetIds.length).toBe(1);
      expect(s.answer).toBe(t!.glyph);
      expect(t!.size).toBeGreaterThanOrEqual(MIN_GLYPH_TARGET_PX);
      expect(s.scene.objects.filter((o) => o.colour === t!.colour).length).toBe(1);
      expect(s.question).toContain(t!.colour);
      expect(s.subject).toContain(t!.colour);
    }
  });

  it('shape: answer is the target shape; the target colour is unique', () => {
    for (const s of byFamily('shape')) {
      const [t] = targetsOf(s);
      expect(s.targetIds.length).toBe(1);
      expect(s.answer).toBe(t!.shape);
      expect(s.scene.objects.filter((o) => o.colour === t!.colour).length).toBe(1);
      expect(s.question).toContain(t!.colour);
    }
  });

  it('colour: answer is the target colour; the target shape is unique and visible at the view', () => {
    for (const s of byFamily('colour')) {
      const [t] = targetsOf(s);
      expect(s.targetIds.length).toBe(1);
      expect(s.answer).toBe(t!.colour);
      expect(s.scene.objects.filter((o) => o.shape === t!.shape).length).toBe(1);
      expect(s.question).toContain(t!.shape);
      expect(viewPixels(t!.size, s.scene)).toBeGreaterThanOrEqual(THRESHOLDS.colour);
    }
  });

  it('relation: both colours unique, answer agrees with the centres, clearly separated on the asked axis', () => {
    const answers = new Set<string>();
    for (const s of byFamily('relation')) {
      const [a, b] = targetsOf(s) as [SceneObject, SceneObject];
      expect(s.targetIds.length).toBe(2);
      expect(a.colour).not.toBe(b.colour);
      for (const t of [a, b]) {
        expect(s.scene.objects.filter((o) => o.colour === t.colour).length).toBe(1);
        expect(viewPixels(t.size, s.scene)).toBeGreaterThanOrEqual(THRESHOLDS.relation);
      }
      // The answer is the position of `the {a} object` relative to `the {b} object`.
      expect(s.question).toContain(`the ${a.colour} object`);
      expect(s.question).toMatch(new RegExp(`(of|below|above) the ${b.colour} object|Relative to the ${b.colour} object`));
      answers.add(s.answer);
      const horizontal = s.answer === 'left' || s.answer === 'right';
      expect(s.question).toMatch(horizontal ? /left or .*right/ : /above .*below/);
      const delta = horizontal ? a.cx - b.cx : a.cy - b.cy;
      expect(Math.abs(delta)).toBeGreaterThan(Math.max(a.size, b.size));
      const expected = horizontal ? (delta < 0 ? 'left' : 'right') : delta < 0 ? 'above' : 'below';
      expect(s.answer).toBe(expected);
    }
    expect(answers).toEqual(new Set(['left', 'right', 'above', 'below']));
  });

  it('count: answer equals the number of objects of that colour (1..6), all visible at the view', () => {
    const answers = new Set<string>();
    for (const s of byFamily('count')) {
      const targets = targetsOf(s);
      const colour = targets[0]!.colour;
      const all = s.scene.objects.filter((o) => o.colour === colour);
      expect(s.answer).toMatch(/^[1-6]$/);
      expect(Number(s.answer)).toBe(all.length);
      expect(new Set(s.targetIds)).toEqual(new Set(all.map((o) => o.id)));
      for (const t of all) expect(viewPixels(t.size, s.scene)).toBeGreaterThanOrEqual(THRESHOLDS.count);
      expect(s.question).toContain(colour);
      answers.add(s.answer);
    }
    expect(answers.size).toBeGreaterThanOrEqual(4);
  });

  it('resolvable is consistent with the thresholds; glyph and shape mix resolvable and not (20%..80%)', () => {
    for (const s of samples) {
      expect(s.resolvable).toBe(isResolvable(s.family, s.scene, targetsOf(s)));
      expect(s.resolvable).toBe(isResolvable(s.family, s.scene, s.targets));
      if (s.family === 'colour' || s.family === 'relation' || s.family === 'count') expect(s.resolvable).toBe(true);
    }
    for (const family of ['glyph', 'shape'] as const) {
      const fam = byFamily(family);
      const fraction = fam.filter((s) => s.resolvable).length / fam.length;
      expect(fraction, family).toBeGreaterThanOrEqual(0.2);
      expect(fraction, family).toBeLessThanOrEqual(0.8);
    }
  });

  it('answers are canonical: lower-case words, digits, or the glyph as printed', () => {
    for (const s of samples) {
      if (s.family === 'glyph') expect(GLYPHS).toContain(s.answer);
      else if (s.family === 'count') expect(s.answer).toMatch(/^\d$/);
      else expect(s.answer).toMatch(/^[a-z]+$/);
      expect(s.question.length).toBeGreaterThan(10);
      expect(s.subject).toMatch(/^the /);
    }
  });
});

describe('generateSample: options', () => {
  it('respects families and backgrounds', () => {
    for (let i = 0; i < 60; i++) {
      const s = generateSample(i, { families: ['glyph', 'count'], backgrounds: ['tiles'] });
      expect(['glyph', 'count']).toContain(s.family);
      expect(s.scene.background).toBe('tiles');
    }
  });

  it('respects targetSize, keeping targets locatable', () => {
    for (const range of [[16, 40], [100, 260]] as const) {
      for (let i = 0; i < 80; i++) {
        const s = generateSample(i, { targetSize: range });
        for (const t of targetsOf(s)) {
          expect(t.size).toBeGreaterThanOrEqual(range[0]);
          expect(t.size).toBeLessThanOrEqual(range[1]);
          expect(viewPixels(t.size, s.scene)).toBeGreaterThanOrEqual(THRESHOLDS.locate);
        }
      }
    }
    // Colour targets need ≥ 8 view px, i.e. ≥ 48 px even in the smallest scene: excluded here.
    for (let i = 0; i < 40; i++) expect(generateSample(i, { targetSize: [10, 30] }).family).not.toBe('colour');
  });

  it('countCluster puts counted objects into shared view scan areas; at 0 the scenes are unchanged', () => {
    const count = (options: { countCluster?: number }) => Array.from({ length: 80 }, (_, i) => generateSample(5000 + i, { families: ['count'], ...options }));
    const crowdedAreas = (list: Sample[]) => list.reduce((sum, s) => {
      const areas = targetsOf(s).map((t) => scanArea(objectBox(t, s.scene), s.scene, 'view'));
      return sum + new Set(areas.filter((a, i) => areas.indexOf(a) !== i)).size;
    }, 0);
    const plain = count({});
    expect(count({ countCluster: 0 })).toEqual(plain);
    const clustered = count({ countCluster: 1 });
    for (const s of clustered) expect(Number(s.answer)).toBe(s.targetIds.length);
    // Same answers (the number of targets is drawn first), many more areas holding 2+.
    expect(clustered.map((s) => s.answer)).toEqual(plain.map((s) => s.answer));
    expect(crowdedAreas(clustered)).toBeGreaterThan(2 * crowdedAreas(plain));
  });

  it('countBorder puts counted centres within 1 view px of a scan-area border; at 0 the scenes are unchanged', () => {
    const count = (options: { countBorder?: number }) => Array.from({ length: 60 }, (_, i) => generateSample(7000 + i, { families: ['count'], ...options }));
    const nearBorder = (list: Sample[]) => list.flatMap((s) => targetsOf(s).map((t) => viewScanBorderDistance(objectBox(t, s.scene), s.scene) < 1.05));
    const share = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;
    const plain = count({});
    expect(count({ countBorder: 0 })).toEqual(plain);
    const bordered = count({ countBorder: 1 });
    expect(bordered.map((s) => s.answer)).toEqual(plain.map((s) => s.answer));
    // the box is rounded out to whole pixels, so its centre may move by half an original pixel
    expect(share(nearBorder(bordered))).toBeGreaterThan(0.95);
    expect(share(nearBorder(plain))).toBeLessThan(0.5);
  });

  it('rejects impossible or unknown options with a clear error', () => {
    expect(() => generateSample(1, { families: ['colour'], targetSize: [10, 20] })).toThrow(/targetSize/);
    expect(() => generateSample(1, { families: ['nope' as Family] })).toThrow(/Unknown family/);
    expect(() => generateSample(1, { backgrounds: ['plaid' as never] })).toThrow(/Unknown background/);
    expect(() => generateSample(1, { countCluster: 1.5 })).toThrow(/countCluster 1.5/);
    expect(() => generateSample(1, { countCluster: Number.NaN })).toThrow(/countCluster/);
    expect(() => generateSample(1, { countBorder: -0.1 })).toThrow(/countBorder -0.1/);
  });
});
