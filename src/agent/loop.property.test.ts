/**
 * Property tests of the agent loop: fed arbitrary model output (text or raw token ids, turn
 * after turn), an episode never throws, ends within maxTurns with a known end reason, and its
 * token record stays consistent.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { context2d } from '../world/canvas';
import { createNodeCanvas } from '../world/node-canvas';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeImage, runEpisode } from './loop';
import { scriptedModel, testTokenizer } from './testing';
import { modelText } from './arbitraries.test-helper';

const END_REASONS = ['answer', 'no_action', 'max_turns', 'context_full', 'stopped'];
const tok = testTokenizer();

/** One canvas per size, shared by runs (crops only read it). */
const images = new Map<string, EpisodeImage>();
function image(width: number, height: number): EpisodeImage {
  const key = `${width}x${height}`;
  let img = images.get(key);
  if (!img) {
    const canvas = createNodeCanvas(width, height);
    const ctx = context2d(canvas);
    ctx.fillStyle = '#336699';
    ctx.fillRect(0, 0, width, height);
    img = { size: { width, height }, canvas, createCanvas: createNodeCanvas };
    images.set(key, img);
  }
  return img;
}

const turn = fc.oneof(
  modelText,
  fc.string({ maxLength: 60 }),
  fc.array(fc.integer({ min: 0, max: tok.vocabSize - 1 }), { maxLength: 40 }), // raw ids, special tokens included
);

describe('runEpisode on arbitrary model output', () => {
  it('never throws and always ends within maxTurns', async () => {
    const seenSteps = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(turn, { maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 120 }),
        fc.constantFrom([64, 64], [800, 600], [300, 1200]),
        async (turns, maxTurns, maxTokensPerTurn, [w, h]) => {
          const model = scriptedModel(turns, tok);
          const t = await runEpisode(model, image(w, h), 'What is it?', { ...DEFAULT_EPISODE_OPTIONS, maxTurns, maxTokensPerTurn });
          expect(END_REASONS).toContain(t.endReason);
          expect(t.steps.length).toBeLessThanOrEqual(maxTurns);
          for (const s of t.steps) expect(s.tokens).toBeLessThanOrEqual(maxTokensPerTurn);
          if (t.endReason === 'answer') expect(t.answer).not.toBeNull();
          else expect(t.formatValid).toBe(false);
          // the token record: one mask and log-prob per id, one image per image block
          const seq = t.sequence;
          expect(seq.modelMask).toHaveLength(seq.ids.length);
          expect(seq.logprobs).toHaveLength(seq.ids.length);
          expect(seq.images.length).toBe(1 + t.steps.filter((s) => s.kind === 'zoom').length);
          for (const s of t.steps) if (s.kind === 'zoom') expect(s.crop).not.toBeNull();
          for (const s of t.steps) seenSteps.add(s.kind);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
    // the generated output reached every kind of step (zooms with crops included)
    expect([...seenSteps].sort()).toEqual(['answer', 'error', 'none', 'zoom']);
  });

  it('a stop request ends any episode with endReason "stopped"', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(turn, { minLength: 1, maxLength: 4 }), async (turns) => {
        const stop = new AbortController();
        stop.abort();
        const t = await runEpisode(scriptedModel(turns, tok), image(800, 600), 'Q?', { ...DEFAULT_EPISODE_OPTIONS, signal: stop.signal });
        expect(t.endReason).toBe('stopped');
        expect(t.steps).toHaveLength(0);
      }),
      { numRuns: 30 },
    );
  });
});
