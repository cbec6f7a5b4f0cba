/**
 * Seeded pseudo-random numbers (mulberry32). Pure: the same seed always gives the same
 * sequence, in Node and in the browser. Never use Math.random in the world.
 */

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform float in [lo, hi). */
  float(lo?: number, hi?: number): number;
  /** Uniform integer in [lo, hi], both ends inclusive. */
  int(lo: number, hi: number): number;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** True with probability p. */
  chance(p: number): boolean;
  /** An independent generator derived from this one's seed and `salt` (does not advance this one). */
  fork(salt: number): Rng;
}

/** Mixes numbers into one 32-bit seed (murmur3-style finaliser), e.g. hashSeed(seed, 17). */
export function hashSeed(...values: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    // Fold in the value's low and high 32 bits so large seeds are not truncated.
    const lo = v >>> 0;
    const hi = Math.floor(v / 0x100000000) >>> 0;
    for (const part of [lo, hi]) {
      h = Math.imul(h ^ part, 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  const base = hashSeed(seed);
  let state = base;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    float: (lo = 0, hi = 1) => lo + (hi - lo) * next(),
    int: (lo, hi) => {
      const a = Math.ceil(Math.min(lo, hi));
      const b = Math.floor(Math.max(lo, hi));
      return a + Math.floor(next() * (b - a + 1));
    },
    pick: (items) => {
      if (items.length === 0) throw new Error('rng.pick: empty array');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = out[i]!;
        out[i] = out[j]!;
        out[j] = tmp;
      }
      return out;
    },
    chance: (p) => next() < p,
    fork: (salt) => createRng(hashSeed(base, salt)),
  };
  return rng;
}
