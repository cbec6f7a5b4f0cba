/**
 * Test doubles for the agent loop: a model that "writes" a fixed script of turns, so tool-call
 * handling can be tested without a trained network. Used by tests only.
 */
import { SquintTokenizer, buildTokenizerJson } from '../model/tokenizer';
import { type RgbaImage, context2d } from '../world/canvas';
import { createNodeCanvas } from '../world/node-canvas';
import type { AgentModel, AgentSession, EpisodeImage } from './loop';

export const testTokenizer = () =>
  new SquintTokenizer(buildTokenizerJson(['I will zoom in on the red object. The answer is seven.', 'image zoom in tool bbox view 2d label', Array.from({ length: 101 }, (_, i) => i).join(',')]));

/**
 * A model whose every turn is taken from `turns` in order (then it keeps answering "done").
 * A turn is text (tokenized canonically) or explicit ids (to write text token by token).
 * Its sessions hold `contextSize` tokens.
 */
export function scriptedModel(
  turns: (string | number[])[], tokenizer = testTokenizer(), tokensPerImage = 4, contextSize = 10_000,
): AgentModel & { appended: { images: number; ids: number[] } } {
  const script = turns.flatMap((t) => (typeof t === 'string' ? tokenizer.encode(t) : t));
  const fallback = tokenizer.encode('<answer>done</answer>');
  const state = { images: 0, ids: [] as number[] };
  return {
    tokenizer,
    tokensPerImage,
    appended: state,
    patches: (image: RgbaImage) => new Float32Array([image.width, image.height]),
    newSession(): AgentSession {
      let pointer = 0;
      let used = 0;
      const next = () => {
        const logits = new Float32Array(tokenizer.vocabSize);
        const id = pointer < script.length ? script[pointer] : fallback[(pointer - script.length) % fallback.length];
        logits[id] = 10;
        return logits;
      };
      const expected = () => (pointer < script.length ? script[pointer] : fallback[(pointer - script.length) % fallback.length]);
      return {
        get remaining() {
          return contextSize - used;
        },
        async appendTokens(ids) {
          used += ids.length;
          state.ids.push(...ids);
          // a single appended id equal to the scripted one is the loop feeding back its sample
          if (ids.length === 1 && ids[0] === expected()) pointer++;
          return next();
        },
        async appendImage() {
          used += tokensPerImage;
          state.images++;
          state.ids.push(...Array(tokensPerImage).fill(tokenizer.special('<image>')));
          return next();
        },
        dispose() {},
      };
    },
  };
}

export const squintCall = (box: number[], frame: 'view' | 'crop' = 'view') => `<tool_call>{"name":"image_zoom_in_tool","arguments":{"bbox_${frame}":[${box.join(',')}]}}</tool_call>`;
export const deepEyesCall = (box: number[]) => `<tool_call>{"name":"image_zoom_in_tool","arguments":{"bbox_2d":[${box.join(',')}],"label":"red object"}}</tool_call>`;

/** A plain blue image to run episodes on (Node canvas). */
export function plainImage(width = 800, height = 600): EpisodeImage {
  const canvas = createNodeCanvas(width, height);
  const ctx = context2d(canvas);
  ctx.fillStyle = '#336699';
  ctx.fillRect(0, 0, width, height);
  return { size: { width, height }, canvas, createCanvas: createNodeCanvas };
}
