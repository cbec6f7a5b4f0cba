/**
 * npx tsx bench/eval-memory.ts [--n 60] [--quick]
 *
 * Memory of an evaluation as it goes: the process's RSS every 10 episodes of held-out samples
 * read as the playground reads them (DEFAULT_RUN_SETTINGS.framings: up to five framings, until one
 * answer leads by two), (1) through `evaluate` (src/rl/eval.ts), which yields a macrotask
 * between episodes, and (2) the same episodes back to back with no macrotask between them. Node's
 * @napi-rs/canvas frees the pixels each getImageData copies only in finalizers that run after a
 * macrotask, and an episode's awaits all settle as microtasks: without the yield the RSS climbs
 * by about the size of every image read. Each mode runs in a fresh process (RSS never shrinks much).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS } from '../src/agent/loop';
import { readOnFramings } from '../src/agent/framings';
import { sampleImage } from '../src/agent/episode-image';
import { evaluate } from '../src/rl/eval';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { EVAL_SEED } from '../src/world/seeds';
import { DEFAULT_RUN_SETTINGS } from '../src/worker/protocol';
import { numberFlag, quick, table, useBackend, writeResult } from './lib';

const N = numberFlag('n', quick ? 20 : 60);
const mode = process.argv.includes('--mode') ? process.argv[process.argv.indexOf('--mode') + 1] : null;
const FRAMINGS = DEFAULT_RUN_SETTINGS.framings;
const mb = () => Math.round(process.memoryUsage().rss / 1e6);

if (mode) {
  // one mode, in this process: print the RSS after every 10 episodes as JSON
  await useBackend('wasm');
  const model = await loadSquintModel(nodeFileReader('models/default'));
  const samples = Array.from({ length: N }, (_, i) => generateSample(EVAL_SEED + i, {}));
  const rss: number[] = [mb()];
  if (mode === 'evaluate') {
    await evaluate(model, samples, createNodeCanvas, DEFAULT_EPISODE_OPTIONS, (_r, i) => void ((i + 1) % 10 === 0 && rss.push(mb())), FRAMINGS);
  } else {
    for (const [i, sample] of samples.entries()) {
      await readOnFramings(model, sampleImage(sample, createNodeCanvas), sample.question, { ...DEFAULT_EPISODE_OPTIONS, seed: sample.seed }, { count: FRAMINGS });
      if ((i + 1) % 10 === 0) rss.push(mb());
    }
  }
  console.log(JSON.stringify(rss));
} else {
  const script = fileURLToPath(import.meta.url);
  const run = (m: string) => JSON.parse(execFileSync('npx', ['tsx', script, '--mode', m, '--n', String(N)], { encoding: 'utf8' }).trim().split('\n').pop()!) as number[];
  const evaluated = run('evaluate');
  const tight = run('tight');
  console.log(table([['episodes', ...evaluated.map((_, i) => i * 10)], ['evaluate (MB)', ...evaluated], ['no yield (MB)', ...tight]]));
  await writeResult('eval-memory', { episodes: N, framings: FRAMINGS, rssEvery10: { evaluate: evaluated, noYield: tight } });
}
