import { describe, expect, it } from 'vitest';
import { DEFAULT_EPISODE_OPTIONS } from '../agent/loop';
import { scriptedModel, squintCall } from '../agent/testing';
import { createNodeCanvas } from '../world/node-canvas';
import { generateSample } from '../world/generate';
import { groupAdvantages, rolloutGroup, rolloutStats } from './rollout';

const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('groupAdvantages', () => {
  it('normalises a group to mean 0 and std 1', () => {
    const { advantages, informative } = groupAdvantages([2, 0, 0.8, -0.2, 2, 0]);
    expect(informative).toBe(true);
    expect(advantages.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
    expect(sampleStd(advantages)).toBeCloseTo(1, 5);
    // order is kept: the best rollout has the largest advantage
    expect(advantages[0]).toBe(Math.max(...advantages));
  });

  it('a group whose rewards are all equal carries no signal: zero advantages, not informative', () => {
    for (const r of [[0, 0, 0, 0], [2, 2, 2], [-0.2, -0.2]]) {
      const g = groupAdvantages(r);
      expect(g.informative).toBe(false);
      expect(g.advantages).toEqual(r.map(() => 0));
    }
  });

  it('two distinct rewards give symmetric advantages', () => {
    const { advantages } = groupAdvantages([1, 0]);
    expect(advantages[0]).toBeCloseTo(-advantages[1], 6);
    expect(sampleStd(advantages)).toBeCloseTo(1, 5);
  });
});

describe('rolloutGroup', () => {
  const sample = generateSample(500_000_000, { families: ['colour'], difficulty: 0 });
  const options = (temperature: number) => ({ groupSize: 3, episode: { ...DEFAULT_EPISODE_OPTIONS, maxTokensPerTurn: 200, sampling: { temperature, topP: 1 } } });

  it('runs G episodes, scores each, and skips a group that always does the same', async () => {
    // at τ = 0.1 the scripted model's logit margin of 10 makes sampling deterministic
    const model = scriptedModel([`<think>zoom</think>${squintCall([10, 10, 60, 60])}`, `<answer>${sample.answer}</answer>`]);
    const g = await rolloutGroup(model, sample, createNodeCanvas, options(0.1));
    expect(g.rollouts).toHaveLength(3);
    for (const r of g.rollouts) {
      expect(r.reward).toEqual({ total: 2, acc: 1, fmt: 0, tool: 1 });
      expect(r.advantage).toBe(0);
      // sampling log-probs are recorded for every model token
      const { modelMask, logprobs } = r.trajectory.sequence;
      expect(logprobs.every((lp, i) => (modelMask[i] ? lp <= 0 && lp > -1e-3 : lp === 0))).toBe(true);
    }
    expect(g.informative).toBe(false);
    const stats = rolloutStats([g]);
    expect(stats).toMatchObject({ rollouts: 3, meanReward: 2, accuracy: 1, toolRate: 1, formatErrors: 0, groups: 1, skippedGroups: 1 });
  });

  it('refuses greedy rollouts', async () => {
    await expect(rolloutGroup(scriptedModel(['<answer>x</answer>']), sample, createNodeCanvas, options(0))).rejects.toThrow(/temperature/);
  });
});
