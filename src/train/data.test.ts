import { describe, expect, it } from 'vitest';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintModel } from '../model/squint-model';
import { buildTokenizerJson, SquintTokenizer } from '../model/tokenizer';
import { generateSample } from '../world/generate';
import { countCropped, makeExample, tokenizerCorpus } from './data';
import { canvasPixels, createNodeCanvas } from '../world/node-canvas';
import { renderScene } from '../world/render';
import { DEFAULT_MIX } from './oracle';

describe('makeExample with countCrop', () => {
  const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(300)));
  const config = presetConfig('tiny-detector', tok.vocabSize);
  const model = new SquintModel(config, tok, initWeights(config, 3));
  const mix = { ...DEFAULT_MIX, countAreas: 'view' as const };

  it('asks about half the counts of a crop of their scene at 0.5, the same ones each time, and no other family', () => {
    let cropped = 0;
    for (let seed = 500; seed < 560; seed++) {
      const whole = generateSample(seed, { families: ['count'] });
      const { sample, sequence } = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...mix, countCrop: 0.5 });
      const again = makeExample(model, seed, createNodeCanvas, { families: ['count'] }, { ...mix, countCrop: 0.5 });
      expect(again.sequence.ids).toEqual(sequence.ids);
      if (sample.scene.width < whole.scene.width) {
        cropped++;
        expect(Number(sample.answer)).toBeLessThanOrEqual(Number(whole.answer));
        expect(sequence.grounding.some((g) => g.kind === 'count')).toBe(true); // the crop's scan is taught like any count's
      } else expect(sample).toEqual(whole);
    }
    expect(cropped).toBeGreaterThan(15);
    expect(cropped).toBeLessThan(45);
    for (let seed = 600; seed < 620; seed++) {
      const { sample } = makeExample(model, seed, createNodeCanvas, { families: ['glyph', 'shape'] }, { ...mix, countCrop: 1 });
      expect(sample).toEqual(generateSample(seed, { families: ['glyph', 'shape'] }));
    }
  });

  it('cuts a cropped count\'s image from the whole scene: its counted objects where its scene puts them', () => {
    let checked = 0;
    for (let seed = 500; seed < 520; seed++) {
      const whole = generateSample(seed, { families: ['count'] });
      const { sample, image } = countCropped(whole, seed, 1, createNodeCanvas);
      expect(image.size).toEqual({ width: sample.scene.width, height: sample.scene.height });
      const cut = canvasPixels(image.canvas);
      const drawn = canvasPixels(renderScene(sample.scene, createNodeCanvas)); // the crop's own scene, rendered
      for (const id of sample.targetIds) {
        const o = sample.scene.objects.find((obj) => obj.id === id)!;
        const i = (Math.round(o.cy) * cut.width + Math.round(o.cx)) * 4;
        expect(Array.from(cut.data.slice(i, i + 3))).toEqual(Array.from(drawn.data.slice(i, i + 3)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
