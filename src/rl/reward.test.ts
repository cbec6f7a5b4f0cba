import { describe, expect, it } from 'vitest';
import { DEFAULT_EPISODE_OPTIONS, runEpisode } from '../agent/loop';
import { plainImage, scriptedModel, squintCall } from '../agent/testing';
import { DEEPEYES_REWARD_WEIGHTS, parseRewardWeights, trajectoryReward } from './reward';

/** The trajectory a scripted model writes for these turns. */
const episode = (turns: string[]) => runEpisode(scriptedModel(turns), plainImage(), 'What colour?', { ...DEFAULT_EPISODE_OPTIONS, maxTokensPerTurn: 200 });
const zoom = `<think>I will zoom in.</think>${squintCall([10, 20, 40, 50])}`;

describe('trajectoryReward (DeepEyes 0.8·acc + 0.2·fmt + 1.2·tool)', () => {
  it('correct without a crop: accuracy only', async () => {
    const r = trajectoryReward(await episode(['<think>It is red.</think><answer>red</answer>']), 'red');
    expect(r).toEqual({ total: 0.8, acc: 1, fmt: 0, tool: 0 });
  });

  it('correct after a crop: accuracy + tool bonus', async () => {
    const r = trajectoryReward(await episode([zoom, '<think>It is red.</think><answer>Red.</answer>']), 'red');
    expect(r.acc).toBe(1);
    expect(r.tool).toBe(1);
    expect(r.total).toBeCloseTo(2.0);
  });

  it('wrong after a crop: no tool bonus (the bonus is conditional on the answer)', async () => {
    const r = trajectoryReward(await episode([zoom, '<answer>blue</answer>']), 'red');
    expect(r).toEqual({ total: 0, acc: 0, fmt: 0, tool: 0 });
  });

  it('a rejected tool call (error observation) is not a crop', async () => {
    const r = trajectoryReward(await episode(['<tool_call>{"name":</tool_call>', '<answer>red</answer>']), 'red');
    expect(r.tool).toBe(0);
    expect(r.total).toBeCloseTo(0.8);
  });

  it('unbalanced tags: fmt = −1 even when the answer is right', async () => {
    const r = trajectoryReward(await episode(['<think>oops<answer>red</answer>']), 'red');
    expect(r.fmt).toBe(-1);
    expect(r.acc).toBe(1);
    expect(r.total).toBeCloseTo(0.8 - 0.2);
  });

  it('no answer at all (turns ran out): fmt = −1', async () => {
    const t = await runEpisode(scriptedModel(Array(5).fill(zoom)), plainImage(), 'q', { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 2, maxTokensPerTurn: 200 });
    const r = trajectoryReward(t, 'red');
    expect(r).toEqual({ total: -0.2, acc: 0, fmt: -1, tool: 0 });
  });

  it('weights are configurable', async () => {
    const t = await episode([zoom, '<answer>red</answer>']);
    expect(trajectoryReward(t, 'red', { accuracy: 1, format: 0, tool: 0 }).total).toBe(1);
    expect(parseRewardWeights('0.8, 0.2,1.2')).toEqual(DEEPEYES_REWARD_WEIGHTS);
    expect(() => parseRewardWeights('1,2')).toThrow(/three numbers/);
  });
});
