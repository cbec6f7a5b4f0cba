/**
 * GRPO rollouts: G sampled episodes per prompt through the same `runEpisode` the browser and
 * eval use, scored with DeepEyes' reward, and group-normalised advantages.
 *
 * A group whose rewards are all equal (all wrong, all right-with-zoom, …) has advantage 0 for
 * every rollout: it contributes nothing to the policy gradient but would still dilute the
 * token-mean and cost a forward/backward. Such groups are marked `informative: false`, left out
 * of the loss and counted (`skippedGroups`), as DAPO's dynamic sampling does.
 */
import { sampleImage } from '../agent/episode-image';
import { type AgentModel, type EpisodeOptions, runEpisode } from '../agent/loop';
import { type Trajectory, zoomSteps } from '../agent/trajectory';
import type { CreateCanvas } from '../world/canvas';
import { hashSeed } from '../world/rng';
import type { Sample } from '../world/types';
import { DEEPEYES_REWARD_WEIGHTS, type RewardBreakdown, type RewardWeights, trajectoryReward } from './reward';

export interface Rollout {
  readonly trajectory: Trajectory;
  readonly reward: RewardBreakdown;
  /** (r − group mean) / (group std + eps); 0 in a group without signal. */
  readonly advantage: number;
}

export interface RolloutGroup {
  readonly sample: Sample;
  readonly rollouts: Rollout[];
  readonly meanReward: number;
  readonly stdReward: number;
  /** False when every reward in the group was equal: left out of the loss. */
  readonly informative: boolean;
}

export interface RolloutOptions {
  /** G: rollouts per prompt (DeepEyes: 16). */
  readonly groupSize: number;
  /** Episode settings; sampling.temperature must be > 0 (the GRPO step uses the same one). */
  readonly episode: EpisodeOptions;
  readonly rewardWeights?: RewardWeights;
}

/** Added to the std so a near-constant group does not blow advantages up (verl: 1e-6). */
export const ADVANTAGE_EPS = 1e-6;

/**
 * Group-normalised advantages. The std is the unbiased (n−1) one, as verl's GRPO computes it
 * with torch.std, so the advantages of an informative group have sample std ≈ 1.
 */
export function groupAdvantages(rewards: readonly number[], eps = ADVANTAGE_EPS): { advantages: number[]; mean: number; std: number; informative: boolean } {
  const n = rewards.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : 0;
  // rewards are sums of a few fixed weights: equal outcomes give bit-identical totals
  const informative = Math.max(...rewards) - Math.min(...rewards) > 1e-9;
  const advantages = informative ? rewards.map((r) => (r - mean) / (std + eps)) : rewards.map(() => 0);
  return { advantages, mean, std, informative };
}

/**
 * Runs G episodes on one prompt (the scene is rendered once and shared: crops only read it).
 * Rollout i samples with seed hash(episode.seed, sample.seed, i), so a group is reproducible.
 * @throws when the sampling temperature is not positive (greedy rollouts carry no exploration
 * and no valid sampling log-probs).
 */
export async function rolloutGroup(model: AgentModel, sample: Sample, createCanvas: CreateCanvas, options: RolloutOptions): Promise<RolloutGroup> {
  if (!(options.episode.sampling.temperature > 0)) throw new Error('GRPO rollouts need a sampling temperature > 0');
  const image = sampleImage(sample, createCanvas);
  const trajectories: Trajectory[] = [];
  for (let i = 0; i < options.groupSize; i++) {
    // a macrotask boundary: decoding resolves as microtasks, so a stop request (SIGINT, a
    // worker message) would otherwise wait for the whole group
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (options.episode.signal?.aborted) break;
    const seed = hashSeed(options.episode.seed, sample.seed, i);
    trajectories.push(await runEpisode(model, image, sample.question, { ...options.episode, seed }));
  }
  const rewards = trajectories.map((t) => trajectoryReward(t, sample.answer, options.rewardWeights ?? DEEPEYES_REWARD_WEIGHTS));
  const g = trajectories.length ? groupAdvantages(rewards.map((r) => r.total)) : { advantages: [], mean: 0, std: 0, informative: false };
  return {
    sample,
    rollouts: trajectories.map((trajectory, i) => ({ trajectory, reward: rewards[i], advantage: g.advantages[i] })),
    meanReward: g.mean,
    stdReward: g.std,
    informative: g.informative,
  };
}

export interface RolloutStats {
  readonly rollouts: number;
  readonly meanReward: number;
  /** Std of the reward over all rollouts of the batch (population std). */
  readonly stdReward: number;
  readonly accuracy: number;
  /** Share of rollouts with at least one returned crop. */
  readonly toolRate: number;
  /** Rollouts with fmt = −1. */
  readonly formatErrors: number;
  readonly groups: number;
  readonly skippedGroups: number;
  /** Model-written tokens over all rollouts. */
  readonly modelTokens: number;
}

export function rolloutStats(groups: readonly RolloutGroup[]): RolloutStats {
  const all = groups.flatMap((g) => g.rollouts);
  const n = Math.max(1, all.length);
  const mean = all.reduce((a, r) => a + r.reward.total, 0) / n;
  return {
    rollouts: all.length,
    meanReward: mean,
    stdReward: Math.sqrt(all.reduce((a, r) => a + (r.reward.total - mean) ** 2, 0) / n),
    accuracy: all.reduce((a, r) => a + r.reward.acc, 0) / n,
    toolRate: all.filter((r) => zoomSteps(r.trajectory).length > 0).length / n,
    formatErrors: all.filter((r) => r.reward.fmt < 0).length,
    groups: groups.length,
    skippedGroups: groups.filter((g) => !g.informative).length,
    modelTokens: all.reduce((a, r) => a + r.trajectory.sequence.modelMask.reduce((s, m) => s + m, 0), 0),
  };
}
