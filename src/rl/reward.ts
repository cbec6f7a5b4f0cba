/**
 * DeepEyes' outcome reward for one trajectory: R = wAcc·acc + wFmt·fmt + wTool·tool.
 *
 * - acc  ∈ {0, 1}: the answer matches the truth (normalised exact match, answer.ts).
 * - fmt  ∈ {−1, 0}: −1 when `trajectory.formatValid` is false, i.e. any turn had unbalanced
 *   `<think>`/`<tool_call>`/`<answer>` tags, the answer had 1000+ characters, OR the episode
 *   ended without an answer (turns or context ran out, a turn with no action). The last case is
 *   stricter than DeepEyes (there a missing answer only loses acc): it makes "commit to an
 *   answer" worth more than "zoom until the turns run out", which otherwise score the same 0.
 * - tool ∈ {0, 1}: 1 only when at least one crop came back (a 'zoom' step; error observations
 *   do not count) AND the answer is correct — DeepEyes' conditional bonus, which beat an
 *   unconditional one in their ablation.
 */
import { type Trajectory, zoomSteps } from '../agent/trajectory';
import { isCorrect } from './answer';

export interface RewardWeights {
  readonly accuracy: number;
  readonly format: number;
  readonly tool: number;
}

/** DeepEyes: 0.8 / 0.2 / 1.2. */
export const DEEPEYES_REWARD_WEIGHTS: RewardWeights = { accuracy: 0.8, format: 0.2, tool: 1.2 };

export interface RewardBreakdown {
  readonly total: number;
  readonly acc: number;
  readonly fmt: number;
  readonly tool: number;
}

export function trajectoryReward(trajectory: Trajectory, truth: string, weights: RewardWeights = DEEPEYES_REWARD_WEIGHTS): RewardBreakdown {
  const acc = isCorrect(trajectory.answer, truth) ? 1 : 0;
  const fmt = trajectory.formatValid ? 0 : -1;
  const tool = acc === 1 && zoomSteps(trajectory).length > 0 ? 1 : 0;
  return { total: weights.accuracy * acc + weights.format * fmt + weights.tool * tool, acc, fmt, tool };
}

/** Parses "0.8,0.2,1.2" (accuracy, format, tool). @throws on anything else. */
export function parseRewardWeights(text: string): RewardWeights {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) {
    throw new Error(`reward weights must be three numbers "acc,fmt,tool" (got "${text}")`);
  }
  return { accuracy: parts[0], format: parts[1], tool: parts[2] };
}
