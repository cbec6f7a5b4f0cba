/** Token sampling from logits: greedy, temperature and nucleus (top-p), from a seeded RNG. */

export interface SamplingOptions {
  /** 0 = greedy (argmax). */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 = no truncation. */
  readonly topP: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topP: 1 };

/** mulberry32: small, fast, good enough for sampling; the state is one uint32. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** log-softmax of logits / temperature (temperature 0 treated as 1). */
export function logSoftmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const t = temperature > 0 ? temperature : 1;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / t);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] / t - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] / t - lse;
  return out;
}

/** Returns the chosen token id. `allowed` (optional) masks the vocabulary. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: () => number): number {
  if (options.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const logp = logSoftmax(logits, options.temperature);
  const order = Array.from(logp.keys()).sort((a, b) => logp[b] - logp[a]);
  // keep the smallest prefix whose mass reaches topP
  let mass = 0;
  let keep = 0;
  while (keep < order.length && (keep === 0 || mass < options.topP)) mass += Math.exp(logp[order[keep++]]);
  let r = random() * mass;
  for (let i = 0; i < keep; i++) {
    r -= Math.exp(logp[order[i]]);
    if (r <= 0) return order[i];
  }
  return order[keep - 1];
}
