import { describe, expect, it } from 'vitest';
import * as tf from './tf';
import { constantTimes, fastMatMul, gelu } from './ops';

const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0];

describe('custom-gradient matMuls agree with tf.matMul', () => {
  it('fastMatMul: value and both gradients, 2-D and batched', async () => {
    await tf.setBackend('cpu');
    for (const [sa, sb] of [[[5, 7], [7, 3]], [[2, 3, 5, 7], [2, 3, 7, 4]]] as const) {
      const a = tf.randomNormal([...sa], 0, 1, 'float32', 1);
      const b = tf.randomNormal([...sb], 0, 1, 'float32', 2);
      const f = (x: tf.Tensor, y: tf.Tensor) => fastMatMul(x, y).square().sum();
      const g = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum();
      const [da1, db1] = tf.grads(f)([a, b]);
      const [da2, db2] = tf.grads(g)([a, b]);
      expect(await maxDiff(fastMatMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-5);
      expect(await maxDiff(da1, da2)).toBeLessThan(1e-4);
      expect(await maxDiff(db1, db2)).toBeLessThan(1e-4);
    }
  });

  it('constantTimes: gradient of the weight only', async () => {
    const c = tf.oneHot(tf.tensor1d([0, 3, 2, 3], 'int32'), 5).toFloat() as tf.Tensor2D;
    const w = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    const [dw1] = tf.grads((x: tf.Tensor) => constantTimes(c, x as tf.Tensor2D).square().sum())([w]);
    const [dw2] = tf.grads((x: tf.Tensor) => tf.matMul(c, x as tf.Tensor2D).square().sum())([w]);
    expect(await maxDiff(dw1, dw2)).toBeLessThan(1e-5);
  });

  it('gelu matches the tanh approximation', async () => {
    const x = tf.tensor1d([-3, -1, 0, 0.5, 2]);
    const want = [-0.00363739, -0.15880801, 0, 0.34571401, 1.95459769];
    const got = await gelu(x).data();
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });
});
