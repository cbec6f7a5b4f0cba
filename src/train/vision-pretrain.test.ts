import { describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import '@tensorflow/tfjs-backend-cpu';
import { patchCount, patchDim, presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { Vlm } from '../model/vlm';
import { generateSample } from '../world/generate';
import { createRng } from '../world/rng';
import { COLOUR_NAMES, SHAPES } from '../world/types';
import { MIN_CROP_SIDE } from '../agent/crop';
import { Adam } from './adam';
import { createAuxHead } from './aux-head';
import { toVariables } from './sft';
import { AUX_CHANNELS, CENTRE_CHANNEL } from './vision-labels';
import { centreFeatures, centreShapeAccuracy, centreShapeLoss, visionLoss, visionMetrics, visionStep } from './vision-pretrain';
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

  it('global-scale views: checked squares centred on an object that spans 7–13 of the 64 view px', () => {
    const s = generateSample(44, { families: ['colour'] });
    const views = globalScaleViews(createRng(3), s.scene, 8);
    expect(views.length).toBeGreaterThan(0);
    const [lo, hi] = GLOBAL_SCALE_VIEW_PX;
    for (const { box, object } of views) {
      expect(box[0]).toBeGreaterThanOrEqual(0);
      expect(box[1]).toBeGreaterThanOrEqual(0);
      expect(box[2]).toBeLessThanOrEqual(s.scene.width);
      expect(box[3]).toBeLessThanOrEqual(s.scene.height);
      const side = box[2] - box[0];
      expect(Math.abs(box[3] - box[1] - side)).toBeLessThanOrEqual(1);
      // the object spans the band (plus the outward rounding to whole pixels)…
      const viewPx = (object.size * 64) / side;
      expect(viewPx).toBeGreaterThanOrEqual(lo * 0.95);
      expect(viewPx).toBeLessThanOrEqual(hi);
      // …and its centre lies within 15% of its size (plus the 2% shift allowed) of the view's: on the four centre tokens
      const off = Math.hypot((box[0] + box[2]) / 2 - object.cx, (box[1] + box[3]) / 2 - object.cy);
      expect(off).toBeLessThanOrEqual(0.15 * Math.SQRT2 * object.size + 0.02 * side + 1);
    }
  });

  it('centre shape loss reads the four centre tokens only, and teaches the head to name the centred shape', async () => {
    await tf.setBackend('cpu');
    const start = tf.memory().numTensors;
    // features [2, 16 tokens (4×4), 3]: the centre four are tokens 5, 6, 9, 10
    const data = new Float32Array(2 * 16 * 3).fill(100);
    for (const t of [5, 6, 9, 10]) data.set([1, 2, 3], t * 3), data.set([3, 2, 1], (16 + t) * 3);
    const features = tf.tensor3d(data, [2, 16, 3]);
    const centre = tf.tidy(() => centreFeatures(features));
    expect(Array.from(await centre.data())).toEqual([1, 2, 3, 3, 2, 1]);
    const head = createAuxHead(3, AUX_CHANNELS, 1);
    const shapes = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 4], 'int32'), SHAPES.length).toFloat() as tf.Tensor2D);
    const small = tf.tensor3d(data.map((v) => (v === 100 ? -7 : v)), [2, 16, 3]); // the other tokens changed: the same loss
    const [a, b] = tf.tidy(() => [centreShapeLoss(features, shapes, head), centreShapeLoss(small, shapes, head)]);
    expect((await a.data())[0]).toBeCloseTo((await b.data())[0], 5);
    const adam = new Adam();
    for (let i = 0; i < 60; i++) {
      const { value, grads } = tf.variableGrads(() => centreShapeLoss(features, shapes, head), [head.w, head.b]);
      adam.apply({ 'aux.w': head.w, 'aux.b': head.b }, { 'aux.w': grads[head.w.name], 'aux.b': grads[head.b.name] }, 0.05, 1);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(await centreShapeAccuracy(features, shapes, head)).toBe(1);
    tf.dispose([features, centre, shapes, small, a, b, head.w, head.b]);
    adam.dispose();
    expect(tf.memory().numTensors).toBe(start);
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
