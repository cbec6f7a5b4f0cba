/**
 * Building blocks shared by the vision encoder and the decoder. Written for the WASM backend's
 * gaps (DESIGN.md §5): matMul gradients use explicit transposes instead of transposeA/B
 * (≈4× faster there), and nothing here needs the gradient of gather or conv2d.
 */
import * as tf from './tf';

type Weights = Record<string, tf.Tensor>;

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return tf.transpose(t, perm);
}

/**
 * a @ b (rank ≥ 2, same batch shape) with a gradient built from explicit transposes + plain
 * matMul. tfjs' own gradient calls matMul with transposeA, which WASM runs ≈4× slower.
 */
export const fastMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)];
    },
  };
}) as never) as <T extends tf.Tensor>(a: T, b: tf.Tensor) => T;

/**
 * c @ w where c is a constant (one-hot ids, image placement, input patches): the gradient is
 * computed for w only — fastMatMul would also compute the unused gradient of c.
 */
export function constantTimes(c: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((wIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([c]); // saved tensors outlive the forward pass's tidy; captured ones would not
    return {
      value: tf.matMul(c, wIn as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy as tf.Tensor2D)],
    };
  }) as never) as (w: tf.Tensor2D) => tf.Tensor2D;
  return f(w);
}

/** x[..., in] @ w[in, out] + b[out], any leading shape. */
export function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const lead = x.shape.slice(0, -1) as number[];
  const [inDim, outDim] = w.shape as [number, number];
  let y: tf.Tensor = fastMatMul(x.reshape([-1, inDim]), w);
  if (b) y = y.add(b);
  return y.reshape([...lead, outDim]);
}

export function layerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gain).add(bias);
}

/** GELU, tanh approximation (as GPT-2). */
export function gelu(x: tf.Tensor): tf.Tensor {
  // x·x·x rather than pow(x, 3): WASM's Pow kernel (and its gradient) is ~10× slower.
  // 0.5·x·(1 + tanh(u)) = x·σ(2u) exactly; WASM's Sigmoid is vectorised, its Tanh is not
  // (×3.3 on [16, 113, 384]: bench/activations.ts)
  const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(2 * Math.sqrt(2 / Math.PI));
  return x.mul(tf.sigmoid(inner));
}

/** Cached keys and values of one attention layer: [B, H, T, headDim] each. */
export interface LayerCache {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/**
 * Multi-head self-attention over x [B, T, C]. With `past`, the keys/values of earlier positions
 * are prepended (KV cache) and the new ones are returned in `present`. `mask` is additive,
 * [T, Tpast + T] (0 = attend, -1e9 = blocked) or null for full attention.
 */
export function attention(
  x: tf.Tensor3D, w: Weights, prefix: string, heads: number, mask: tf.Tensor | null, past?: LayerCache,
): { out: tf.Tensor3D; present: LayerCache; probs: tf.Tensor4D } {
  const [B, T, C] = x.shape;
  const hd = C / heads;
  const qkv = dense(x, w[`${prefix}.qkv.w`], w[`${prefix}.qkv.b`]); // [B, T, 3C]
  const [q, k, v] = tf.split(qkv, 3, -1).map(
    (t) => t.reshape([B, T, heads, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D, // [B, H, T, hd]
  );
  const kAll = past ? (tf.concat([past.k, k], 2) as tf.Tensor4D) : k; // [B, H, Tk, hd]
  const vAll = past ? (tf.concat([past.v, v], 2) as tf.Tensor4D) : v;
  const kT = kAll.transpose([0, 1, 3, 2]); // [B, H, hd, Tk], explicit: see fastMatMul
  let scores = fastMatMul(q, kT).mul(1 / Math.sqrt(hd)); // [B, H, T, Tk]
  if (mask) scores = scores.add(mask);
  const probs = tf.softmax(scores, -1) as tf.Tensor4D; // [B, H, T, Tk]
  const ctx = fastMatMul(probs, vAll) // [B, H, T, hd]
    .transpose([0, 2, 1, 3])
    .reshape([B, T, C]);
  const out = dense(ctx, w[`${prefix}.proj.w`], w[`${prefix}.proj.b`]) as tf.Tensor3D;
  return { out, present: { k: kAll, v: vAll }, probs };
}

/** Pre-LN transformer block: x + attn(ln1(x)), then + mlp(ln2(x)). `attention`: its heads' weights [B, H, T, Tk]. */
export function transformerBlock(
  x: tf.Tensor3D, w: Weights, prefix: string, heads: number, mask: tf.Tensor | null, past?: LayerCache,
): { out: tf.Tensor3D; present: LayerCache; attention: tf.Tensor4D } {
  const a = attention(layerNorm(x, w[`${prefix}.ln1.g`], w[`${prefix}.ln1.b`]) as tf.Tensor3D, w, prefix, heads, mask, past);
  const h = x.add(a.out);
  const m = dense(gelu(dense(layerNorm(h, w[`${prefix}.ln2.g`], w[`${prefix}.ln2.b`]), w[`${prefix}.fc.w`], w[`${prefix}.fc.b`])),
    w[`${prefix}.out.w`], w[`${prefix}.out.b`]);
  return { out: h.add(m) as tf.Tensor3D, present: a.present, attention: a.probs };
}

/**
 * Additive causal mask for `queries` new positions following `past` cached ones:
 * [queries, past + queries], query i may see keys 0..past+i.
 */
export function causalMask(queries: number, past: number): tf.Tensor2D {
  const keys = past + queries;
  const data = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) for (let j = past + i + 1; j < keys; j++) data[i * keys + j] = -1e9;
  return tf.tensor2d(data, [queries, keys]);
}
