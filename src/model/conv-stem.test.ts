import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from './tf';
import { inputShape, patchCount, presetConfig, validateConfig, weightShapes } from './config';
import { initWeights } from './init';
import { convWindows, patchify } from './preprocess';
import { Vlm } from './vlm';

const config = presetConfig('tiny-conv', 10); // 32 px view, 16×16 → 8×8 → 4×4 grid, visionDim 16
const side = config.imageSize;
const randomView = (seed: number) => Float32Array.from({ length: side * side * 3 }, (_, i) => (Math.sin(i * 12.9898 + seed) * 43758.5453) % 1 * 0.5 + 0.5);

describe('conv windows (im2col of the stem\'s first layer)', () => {
  it('holds each 4×4 stride-2 window, zero-padded by one pixel, normalised to [-1, 1]', () => {
    const view = randomView(1);
    const windows = convWindows(view, config);
    expect(windows.length).toBe(inputShape(config)[0] * inputShape(config)[1]);
    const at = (oy: number, ox: number, ky: number, kx: number, c: number) => windows[(oy * (side / 2) + ox) * 48 + (ky * 4 + kx) * 3 + c];
    const pixel = (y: number, x: number, c: number) => view[(y * side + x) * 3 + c] * 2 - 1;
    // window (3, 5) covers rows 5..8 and columns 9..12
    expect(at(3, 5, 0, 0, 0)).toBeCloseTo(pixel(5, 9, 0), 6);
    expect(at(3, 5, 3, 2, 2)).toBeCloseTo(pixel(8, 11, 2), 6);
    // window (0, 0) starts one pixel outside the view
    expect(at(0, 0, 0, 0, 1)).toBe(0);
    expect(at(0, 0, 1, 1, 1)).toBeCloseTo(pixel(0, 0, 1), 6);
    expect(at(side / 2 - 1, 0, 3, 1, 0)).toBe(0);
  });
});

describe('conv stem', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  it('equals three strided tf.conv2d layers, its features in the same patch order as patchify', async () => {
    const weights = initWeights(config, 5);
    // non-zero biases, so a misplaced bias would show
    for (const name of ['vision.stem1.b', 'vision.stem2.b', 'vision.stem3.b']) {
      weights[name].dispose();
      weights[name] = tf.randomNormal(weightShapes(config)[name], 0, 0.1, 'float32', 9);
    }
    const view = randomView(2);
    const input = tf.tensor3d(convWindows(view, config), [1, ...inputShape(config)]);
    const vlm = new Vlm(config, weights, 0);
    // the stem alone: the encoder's features minus its learned positions, before the blocks
    const stem = (vlm as unknown as { convStem(cells: tf.Tensor2D, n: number): tf.Tensor3D }).convStem(vlm.stemCells(input), input.shape[0]);

    // reference: NHWC convolutions; a matMul weight [kh·kw·cin, cout] is an HWIO kernel
    const kernel = (name: string, k: number) => {
      const [inDim, outDim] = weights[`vision.${name}.w`].shape as [number, number];
      return weights[`vision.${name}.w`].reshape([k, k, inDim / (k * k), outDim]) as tf.Tensor4D;
    };
    const image = tf.tensor4d(view.map((v) => v * 2 - 1), [1, side, side, 3]);
    const conv = (x: tf.Tensor4D, name: string, k: number) => tf.conv2d(x, kernel(name, k), 2, 'valid').add(weights[`vision.${name}.b`]) as tf.Tensor4D;
    let x = tf.relu(conv(tf.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]]), 'stem1', 4));
    x = tf.relu(conv(x, 'stem2', 2));
    x = conv(x, 'stem3', 2); // [1, 4, 4, Cv]
    // each feature into its patch slot: patchify's order, read off a view whose pixels name their patch
    const grid = side / 8;
    const labelView = new Float32Array(side * side * 3);
    for (let y = 0; y < side; y++) for (let xx = 0; xx < side; xx++) labelView[(y * side + xx) * 3] = (Math.floor(y / 8) * grid + Math.floor(xx / 8)) / 100;
    const patches = patchify(labelView, config);
    const order = Array.from({ length: patchCount(config) }, (_, i) => Math.round(((patches[i * 192] + 1) / 2) * 100));
    const reference = tf.gather(x.reshape([grid * grid, -1]), order);

    const [got, want] = [await stem.reshape([grid * grid, -1]).array(), await reference.array()] as number[][][];
    expect(got.length).toBe(16);
    let maxDiff = 0;
    for (let p = 0; p < got.length; p++) for (let c = 0; c < got[p].length; c++) maxDiff = Math.max(maxDiff, Math.abs(got[p][c] - want[p][c]));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(Math.max(...want.flat().map(Math.abs))).toBeGreaterThan(0.01); // not trivially zero
    tf.dispose([input, stem, image, x, reference, ...Object.values(weights)]);
  });

  it('colour pool: a per-pixel MLP max-pooled over each 8-px patch, projected — and zero at initialisation', async () => {
    const weights = initWeights(config, 7);
    const view = randomView(5);
    const input = tf.tensor3d(convWindows(view, config), [1, ...inputShape(config)]);
    const vlm = () => new Vlm(config, weights, 0);
    // a fresh pathway adds nothing, so growing a trained model by it changes none of its outputs
    const withPool = vlm().encodePatches(input);
    const { colourPool: _p, ...rest } = config;
    const without = new Vlm({ ...rest, colourPool: 0 }, weights, 0).encodePatches(input);
    expect(Math.max(...(await withPool.sub(without).abs().data()))).toBe(0);

    const pooled = vlm().colourPoolFeatures(input); // [1, 16, Cp]
    const cp = config.colourPool;
    const pixels = tf.tensor2d(view.map((v) => v * 2 - 1), [side * side, 3]);
    const hidden = tf.relu(pixels.matMul(weights['vision.pool.w1']).add(weights['vision.pool.b1']));
    const perPixel = tf.relu(hidden.matMul(weights['vision.pool.w2']).add(weights['vision.pool.b2'])).reshape([1, side, side, cp]) as tf.Tensor4D;
    const grid = side / 8;
    const rowMajor = tf.maxPool(perPixel, 8, 8, 'valid').reshape([grid * grid, cp]);
    // merge-contiguous order: patch (gy, gx) sits at ((gy/2)·2 + gx/2)·4 + (gy%2)·2 + gx%2
    const order = Array.from({ length: grid * grid }, (_, i) => {
      const group = Math.floor(i / 4), within = i % 4;
      const gy = Math.floor(group / (grid / 2)) * 2 + Math.floor(within / 2), gx = (group % (grid / 2)) * 2 + (within % 2);
      return gy * grid + gx;
    });
    const want = (await tf.gather(rowMajor, order).array()) as number[][];
    const have = (await pooled.reshape([grid * grid, -1]).array()) as number[][];
    let maxDiff = 0;
    for (let p = 0; p < have.length; p++) for (let c = 0; c < have[p].length; c++) maxDiff = Math.max(maxDiff, Math.abs(have[p][c] - want[p][c]));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Math.max(...want.flat())).toBeGreaterThan(0.01);

    // the same pool over 4-px cells (probe:tally's fine grid), row-major
    const fine = vlm().colourPoolCells(input, 4);
    const wantFine = tf.maxPool(perPixel, 4, 4, 'valid').reshape([(side / 4) ** 2, cp]);
    expect(fine.shape).toEqual(wantFine.shape);
    expect(Math.max(...(await fine.sub(wantFine).abs().data()))).toBeLessThan(1e-5);
    tf.dispose([input, withPool, without, pooled, pixels, hidden, perPixel, rowMajor, fine, wantFine, ...Object.values(weights)]);
  });

  it('stemCells are the stem before its last layer: one row per 4-px cell, which that layer merges 2×2', async () => {
    const weights = initWeights(config, 8);
    const input = tf.tensor3d(convWindows(randomView(9), config), [1, ...inputShape(config)]);
    const vlm = new Vlm(config, weights, 0);
    const cells = vlm.stemCells(input); // [(S/4)², C2]
    const fineSide = side / 4;
    expect(cells.shape).toEqual([fineSide * fineSide, weights['vision.stem2.w'].shape[1]]);
    // patch (0, 1) of the 4×4 grid is cells (0..1, 2..3) through stem3, in (row, column, channel) order
    const rows = (await cells.array()) as number[][];
    const block = [rows[2], rows[3], rows[fineSide + 2], rows[fineSide + 3]].flat();
    const patch = tf.tensor2d(block, [1, block.length]).matMul(weights['vision.stem3.w']).add(weights['vision.stem3.b']);
    const stem = (vlm as unknown as { convStem(cells: tf.Tensor2D, n: number): tf.Tensor3D }).convStem(vlm.stemCells(input), input.shape[0]); // merge 2: merge-contiguous order, patch (0, 1) is index 1
    expect(Math.max(...(await patch.sub(stem.slice([0, 1, 0], [1, 1, -1]).reshape([1, -1])).abs().data()))).toBeLessThan(1e-5);
    tf.dispose([input, cells, patch, stem, ...Object.values(weights)]);
  });

  it('trains on WASM: every stem and colour-pool weight gets a finite, non-zero gradient', async () => {
    await tf.setBackend('wasm');
    const weights = initWeights(config, 6);
    // away from its zero initialisation, so the gradient reaches the pool's own convolution
    weights['vision.pool.out'].dispose();
    weights['vision.pool.out'] = tf.randomNormal(weightShapes(config)['vision.pool.out'], 0, 0.5, 'float32', 12);
    const vars = Object.fromEntries(Object.entries(weights).filter(([n]) => n.startsWith('vision.')).map(([n, t]) => [n, tf.variable(t)]));
    const vlm = new Vlm(config, vars, 0);
    const input = tf.tensor3d(new Float32Array([...convWindows(randomView(3), config), ...convWindows(randomView(4), config)]), [2, ...inputShape(config)]);
    const { value, grads } = tf.variableGrads(() => vlm.encodePatches(input).square().mean() as tf.Scalar, Object.values(vars));
    for (const name of ['vision.stem1.w', 'vision.stem2.w', 'vision.stem3.w', 'vision.stem3.b', 'vision.pool.w1', 'vision.pool.b1', 'vision.pool.w2', 'vision.pool.b2', 'vision.pool.out']) {
      const g = await grads[vars[name].name].data();
      expect(g.every(Number.isFinite), name).toBe(true);
      expect(g.some((v) => v !== 0), name).toBe(true);
    }
    tf.dispose([input, value, ...Object.values(grads), ...Object.values(weights), ...Object.values(vars)]);
    await tf.setBackend('cpu');
  });

  it('pool tokens: each image token adds its four patches\' pooled features through projector.pool, which WASM trains', async () => {
    const weights = initWeights(config, 8); // tiny-conv routes its pool to the tokens
    const input = tf.tensor3d(convWindows(randomView(6), config), [1, ...inputShape(config)]);
    const vlm = new Vlm(config, weights, 0);
    const { features, pooled } = vlm.encode(input);
    const tokens = vlm.encodeImages(input); // [1, 4, dim]
    const { poolTokens: _route, ...rest } = config;
    const unrouted = new Vlm({ ...rest, poolTokens: false }, weights, 0).projectPatches(features);
    // token k's pool input: patches 4k..4k+3 (merge-contiguous), channels concatenated in that order
    const merged = pooled!.reshape([4, 4 * config.colourPool]);
    const want = unrouted.reshape([4, -1]).add(merged.matMul(weights['projector.pool']));
    expect(Math.max(...(await tokens.reshape([4, -1]).sub(want).abs().data()))).toBeLessThan(1e-5);
    expect(Math.max(...(await tokens.sub(unrouted).abs().data()))).toBeGreaterThan(1e-4); // the route adds something
    expect(() => vlm.projectPatches(features)).toThrow(/pass the pooled features/);

    await tf.setBackend('wasm');
    const vars = Object.fromEntries(Object.entries(weights).map(([n, t]) => [n, tf.variable(t)]));
    const trainable = new Vlm(config, vars, 0);
    const { value, grads } = tf.variableGrads(() => trainable.encodeImages(input).square().mean() as tf.Scalar, [vars['projector.pool'], vars['vision.pool.w1']]);
    for (const name of ['projector.pool', 'vision.pool.w1']) {
      const g = await grads[vars[name].name].data();
      expect(g.every(Number.isFinite), name).toBe(true);
      expect(g.some((v) => v !== 0), name).toBe(true);
    }
    tf.dispose([input, features, pooled!, tokens, unrouted, merged, want, value, ...Object.values(grads), ...Object.values(weights), ...Object.values(vars)]);
    await tf.setBackend('cpu');
  });
});

describe('image-token grid positions', () => {
  it('add projector.pos to every image\'s tokens, initialised as a row vector plus a column vector', async () => {
    const weights = initWeights(config, 9); // tiny-conv: a 2×2 token grid
    const input = tf.tensor3d(new Float32Array([...convWindows(randomView(7), config), ...convWindows(randomView(8), config)]), [2, ...inputShape(config)]);
    const { tokenPositions: _on, ...rest } = config;
    const placed = new Vlm(config, weights, 0).encodeImages(input);
    const unplaced = new Vlm({ ...rest, tokenPositions: false }, weights, 0).encodeImages(input);
    const pos = (await weights['projector.pos'].array()) as number[][]; // [4, dim]
    const added = (await placed.sub(unplaced).array()) as number[][][];
    for (const image of added) for (let k = 0; k < 4; k++) image[k].forEach((v, d) => expect(v).toBeCloseTo(pos[k][d], 4));
    // factorised: moving one column changes a token by the same vector in either row
    pos[1].forEach((v, d) => expect(v - pos[0][d]).toBeCloseTo(pos[3][d] - pos[2][d], 5));
    expect(Math.hypot(...pos[0])).toBeGreaterThan(1); // at a scale the decoder can read
    tf.dispose([input, placed, unplaced, ...Object.values(weights)]);
  });
  it('reads configs saved before the field existed as without them, and refuses a bad value', () => {
    const { tokenPositions: _none, ...without } = presetConfig('aim', 50);
    expect(validateConfig(without).tokenPositions).toBe(false);
    expect(weightShapes(presetConfig('aim', 50))['projector.pos']).toEqual([16, 128]);
    expect(weightShapes(presetConfig('pool', 50))['projector.pos']).toBeUndefined();
    expect(() => validateConfig({ ...without, tokenPositions: 1 })).toThrow(/"tokenPositions" must be true or false/);
  });
});

describe('config stem field', () => {
  const { stem: _omitted, ...withoutStem } = presetConfig('vit', 50);
  it('reads configs saved before the field existed as the linear patch embedding', () => {
    expect(validateConfig(withoutStem).stem).toBe('patch');
  });
  it('reads configs saved before the colour pool existed as having none, and refuses a bad one', () => {
    const { colourPool: _none, ...withoutPool } = presetConfig('pool', 50);
    expect(validateConfig(withoutPool).colourPool).toBe(0);
    expect(validateConfig(presetConfig('pool', 50)).colourPool).toBe(16);
    expect(() => validateConfig({ ...withoutPool, colourPool: -2 })).toThrow(/"colourPool" must be a non-negative integer/);
    expect(() => validateConfig({ ...withoutStem, colourPool: 8 })).toThrow(/colourPool needs the conv stem/);
  });
  it('reads configs saved before pool tokens existed as not routing the pool, and refuses a bad route', () => {
    const { poolTokens: _none, ...withoutRoute } = presetConfig('aim', 50);
    expect(validateConfig(withoutRoute).poolTokens).toBe(false);
    expect(validateConfig(presetConfig('aim', 50)).poolTokens).toBe(true);
    expect(weightShapes(presetConfig('aim', 50))['projector.pool']).toEqual([64, 128]);
    expect(() => validateConfig({ ...withoutRoute, poolTokens: 'yes' })).toThrow(/"poolTokens" must be true or false/);
    expect(() => validateConfig({ ...withoutRoute, colourPool: 0, poolTokens: true })).toThrow(/poolTokens needs a colour pool/);
  });
  it('names a bad stem and a conv stem the geometry does not allow', () => {
    expect(() => validateConfig({ ...withoutStem, stem: 'resnet' })).toThrow(/"stem" must be one of patch, conv/);
    expect(() => validateConfig({ ...withoutStem, stem: 'conv', patchSize: 16 })).toThrow(/conv stem needs patchSize 8/);
  });
});
