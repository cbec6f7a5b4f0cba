import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintModel } from '../model/squint-model';
import { context2d } from '../world/canvas';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeImage, runEpisode } from './loop';
import { deepEyesCall, plainImage, scriptedModel, squintCall, testTokenizer } from './testing';

/** A plain image with a red square on it. */
function testImage(width = 800, height = 600): EpisodeImage {
  const image = plainImage(width, height);
  const ctx = context2d(image.canvas);
  ctx.fillStyle = '#ff0000';
  ctx.fillRect(100, 100, 80, 80);
  return image;
}

const opts = { ...DEFAULT_EPISODE_OPTIONS, maxTokensPerTurn: 200 };

describe('runEpisode with a scripted model', () => {
  it('ends on an answer', async () => {
    const t = await runEpisode(scriptedModel(['<think>It is red.</think><answer>red</answer>']), testImage(), 'What colour?', opts);
    expect(t.endReason).toBe('answer');
    expect(t.answer).toBe('red');
    expect(t.formatValid).toBe(true);
    expect(t.steps.map((s) => s.kind)).toEqual(['answer']);
  });

  it('zooms, appends the crop as an image block, then answers', async () => {
    const model = scriptedModel([`<think>I will zoom in.</think>${squintCall([10, 20, 40, 50])}`, '<think>It is red.</think><answer>red</answer>']);
    const image = testImage();
    const steps: string[] = [];
    const t = await runEpisode(model, image, 'What colour?', opts, { onStep: (s) => steps.push(s.kind) });
    expect(steps).toEqual(['zoom', 'answer']);
    const zoom = t.steps[0];
    // 800×600 letterboxed: y offset 12.5 grid units; 1 unit = 8 px
    expect(zoom.box).toEqual([80, 60, 320, 300]);
    expect(zoom.crop?.width).toBe(240);
    expect(model.appended.images).toBe(2); // the question image and the crop
    expect(t.sequence.images.length).toBe(2);
    expect(t.sequence.ids.filter((id) => id === model.tokenizer.special('<image>')).length).toBe(2 * model.tokensPerImage);
    // model tokens are marked; observation tokens are not
    const mask = t.sequence.modelMask;
    expect(mask.length).toBe(t.sequence.ids.length);
    expect(mask.filter(Boolean).length).toBe(t.steps.reduce((n, s) => n + s.tokens, 0));
  });

  it('puts the question before the image for a questionFirst model, after it otherwise', async () => {
    const imageId = testTokenizer().special('<image>');
    const first = async (questionFirst: boolean) => {
      const t = await runEpisode({ ...scriptedModel(['<answer>red</answer>']), questionFirst }, testImage(), 'red', opts);
      const ids = t.sequence.ids;
      return { image: ids.indexOf(imageId), question: ids.indexOf(testTokenizer().encode('red')[0]) };
    };
    const imageFirst = await first(false);
    const questionFirst = await first(true);
    expect(imageFirst.image).toBeLessThan(imageFirst.question);
    expect(questionFirst.question).toBeLessThan(questionFirst.image);
  });

  it('a bbox_crop zoom is read on the last crop; after a failed call the last good crop still counts', async () => {
    const model = scriptedModel([squintCall([10, 20, 40, 50]), '<tool_call>{"name":</tool_call>', squintCall([0, 0, 50, 50], 'crop'), '<answer>red</answer>']);
    const t = await runEpisode(model, testImage(), 'q', opts);
    expect(t.steps.map((s) => s.kind)).toEqual(['zoom', 'error', 'zoom', 'answer']);
    // first crop [80, 60, 320, 300] (240 px square): its left-top quarter
    expect(t.steps[2].box).toEqual([80, 60, 200, 180]);
  });

  it('widens a tiny box to the smallest crop about its centre instead of refusing it', async () => {
    // view [10, 20, 11, 21] is the 8×8 px [80, 60, 88, 68] on the original
    const t = await runEpisode(scriptedModel([squintCall([10, 20, 11, 21]), '<answer>red</answer>']), testImage(), 'q', opts);
    expect(t.steps.map((s) => s.kind)).toEqual(['zoom', 'answer']);
    expect(t.steps[0].box).toEqual([68, 48, 99, 79]);
  });

  it("accepts DeepEyes' absolute pixel boxes", async () => {
    const t = await runEpisode(scriptedModel([deepEyesCall([100, 100, 180, 180]), '<answer>red</answer>']), testImage(), 'q', opts);
    expect(t.steps[0].kind).toBe('zoom');
    expect(t.steps[0].box).toEqual([100, 100, 180, 180]);
  });

  it.each([
    ['a box outside the image', deepEyesCall([900, 700, 1000, 800]), /outside/],
    ['invalid JSON', '<tool_call>{"name":</tool_call>', /not valid JSON/],
    ['an unknown tool', '<tool_call>{"name":"rotate","arguments":{"bbox_2d":[0,0,50,50]}}</tool_call>', /unknown tool/],
  ])('answers %s with an Error observation and goes on', async (_name, call, message) => {
    const t = await runEpisode(scriptedModel([call, '<answer>red</answer>']), testImage(), 'q', opts);
    expect(t.steps.map((s) => s.kind)).toEqual(['error', 'answer']);
    expect(t.steps[0].error).toMatch(message);
    expect(t.answer).toBe('red');
  });

  it('the cache holds exactly the recorded sequence, even after a turn that ends on </answer> but parses as a tool call', async () => {
    const model = scriptedModel(['<tool_call>{"name":"image_zoom_in_tool"</answer>', `<think>again</think>${squintCall([10, 20, 40, 50])}`, '<answer>red</answer>']);
    const t = await runEpisode(model, testImage(), 'q', opts);
    expect(t.steps.map((s) => s.kind)).toEqual(['error', 'zoom', 'answer']);
    // everything but the final </answer> entered the cache, in the recorded order
    expect(model.appended.ids).toEqual(t.sequence.ids.slice(0, -1));
  });

  it('model text echoed in an error can never spell a special token or flood the context', async () => {
    // "<image>" written piece by piece, as a model could: its text spells the special token
    const tok = testTokenizer();
    const sneaky = [...tok.encode('<tool_call>{"name":"'), ...tok.encode('<'), ...tok.encode('image'), ...tok.encode('>'), ...tok.encode('","arguments":{"bbox_2d":[0,0,50,50]}}</tool_call>')];
    const long = `<tool_call>{"name":"${'x'.repeat(600)}","arguments":{}}</tool_call>`;
    const t = await runEpisode(scriptedModel([sneaky, long, '<answer>red</answer>'], tok), testImage(), 'q', { ...opts, maxTokensPerTurn: 1000 });
    expect(t.steps[0].error).toMatch(/unknown tool "<image>"/);
    expect(t.steps.map((s) => s.kind)).toEqual(['error', 'error', 'answer']);
    expect(t.sequence.images.length).toBe(1); // only the question image
    const envText = t.sequence.ids.filter((_, i) => !t.sequence.modelMask[i]).length;
    expect(envText).toBeLessThan(4 + 2 * 200); // the 600-character name was capped
  });

  it('stops at maxTurns when the model never answers', async () => {
    const zoomForever = Array(20).fill(squintCall([10, 10, 60, 60]));
    const t = await runEpisode(scriptedModel(zoomForever), testImage(), 'q', { ...opts, maxTurns: 3 });
    expect(t.endReason).toBe('max_turns');
    expect(t.steps.length).toBe(3);
    expect(t.formatValid).toBe(false);
  });

  describe('when no crop fits in the context any more', () => {
    const zoom = `<think>I will zoom in.</think>${squintCall([10, 20, 40, 50])}`;
    /** A context that leaves the second turn less room than a crop needs (K + 16 = 20 tokens). */
    const tightContext = async () => {
      const roomy = await runEpisode(scriptedModel([zoom, '<answer>red</answer>']), testImage(), 'q', opts);
      // the answer turn's tokens end the sequence
      const secondTurn = roomy.sequence.ids.length - roomy.steps[1].tokens;
      return secondTurn + 19;
    };

    it('an answer that still fits is written, not cut off as context_full', async () => {
      const model = scriptedModel([zoom, '<think>It is red.</think><answer>red</answer>'], testTokenizer(), 4, await tightContext());
      const t = await runEpisode(model, testImage(), 'q', opts);
      expect(t.endReason).toBe('answer');
      expect(t.answer).toBe('red');
    });

    it('the turn cannot call the tool: <answer> follows the thought', async () => {
      const closer = `<think>I zoom closer.</think>${squintCall([0, 0, 50, 50], 'crop')}`;
      const model = scriptedModel([zoom, closer], testTokenizer(), 4, await tightContext());
      const t = await runEpisode(model, testImage(), 'q', opts);
      expect(t.steps[0].kind).toBe('zoom');
      expect(t.steps[1].text).toMatch(/^<think>I zoom closer\.<\/think><answer>/);
      expect(t.steps[1].text).not.toContain('<tool_call>');
    });
  });

  it('ends when a turn has neither answer nor tool call', async () => {
    const t = await runEpisode(scriptedModel(['<think>nothing to do</think><eos>']), testImage(), 'q', opts);
    expect(t.endReason).toBe('no_action');
    expect(t.answer).toBeNull();
  });

  it('marks unbalanced tags as a format error', async () => {
    const t = await runEpisode(scriptedModel(['<think>oops<answer>red</answer>']), testImage(), 'q', opts);
    expect(t.answer).toBe('red');
    expect(t.formatValid).toBe(false);
  });

  it('a stop request ends the episode as "stopped"', async () => {
    const controller = new AbortController();
    const t = await runEpisode(scriptedModel(Array(20).fill(squintCall([10, 10, 60, 60]))), testImage(), 'q', { ...opts, signal: controller.signal }, {
      onStep: () => controller.abort(),
    });
    expect(t.endReason).toBe('stopped');
    expect(t.steps.length).toBe(1);
  });
});

describe('runEpisode without the tool', () => {
  it('a turn cannot end without an answer: <answer> follows the thought (with the tool the same script ends on nothing)', async () => {
    const script = ['<think>It is too small, I zoom in.</think><eos>'];
    const eos = testTokenizer().special('<eos>');
    const modelEos = (t: Awaited<ReturnType<typeof runEpisode>>) => t.sequence.ids.filter((id, i) => t.sequence.modelMask[i] && id === eos).length;
    const on = await runEpisode(scriptedModel(script), testImage(), 'q', { ...opts, maxTurns: 1, maxTokensPerTurn: 40 });
    expect(on.endReason).toBe('no_action');
    expect(modelEos(on)).toBe(1);
    const off = await runEpisode(scriptedModel(script), testImage(), 'q', { ...opts, toolEnabled: false, maxTurns: 1, maxTokensPerTurn: 40 });
    expect(modelEos(off)).toBe(0);
    const thinkEnd = off.sequence.ids.indexOf(testTokenizer().special('</think>'));
    expect(off.sequence.ids[thinkEnd + 1]).toBe(testTokenizer().special('<answer>'));
  });
});

describe('runEpisode with a real (random) tiny model', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const tinyModel = () => {
    const tok = testTokenizer();
    const config = presetConfig('tiny', tok.vocabSize);
    return new SquintModel(config, tok, initWeights(config, 5));
  };

  it('always ends within max turns, never throws, and leaves no tensors behind', async () => {
    const model = tinyModel();
    const before = tf.memory().numTensors;
    for (let seed = 0; seed < 4; seed++) {
      const t = await runEpisode(model, testImage(400, 300), 'What is written on the red object?', {
        ...DEFAULT_EPISODE_OPTIONS, maxTurns: 3, maxTokensPerTurn: 24, seed, sampling: { temperature: 1.5, topP: 1 },
      });
      expect(t.steps.length).toBeLessThanOrEqual(3);
      expect(t.sequence.ids.length).toBe(t.sequence.modelMask.length);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('with the tool disabled it never zooms, nor ends a turn without answering', async () => {
    const model = tinyModel();
    const toolId = model.tokenizer.special('<tool_call>');
    const eosId = model.tokenizer.special('<eos>');
    for (let seed = 0; seed < 3; seed++) {
      const t = await runEpisode(model, testImage(400, 300), 'q', { ...DEFAULT_EPISODE_OPTIONS, toolEnabled: false, maxTurns: 2, maxTokensPerTurn: 24, seed, sampling: { temperature: 2, topP: 1 } });
      expect(t.steps.some((s) => s.kind === 'zoom')).toBe(false);
      expect(t.sequence.ids.filter((id, i) => t.sequence.modelMask[i] && id === toolId)).toEqual([]);
      // nor end a turn without an answer
      expect(t.sequence.ids.filter((id, i) => t.sequence.modelMask[i] && id === eosId)).toEqual([]);
    }
    model.dispose();
  });
});
