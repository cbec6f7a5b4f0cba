/**
 * Seed ranges of the world, kept apart so nothing is evaluated on what it trained on: SFT draws
 * scenes from 0 upward (vision pre-training from 2e6, the reader probe from 3e6), RL prompts
 * from 5e8, and every evaluation from EVAL_SEED.
 */
export const EVAL_SEED = 1_000_000_000;
