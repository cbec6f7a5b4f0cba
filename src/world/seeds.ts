import { generateSample } from './generate';
import { viewPixels } from './resolvability';
import { hashSeed } from './rng';
import type { Sample, WorldOptions } from './types';

/**
 * Seed ranges of the world, kept apart so nothing is evaluated on what it trained on: SFT draws
 * scenes from 0 upward (vision pre-training from 2e6, the reader probe from 3e6, the aim probe
 * from 5e6 and 6e6), replacements for held-out training draws from 3e8, RL prompts from 5e8, and
 * every evaluation from EVAL_SEED.
 */
export const EVAL_SEED = 1_000_000_000;

/** The background style kept out of every training run (SFT, vision pre-training, RL), to measure a style shift. */
export const HELD_OUT_BACKGROUND = 'tiles';

/** A difficulty in [0, 1) per seed, evenly spread over consecutive seeds (golden-ratio steps). */
export const seedDifficulty = (seed: number): number => (seed * 0.6180339887) % 1;

/**
 * Target sizes kept out of training beside the background style: a sample whose any target spans
 * LO ≤ view px < HI of the 64-px view (11% of samples, every family) is replaced in training and
 * makes the size split in evaluation (`npm run eval -- --target-view 10,12`).
 */
export const HELD_OUT_TARGET_VIEW: readonly [number, number] = [10, 12];

/** Where replacements for held-out training draws come from: a range no other use draws on. */
const REPLACEMENT_SEED = 300_000_000;
const REPLACEMENT_RANGE = 100_000_000;

/** Whether any of the sample's targets spans `band` (view px, lower bound inclusive). */
export function inTargetBand(sample: Sample, band: readonly [number, number]): boolean {
  return sample.targets.some((t) => {
    const v = viewPixels(Math.max(t[2] - t[0], t[3] - t[1]), sample.scene);
    return v >= band[0] && v < band[1];
  });
}

/**
 * The training sample for `seed`: generateSample's, unless its targets fall in the held-out size
 * band or `accept` rejects it, then the first of a fixed sequence of replacement seeds whose
 * sample passes both. Deterministic; `band` null holds nothing out.
 */
export function trainingSample(
  seed: number, world: WorldOptions, band: readonly [number, number] | null, accept: (s: Sample) => boolean = () => true,
): Sample {
  const passes = (s: Sample) => !(band && inTargetBand(s, band)) && accept(s);
  let sample = generateSample(seed, world);
  for (let k = 1; !passes(sample); k++) {
    if (k > 50) throw new Error(`seed ${seed}: none of 50 replacements is outside the held-out target sizes [${band ?? 'none'}) and accepted by the filter`);
    sample = generateSample(REPLACEMENT_SEED + (hashSeed(seed, k) % REPLACEMENT_RANGE), world);
  }
  return sample;
}
