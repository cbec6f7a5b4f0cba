import { describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import '@tensorflow/tfjs-backend-cpu';
import { patchCount, patchDim, presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { Vlm } from '../model/vlm';
import { generateSample } from '../world/generate';
import { createRng } from '../world/rng';
import { COLOUR_NAMES } from '../world/types';
import { MIN_CROP_SIDE } from '../agent/crop';
import { Adam } from './adam';
import { createAuxHead } from './aux-head';
import { toVariables } from './sft';
import { AUX_CHANNELS, CENTRE_CHANNEL } from './vision-labels';
import { visionLoss, visionMetrics, visionStep } from './vision-pretrain';
import { GLOBAL_SCALE_VIEW_PX, globalScaleViews, pretrainViews, readerViews } from './vision-views';

describe('vision pre-training', () => {
  it('views: the full image first, then checked crops inside the image', () => {
    const s = generateSample(42, { families: ['glyph'] });
    const views = pretrainViews(createRng(1), s.scene, 7);
    expect([...views[0]]).toEqual([0, 0, s.scene.width, s.scene.height]);
    expect(views.length).toBe(8);
    for (const v of views.slice(1)) {
      expect(v[0]).toBeGreaterThanOrEqual(0);
      expect(v[2]).toBeLessThanOrEqual(s.scene.width);
      expect(v[2] - v[0]).toBeGreaterThan(30);
    }
  });

  it('reader views: checked square crops of 1.6–3.4× an object, each holding that object\'s centre', () => {
    const s = generateSample(43, { families: ['shape'] });
    const views = readerViews(createRng(2), s.scene, 6);
    expect(views.length).toBe(6);
    for (const v of views) {
      expect(v[0]).toBeGreaterThanOrEqual(0);
      expect(v[1]).toBeGreaterThanOrEqual(0);
      expect(v[2]).toBeLessThanOrEqual(s.scene.width);
      expect(v[3]).toBeLessThanOrEqual(s.scene.height);
      const holds = s.scene.objects.filter((o) => o.cx >= v[0] && o.cx <= v[2] && o.cy >= v[1] && o.cy <= v[3]);
      // cut around one of them: some object is centred in it and at most 3.4× smaller than it (squareIn's minimum side can widen it)
      expect(holds.some((o) => (v[2] - v[0]) <= Math.max(o.size * 3.4, MIN_CROP_SIDE + 12) + 2)).toBe(true);
    }
  });

  it('global-scale views: checked squares in which some object spans 6–14 of the 64 view px, its centre in the middle half', () => {
    const s = generateSample(44, { families: ['colour'] });
    const views = globalScaleViews(createRng(3), s.scene, 8);
    expect(views.length).toBe(8);
    const [lo, hi] = GLOBAL_SCALE_VIEW_PX;
    for (const v of views) {
      expect(v[0]).toBeGreaterThanOrEqual(0);
      expect(v[1]).toBeGreaterThanOrEqual(0);
      expect(v[2]).toBeLessThanOrEqual(s.scene.width);
      expect(v[3]).toBeLessThanOrEqual(s.scene.height);
      const side = Math.max(v[2] - v[0], v[3] - v[1]);
      // the image's edge may shift a square (squareIn), so "middle half" is checked only as "inside"
      const picked = s.scene.objects.filter((o) => o.cx >= v[0] && o.cx <= v[2] && o.cy >= v[1] && o.cy <= v[3]).map((o) => (o.size * 64) / side);
      // rounding outward to whole pixels and a crop clamped to a small image can make the object a little larger
      expect(picked.some((px) => px >= lo - 0.5 && px <= hi * 1.6)).toBe(true);
    }
    // mostly far smaller than a final zoom's: the crop is 4.5–10.7 times the object
    const ratios = views.map((v) => Math.max(v[2] - v[0], v[3] - v[1]) / Math.max(...s.scene.objects.map((o) => o.size)));
    expect(Math.max(...ratios)).toBeGreaterThan(3.4);
  });

  it('a step lowers the loss on a fixed batch, leaves no tensors behind, and metrics read labelled patches', async () => {
    await tf.setBackend('cpu');
    const config = presetConfig('tiny', 16);
    const init = initWeights(config, 3);
    const vars = toVariables(Object.fromEntries(Object.entries(init).filter(([n]) => n.startsWith('vision.'))));
    tf.dispose(Object.values(init));
    const head = createAuxHead(config.visionDim, AUX_CHANNELS, 1);
    const model = new Vlm(config, vars, 0);
    const adam = new Adam();
    const rng = createRng(5);
    const patches = tf.tensor3d(Array.from({ length: 4 * patchCount(config) * patchDim(config) }, () => rng.float(0, 1)), [4, patchCount(config), patchDim(config)]);
    // one glyph label (channel 14 + 3) at patch 0 of each view, colour coverage elsewhere
    const labelData = new Float32Array(4 * patchCount(config) * AUX_CHANNELS);
    for (let n = 0; n < 4; n++) labelData[n * patchCount(config) * AUX_CHANNELS + 17] = 1, labelData[(n * patchCount(config) + 1) * AUX_CHANNELS + 2] = 0.5;
    const labels = tf.tensor3d(labelData, [4, patchCount(config), AUX_CHANNELS]);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) losses.push((await visionStep(model, vars, head, adam, patches, labels, 1e-2)).loss);
    // Adam's moments are created on the first step; after that the count must hold
    const afterFirst = tf.memory().numTensors;
    await visionStep(model, vars, head, adam, patches, labels, 1e-2);
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(afterFirst - before).toBe(2 * (Object.keys(vars).length + 2));
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.7);
    const features = tf.tidy(() => model.encodePatches(patches));
    const m = await visionMetrics(features, labels, head);
    features.dispose();
    expect(m.glyphPatches).toBe(4);
    expect(m.glyphAccuracy).toBe(1);
    expect(m.shapePatches).toBe(0);
    tf.dispose([patches, labels, head.w, head.b, ...Object.values(vars)]);
  });

  it('the shape weight scales the shape term alone', async () => {
    await tf.setBackend('cpu');
    const patches = 3;
    const features = tf.tensor3d(Array.from({ length: patches * 4 }, (_, i) => Math.sin(i)), [1, patches, 4]);
    const data = new Float32Array(patches * AUX_CHANNELS);
    data[2] = 1; // a colour at patch 0
    data[AUX_CHANNELS + COLOUR_NAMES.length + 1] = 1; // a shape (the channels after the colours) at patch 1
    const labels = tf.tensor3d(data, [1, patches, AUX_CHANNELS]);
    const onlyColour = tf.tensor3d(data.map((v, i) => (i % AUX_CHANNELS >= COLOUR_NAMES.length ? 0 : v)), [1, patches, AUX_CHANNELS]);
    const [plain, triple] = [1, 3].map((w) => createAuxHead(4, AUX_CHANNELS, 1, 0, w));
    triple.w.assign(plain.w);
    const loss = (head: typeof plain, y: tf.Tensor3D) => tf.tidy(() => visionLoss(features, y, head).dataSync()[0]);
    const shapeTerm = loss(plain, labels) - loss(plain, onlyColour);
    expect(shapeTerm).toBeGreaterThan(0.5); // about ln 6 for an untrained head
    expect(loss(triple, labels)).toBeCloseTo(loss(plain, onlyColour) + 3 * shapeTerm, 4);
    tf.dispose([features, labels, onlyColour, plain.w, plain.b, triple.w, triple.b]);
  });

  it('the centre term is left out at weight 0 and adds weight × its sigmoid cross-entropy otherwise', async () => {
    await tf.setBackend('cpu');
    const patches = 4;
    const features = tf.tensor3d(Array.from({ length: patches * 4 }, (_, i) => Math.cos(i)), [1, patches, 4]);
    const data = new Float32Array(patches * AUX_CHANNELS);
    data[AUX_CHANNELS + CENTRE_CHANNEL] = 1; // an object's centre at patch 1
    const labels = tf.tensor3d(data, [1, patches, AUX_CHANNELS]);
    const none = tf.zeros([1, patches, AUX_CHANNELS]) as tf.Tensor3D;
    const [off, on] = [0, 2].map((w) => createAuxHead(4, AUX_CHANNELS, 1, 0, 1, w));
    on.w.assign(off.w);
    const loss = (head: typeof off, y: tf.Tensor3D) => tf.tidy(() => visionLoss(features, y, head).dataSync()[0]);
    expect(loss(off, labels)).toBeCloseTo(loss(off, none), 6);
    const centreLogits = tf.tidy(() => tf.matMul(features.reshape([patches, 4]), off.w).slice([0, CENTRE_CHANNEL], [-1, 1]).dataSync());
    const sigmoidCe = Array.from(centreLogits, (z, p) => Math.log(1 + Math.exp(-z)) + (p === 1 ? 0 : z)).reduce((a, b) => a + b, 0) / patches;
    expect(loss(on, labels)).toBeCloseTo(loss(off, labels) + 2 * sigmoidCe, 4);
    tf.dispose([features, labels, none, off.w, off.b, on.w, on.b]);
  });
});
