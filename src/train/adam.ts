/**
 * Adam with decoupled weight decay and global-norm gradient clipping. Its state is plain named
 * tensors so a checkpoint can save and restore it exactly.
 */
import * as tf from '../model/tf';

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Gradients are rescaled when their global L2 norm exceeds this. */
  readonly clipNorm: number;
  /** Learning-rate multiplier per weight name (1 where absent): a zero-initialised pathway grown into a trained model needs a faster start. */
  readonly lrScale?: Readonly<Record<string, number>>;
}

export const DEFAULT_ADAM: AdamOptions = { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 };

export class Adam {
  readonly options: AdamOptions;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(options: AdamOptions = DEFAULT_ADAM) {
    this.options = options;
  }

  /**
   * Applies one update. @returns the global gradient norm before clipping (NaN/Inf means the
   * caller must not have called this: check first with gradNorm).
   */
  apply(vars: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number, norm: number): void {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.options;
    this.step++;
    const scale = norm > clipNorm ? clipNorm / norm : 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, g0] of Object.entries(grads)) {
        const p = vars[name];
        const m = this.slot(this.m, name, p);
        const v = this.slot(this.v, name, p);
        const g = g0.mul(scale);
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        const update = m.div(bc1).div(v.div(bc2).sqrt().add(eps));
        // no decay on biases, gains and positions' 1-D tensors
        const decay = p.rank >= 2 && !name.endsWith('.pos') ? p.mul(weightDecay) : tf.scalar(0);
        p.assign(p.sub(update.add(decay).mul(lr * (this.options.lrScale?.[name] ?? 1))));
      }
    });
  }

  private slot(map: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let s = map.get(name);
    if (!s) {
      s = tf.variable(tf.zerosLike(like), false);
      map.set(name, s);
    }
    return s;
  }

  /** State as named tensors (for checkpoints): `m.<name>`, `v.<name>`. */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [n, t] of this.m) out[`m.${n}`] = t;
    for (const [n, t] of this.v) out[`v.${n}`] = t;
    return out;
  }

  restore(step: number, state: Record<string, tf.Tensor>): void {
    this.dispose();
    this.step = step;
    for (const [key, t] of Object.entries(state)) {
      const [kind, ...rest] = key.split('.');
      (kind === 'm' ? this.m : this.v).set(rest.join('.'), tf.variable(t, false));
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** Global L2 norm of a gradient map, as a number (NaN/Inf when any gradient is). */
export async function gradNorm(grads: Record<string, tf.Tensor>): Promise<number> {
  const sq = tf.tidy(() => tf.addN(Object.values(grads).map((g) => g.square().sum())));
  const value = (await sq.data())[0];
  sq.dispose();
  return Math.sqrt(value);
}
