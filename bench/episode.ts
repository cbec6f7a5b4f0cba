/**
 * npx tsx bench/episode.ts [--n 30] [--backends wasm,cpu] [--quick]
 *
 * Whole agent episodes (runEpisode, the same loop the browser worker runs) with the shipped
 * model on held-out world samples: median and p90 ms per episode and where the time goes.
 * The model is wrapped (not changed) to time its calls:
 *   preprocess   letterbox + patchify of the global view and of each crop (JS)
 *   image        appendImage: vision encoder + projector + decoder over the image block
 *   prefill      appendTokens with several ids (prompt, observation text)
 *   decode       appendTokens with one id (each generated token)
 *   crop         cutting the crop from the original (the trajectory's cropMs)
 *   readPixels   getImageData of the whole original (the loop reads it to make the global view)
 *   other        the rest: sampling, tokenizer, parser
 * Rendering the scene is timed apart (in the app the image comes from the user).
 */
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import type { SquintModel } from '../src/model/squint-model';
import { type AgentModel, type AgentSession, DEFAULT_EPISODE_OPTIONS, runEpisode } from '../src/agent/loop';
import { sampleImage } from '../src/agent/episode-image';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { context2d } from '../src/world/canvas';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';
import { backendsArg, median, numberFlag, percentile, quick, round, sum, table, useBackend, writeResult } from './lib';

const N = numberFlag('n', quick ? 5 : 30);

type Part = 'preprocess' | 'image' | 'prefill' | 'decode' | 'readPixels';

/** The model with every call timed into `acc`. */
function timed(model: SquintModel, acc: Record<Part, number> & { decodeTokens: number }): AgentModel {
  const time = async <T>(part: Part, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      acc[part] += performance.now() - t0;
    }
  };
  return {
    tokenizer: model.tokenizer,
    tokensPerImage: model.tokensPerImage,
    patches(image) {
      const t0 = performance.now();
      const p = model.patches(image);
      acc.preprocess += performance.now() - t0;
      return p;
    },
    newSession(): AgentSession {
      const s = model.newSession();
      return {
        get remaining() {
          return s.remaining;
        },
        appendTokens: (ids) => {
          if (ids.length === 1) acc.decodeTokens++;
          return time(ids.length === 1 ? 'decode' : 'prefill', () => s.appendTokens(ids));
        },
        appendImage: (p) => time('image', () => s.appendImage(p)),
        dispose: () => s.dispose(),
      };
    },
  };
}

interface EpisodeRow {
  seed: number;
  totalMs: number;
  renderMs: number;
  preprocess: number;
  readPixels: number;
  image: number;
  prefill: number;
  decode: number;
  crop: number;
  other: number;
  decodeTokens: number;
  zooms: number;
  turns: number;
}

const results: Record<string, object> = {};
const summaryRows: (string | number)[][] = [['backend', 'median ms', 'p90 ms', 'image', 'prefill', 'decode', 'preproc', 'read px', 'crop', 'other', 'ms/token']];
for (const backend of backendsArg()) {
  await useBackend(backend);
  const model = await loadSquintModel(nodeFileReader('models/default'));
  const episodes: EpisodeRow[] = [];
  for (let i = -1; i < N; i++) {
    // i = −1 is a warm-up episode, not recorded
    const seed = EVAL_SEED + Math.max(i, 0);
    const sample = generateSample(seed, { difficulty: seedDifficulty(seed) });
    const r0 = performance.now();
    const image = sampleImage(sample, createNodeCanvas);
    const renderMs = performance.now() - r0;
    const acc = { preprocess: 0, image: 0, prefill: 0, decode: 0, readPixels: 0, decodeTokens: 0 };
    // time reads of the original's pixels (an own property on this context only)
    const ctx = context2d(image.canvas);
    const read = ctx.getImageData.bind(ctx);
    ctx.getImageData = ((...a: Parameters<typeof read>) => {
      const t0 = performance.now();
      const out = read(...a);
      acc.readPixels += performance.now() - t0;
      return out;
    }) as typeof read;
    const t = await runEpisode(timed(model, acc), image, sample.question, { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 10, seed });
    if (i < 0) continue;
    const crop = sum(t.steps.map((s) => s.timings.cropMs));
    const measured = acc.preprocess + acc.readPixels + acc.image + acc.prefill + acc.decode + crop;
    episodes.push({
      seed, totalMs: t.totalMs, renderMs, ...acc, crop, other: t.totalMs - measured,
      zooms: t.steps.filter((s) => s.kind === 'zoom').length, turns: t.steps.length,
    });
  }
  model.dispose();
  const col = (k: keyof EpisodeRow) => episodes.map((e) => e[k] as number);
  const total = sum(col('totalMs'));
  const share = (k: keyof EpisodeRow) => round(sum(col(k)) / total, 3);
  const msPerToken = sum(col('decode')) / Math.max(1, sum(col('decodeTokens')));
  const summary = {
    episodes: N,
    medianMs: round(median(col('totalMs')), 1),
    p90Ms: round(percentile(col('totalMs'), 0.9), 1),
    meanMs: round(total / N, 1),
    /** Share of all episode time spent in each part. */
    shares: { image: share('image'), prefill: share('prefill'), decode: share('decode'), preprocess: share('preprocess'), readPixels: share('readPixels'), crop: share('crop'), other: share('other') },
    meanMsPerEpisode: Object.fromEntries((['image', 'prefill', 'decode', 'preprocess', 'readPixels', 'crop', 'other'] as const).map((k) => [k, round(sum(col(k)) / N, 2)])),
    decodeMsPerToken: round(msPerToken, 2),
    meanDecodeTokens: round(sum(col('decodeTokens')) / N, 1),
    meanZooms: round(sum(col('zooms')) / N, 2),
    renderSceneMedianMs: round(median(col('renderMs')), 1),
  };
  results[backend] = { summary, episodes };
  const s = summary.shares;
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  summaryRows.push([backend, summary.medianMs, summary.p90Ms, pct(s.image), pct(s.prefill), pct(s.decode), pct(s.preprocess), pct(s.readPixels), pct(s.crop), pct(s.other), summary.decodeMsPerToken]);
  console.log(`${backend}: ${N} episodes, median ${summary.medianMs} ms, p90 ${summary.p90Ms} ms`);
}
console.log('\n' + table(summaryRows));
await writeResult('episode', {
  method: `${N} greedy episodes (max 10 turns) of models/default on held-out world seeds from ${EVAL_SEED}, after one warm-up episode; the model's calls timed by a wrapper`,
  results,
});
