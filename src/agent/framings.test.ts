import { describe, expect, it } from 'vitest';
import { pixelBox } from '../world/boxes';
import { context2d } from '../world/canvas';
import { DEFAULT_EPISODE_OPTIONS, type AgentModel, type EpisodeImage } from './loop';
import { FRAMING_MARGIN, MAX_FRAMINGS, answerLead, answerSettled, boxInOriginal, framedImage, framingsFor, majorityAnswer, readOnFramings } from './framings';
import { plainImage, scriptedModel, squintCall } from './testing';

const testImage = (width = 400, height = 300) => plainImage(width, height);

const pixel = (image: EpisodeImage, x: number, y: number) => Array.from(context2d(image.canvas).getImageData(x, y, 1, 1).data);

/** A model whose n-th session writes the n-th script, and which records the size of every image it is shown. */
function modelPerReading(scripts: string[][]): AgentModel & { seen: [number, number][] } {
  const models = scripts.map((turns) => scriptedModel(turns));
  const seen: [number, number][] = [];
  let session = 0;
  return {
    ...models[0],
    seen,
    patches: (image) => (seen.push([image.width, image.height]), new Float32Array(2)),
    newSession: () => models[Math.min(session++, models.length - 1)].newSession(),
  };
}

const opts = { ...DEFAULT_EPISODE_OPTIONS, maxTokensPerTurn: 200 };

describe('framings', () => {
  it('the image as it is first, then shifted both ways along one diagonal, then the other; 1 to 5 of them', () => {
    const m = Math.round(FRAMING_MARGIN * 400);
    expect(MAX_FRAMINGS).toBe(5);
    expect(framingsFor({ width: 400, height: 300 }, 5)).toEqual([
      { left: 0, top: 0, right: 0, bottom: 0 },
      { left: m, top: m, right: 0, bottom: 0 },
      { left: 0, top: 0, right: m, bottom: m },
      { left: m, top: 0, right: 0, bottom: m },
      { left: 0, top: m, right: m, bottom: 0 },
    ]);
    expect(framingsFor({ width: 400, height: 300 }, 3)).toEqual(framingsFor({ width: 400, height: 300 }, 5).slice(0, 3));
    expect(framingsFor({ width: 10, height: 10 }, 2)[1].left).toBe(1); // never a zero margin
    for (const bad of [0, 6, 1.5]) expect(() => framingsFor({ width: 400, height: 300 }, bad)).toThrow(/framings must be 1 to 5/);
  });

  it('a framed image is the original on black margins; without margins it is the original itself', () => {
    const image = testImage();
    expect(framedImage(image, { left: 0, top: 0, right: 0, bottom: 0 })).toBe(image);
    const framed = framedImage(image, { left: 18, top: 18, right: 0, bottom: 0 });
    expect(framed.size).toEqual({ width: 418, height: 318 });
    expect(pixel(framed, 5, 5)).toEqual([0, 0, 0, 255]);
    expect(pixel(framed, 17, 200)).toEqual([0, 0, 0, 255]);
    expect(pixel(framed, 18, 18)).toEqual(pixel(image, 0, 0));
    expect(pixel(framed, 417, 317)).toEqual(pixel(image, 399, 299));
  });

  it('the majority answer, compared as answers are scored; a tie goes to the earliest reading; none when nothing answered', () => {
    expect(majorityAnswer(['5', '6', 'The 6.'])).toEqual({ index: 1, votes: 2 });
    expect(majorityAnswer(['5', '6', '7'])).toEqual({ index: 0, votes: 1 });
    expect(majorityAnswer([null, 'red', 'blue'])).toEqual({ index: 1, votes: 1 });
    expect(majorityAnswer([null, null])).toBeNull();
  });

  it('the lead is how many votes the leading answer is ahead of the next, answers compared as scored', () => {
    expect(answerLead(['6', 'the 6'])).toBe(2);
    expect(answerLead(['6', '7', '6'])).toBe(1);
    expect(answerLead(['6', '7'])).toBe(0);
    expect(answerLead([null, 'red', null])).toBe(1);
    expect(answerLead([])).toBe(0);
  });

  it('the answer is settled once it leads by two, or by more than the readings left could undo', () => {
    expect(answerSettled(['6', 'the 6'], 3)).toBe(true);
    expect(answerSettled(['6', 'the 6'], 5)).toBe(true);
    expect(answerSettled(['6', '7'], 3)).toBe(false);
    expect(answerSettled(['6', '7', '6'], 5)).toBe(false); // two left could still tie it
    expect(answerSettled(['6', '7', '6', '6'], 5)).toBe(true);
    expect(answerSettled(['6', '7', '8', '7'], 5)).toBe(false); // one left could tie it
    expect(answerSettled(['6'], 3)).toBe(false);
    expect(answerSettled(['6'], 1)).toBe(true);
    expect(answerSettled(['6', null], 3)).toBe(false);
    expect(answerSettled([null, null], 3)).toBe(false);
    expect(answerSettled(['red', 'red'], 2)).toBe(true);
  });

  it('at most three, reading until one answer leads by two is the majority of three', () => {
    const answers = ['a', 'b', null];
    for (const x of answers) for (const y of answers) for (const z of answers) {
      const run = [x, y, z];
      let read = 1;
      while (read < 3 && !answerSettled(run.slice(0, read), 3)) read++;
      expect(majorityAnswer(run.slice(0, read))?.votes ?? 0, run.join()).toBe(read < 3 ? 2 : majorityAnswer(run)?.votes ?? 0);
      if (read < 3) expect(majorityAnswer(run)!.index).toBe(majorityAnswer(run.slice(0, read))!.index);
    }
  });

  it('two readings that agree settle three: the third framing is not read unless every framing is asked for', async () => {
    const scripts = [['<answer>6</answer>'], ['<answer>the 6</answer>'], ['<answer>7</answer>']];
    const settled = modelPerReading(scripts);
    const readings: number[] = [];
    const read = await readOnFramings(settled, testImage(), 'How many?', opts, { count: 3, onReading: (i) => readings.push(i) });
    expect(read).toMatchObject({ answer: '6', chosen: 0, votes: 2 });
    expect(read.readings.length).toBe(2);
    expect(read.framings.length).toBe(2);
    expect(readings).toEqual([0, 1]);
    expect(settled.seen.length).toBe(2);
    const every = modelPerReading(scripts);
    const all = await readOnFramings(every, testImage(), 'How many?', opts, { count: 3, everyFraming: true });
    expect(all.readings.map((t) => t.answer)).toEqual(['6', 'the 6', '7']);
    expect(all).toMatchObject({ answer: '6', votes: 2 });
  });

  it('with up to five, readings go on while the first ones disagree, until one answer leads by two', async () => {
    const model = modelPerReading([['<answer>5</answer>'], ['<answer>6</answer>'], ['<answer>6</answer>'], ['<answer>5</answer>'], ['<answer>6</answer>']]);
    const read = await readOnFramings(model, testImage(), 'How many?', opts, { count: 5 });
    expect(read.readings.map((t) => t.answer)).toEqual(['5', '6', '6', '5', '6']);
    expect(read).toMatchObject({ answer: '6', chosen: 1, votes: 3 });
    const m = Math.round(FRAMING_MARGIN * 400);
    expect(model.seen).toEqual([[400, 300], [400 + m, 300 + m], [400 + m, 300 + m], [400 + m, 300 + m], [400 + m, 300 + m]]);
    const ahead = modelPerReading([['<answer>5</answer>'], ['<answer>6</answer>'], ['<answer>6</answer>'], ['<answer>6</answer>'], ['<answer>5</answer>']]);
    const early = await readOnFramings(ahead, testImage(), 'How many?', opts, { count: 5 });
    expect(early.readings.length).toBe(4);
    expect(early).toMatchObject({ answer: '6', votes: 3 });
  });

  it('reads the question once per framing and answers by majority; only the first reading is streamed', async () => {
    const model = modelPerReading([['<answer>5</answer>'], ['<answer>6</answer>'], ['<answer>the 6</answer>']]);
    const steps: string[] = [];
    const read = await readOnFramings(model, testImage(), 'How many?', opts, { count: 3 }, { onStep: (s) => steps.push(s.answer ?? '') });
    expect(read.readings.map((t) => t.answer)).toEqual(['5', '6', 'the 6']);
    expect(read).toMatchObject({ answer: '6', chosen: 1, votes: 2 });
    expect(steps).toEqual(['5']);
    const m = Math.round(FRAMING_MARGIN * 400);
    expect(model.seen).toEqual([[400, 300], [400 + m, 300 + m], [400 + m, 300 + m]]);
  });

  it('a zoom in a shifted framing is cut from the framed image, in its pixels', async () => {
    const model = modelPerReading([['<answer>red</answer>'], [squintCall([0, 0, 50, 50]), '<answer>red</answer>']]);
    const read = await readOnFramings(model, testImage(400, 400), 'What colour?', opts, { count: 2 });
    const zoom = read.readings[1].steps[0]; // the box is in hundredths of the view
    const side = 400 + Math.round(FRAMING_MARGIN * 400);
    expect(zoom.box).toEqual([0, 0, side / 2, side / 2]);
    // its top-left corner is the black margin
    expect(Array.from(zoom.crop!.data.slice(0, 4))).toEqual([0, 0, 0, 255]);
    // in the original's px the box starts in the margin, left of and above the image, unclipped
    const m = side - 400;
    expect(read.framings[1]).toMatchObject({ left: m, top: m });
    expect(boxInOriginal(zoom.box!, read.framings[1])).toEqual([-m, -m, side / 2 - m, side / 2 - m]);
    expect(boxInOriginal(pixelBox(10, 20, 30, 40), read.framings[0])).toEqual([10, 20, 30, 40]);
    expect(boxInOriginal(pixelBox(10, 20, 30, 40), { left: 0, top: 0, right: 5, bottom: 5 })).toEqual([10, 20, 30, 40]);
  });

  it('a stop during the first reading ends the run with that reading alone', async () => {
    const controller = new AbortController();
    const model = modelPerReading([['<answer>5</answer>'], ['<answer>6</answer>'], ['<answer>6</answer>']]);
    const read = await readOnFramings(model, testImage(), 'How many?', { ...opts, signal: controller.signal }, { count: 3 }, { onStep: () => controller.abort() });
    expect(read.readings.length).toBe(1);
    expect(read.framings.length).toBe(1);
    expect(model.seen.length).toBe(1);
  });
});
