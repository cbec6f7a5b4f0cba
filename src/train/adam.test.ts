import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { Adam, DEFAULT_ADAM } from './adam';

describe('Adam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('scales the step of weights named in lrScale, and only those', async () => {
    const vars = { a: tf.variable(tf.zeros([2, 2])), b: tf.variable(tf.zeros([2, 2])) };
    const grads = { a: tf.ones([2, 2]), b: tf.ones([2, 2]) };
    const adam = new Adam({ ...DEFAULT_ADAM, lrScale: { b: 10 } });
    adam.apply(vars, grads, 1e-3, 0.5);
    const [a, b] = [(await vars.a.data())[0], (await vars.b.data())[0]];
    expect(a).toBeCloseTo(-1e-3, 6); // Adam's first step is lr·sign(g)
    expect(b).toBeCloseTo(10 * a, 6);
    adam.dispose();
    tf.dispose([...Object.values(vars), ...Object.values(grads)]);
  });
});
