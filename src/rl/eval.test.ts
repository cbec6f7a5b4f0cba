import { describe, expect, it } from 'vitest';
import { DEFAULT_EPISODE_OPTIONS } from '../agent/loop';
import { scriptedModel, squintCall } from '../agent/testing';
import { createNodeCanvas } from '../world/node-canvas';
import { generateSample } from '../world/generate';
import { evaluate } from './eval';

describe('evaluate', () => {
  it('records each turn\'s thought, the zoom and the verdict, and summarises them', async () => {
    const sample = generateSample(41, { families: ['colour'] });
    const model = scriptedModel([`<think>zoom</think>${squintCall([0, 0, 100, 100])}`, `<think>the answer</think><answer>${sample.answer}</answer>`]);
    const { report, records } = await evaluate(model, [sample], createNodeCanvas, { ...DEFAULT_EPISODE_OPTIONS, seed: 1 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ family: 'colour', truth: sample.answer, answer: sample.answer, correct: true, zooms: 1, turns: 2, firstZoomHits: true });
    expect(records[0].thoughts).toEqual(['zoom', 'the answer']);
    expect(report).toMatchObject({ n: 1, accuracy: 1, toolRate: 1, firstZoomHitRate: 1 });
    expect(report.byFamily.colour).toEqual({ n: 1, accuracy: 1, toolRate: 1 });
  });
});
