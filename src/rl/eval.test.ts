import { describe, expect, it } from 'vitest';
import { DEFAULT_EPISODE_OPTIONS } from '../agent/loop';
import { scriptedModel, squintCall } from '../agent/testing';
import { createNodeCanvas } from '../world/node-canvas';
import { generateSample } from '../world/generate';
import { REGION_ORDER, firstRegionNamed, regionName } from '../world/regions';
import { evaluate } from './eval';

describe('evaluate', () => {
  it('records each turn\'s thought, the zoom and the verdict, and summarises them', async () => {
    const sample = generateSample(41, { families: ['colour'] });
    const model = scriptedModel([`<think>zoom</think>${squintCall([0, 0, 100, 100])}`, `<think>the answer</think><answer>${sample.answer}</answer>`]);
    const { report, records } = await evaluate(model, [sample], createNodeCanvas, { ...DEFAULT_EPISODE_OPTIONS, seed: 1 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ family: 'colour', truth: sample.answer, answer: sample.answer, correct: true, zooms: 1, turns: 2, firstZoomHits: true });
    expect(records[0].thoughts).toEqual(['zoom', 'the answer']);
    expect(records[0].regionHits).toBeNull(); // "zoom" names no region
    expect(report).toMatchObject({ n: 1, accuracy: 1, toolRate: 1, firstZoomHitRate: 1, regionHitRate: null });
    expect(report.byFamily.colour).toEqual({ n: 1, accuracy: 1, toolRate: 1 });
  });

  it('checks the region the first thought names against the targets\' regions', async () => {
    const samples = [generateSample(42, { families: ['colour'] }), generateSample(43, { families: ['colour'] })];
    const where = (i: number) => regionName(samples[i].targets[0], { width: samples[i].scene.width, height: samples[i].scene.height });
    const elsewhere = REGION_ORDER.find((r) => r !== where(1))!;
    const records = [];
    for (const [i, region] of [where(0), elsewhere].entries()) {
      const model = scriptedModel([`<think>it is in ${region}, and it is red.</think><answer>red</answer>`]);
      records.push(...(await evaluate(model, [samples[i]], createNodeCanvas, { ...DEFAULT_EPISODE_OPTIONS, seed: 1 })).records);
    }
    expect(records.map((r) => r.regionHits)).toEqual([true, false]);
  });

  it('with framings, answers by the majority of the readings; every other field is the first reading\'s', async () => {
    const sample = generateSample(41, { families: ['colour'] });
    const wrong = sample.answer === 'red' ? 'blue' : 'red';
    const scripts = [[`<think>zoom</think>${squintCall([0, 0, 100, 100])}`, `<answer>${wrong}</answer>`], [`<answer>${sample.answer}</answer>`], [`<answer>${sample.answer}</answer>`]];
    const models = scripts.map((turns) => scriptedModel(turns));
    let session = 0;
    const model = { ...models[0], newSession: () => models[session++].newSession() };
    const { report, records } = await evaluate(model, [sample], createNodeCanvas, { ...DEFAULT_EPISODE_OPTIONS, seed: 1 }, undefined, 3);
    expect(records[0]).toMatchObject({ answer: sample.answer, correct: true, zooms: 1, turns: 2, firstZoomHits: true });
    expect(records[0].framings).toEqual({ answers: [wrong, sample.answer, sample.answer], zooms: [1, 0, 0], votes: 2 });
    expect(report).toMatchObject({ accuracy: 1, toolRate: 1 });
  });
});

describe('firstRegionNamed', () => {
  it('finds the earliest "in <region>", not a shorter name inside a longer one', () => {
    expect(firstRegionNamed('The star is in the upper left, and the moon in the left.')).toBe('the upper left');
    expect(firstRegionNamed('I see them in the left and the upper left.')).toBe('the left');
    expect(firstRegionNamed('I zoom in on it.')).toBeNull();
  });
});
