/**
 * Seed ranges of the world, kept apart so nothing is evaluated on what it trained on: SFT draws
 * scenes from 0 upward (vision pre-training from 2e6, the reader probe from 3e6, the aim probe
 * from 5e6 and 6e6), RL prompts from 5e8, and every evaluation from EVAL_SEED.
 */
export const EVAL_SEED = 1_000_000_000;

/** The background style kept out of every training run (SFT, vision pre-training, RL), to measure a style shift. */
export const HELD_OUT_BACKGROUND = 'tiles';

/** A difficulty in [0, 1) per seed, evenly spread over consecutive seeds (golden-ratio steps). */
export const seedDifficulty = (seed: number): number => (seed * 0.6180339887) % 1;
