/**
 * npm run probe:zoomed -- --model runs/sft-v3/checkpoint --n 300
 *
 * Reading with perfect aim: on held-out glyph and shape questions, the model is shown the
 * oracle's own trajectory — its thoughts, zoom calls and crops — up to the turn that answers,
 * and writes that turn itself (greedy). Its accuracy separates the two ways an episode fails:
 * if it is high while `npm run eval` is low, the model cannot aim; if it is low, it cannot read
 * even a crop centred on the target. Writes runs/eval/<model>-zoomed-<seed>-<n>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, numberArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { sampleImage } from '../src/agent/episode-image';
import { parseTurn } from '../src/agent/parser';
import { GREEDY, sampleToken } from '../src/model/sampling';
import { isCorrect } from '../src/rl/answer';
import { oraclePlan } from '../src/train/oracle';
import { planToSequence } from '../src/train/sequence';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { hashSeed } from '../src/world/rng';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';

const args = cliArgs('npm run probe:zoomed --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  n: { type: 'string', default: '300', help: 'questions (glyph and shape)' },
  seed: { type: 'string', default: String(EVAL_SEED), help: 'first sample seed (the held-out range of npm run eval)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);
const MAX_ANSWER_TOKENS = 48;

await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const tok = model.tokenizer;
const imageId = tok.special('<image>');
const assistantId = tok.special('<assistant>');
const eosId = tok.special('<eos>');
// the oracle without deliberate misses or optional zooms: it zooms exactly when it must
const mix = { recover: 0, zoomResolvable: 0, zoomWhenNeeded: 1 };

interface Row { family: string; resolvable: boolean; zooms: number; truth: string; answer: string | null; correct: boolean; zoomedAgain: boolean }
const rows: Row[] = [];
for (let seed = firstSeed; seed < firstSeed + n; seed++) {
  const sample = generateSample(seed, { families: ['glyph', 'shape'], difficulty: seedDifficulty(seed) });
  const plan = oraclePlan(sample, hashSeed(seed, 7), mix);
  const image = sampleImage(sample, createNodeCanvas);
  const seq = planToSequence(model, image, sample.question, plan);
  // 1. the oracle's trajectory up to the start of the answering turn
  const cut = seq.ids.lastIndexOf(assistantId) + 1;
  const session = model.newSession();
  let logits: Float32Array | null = null;
  let pending: number[] = [];
  let imageIndex = 0;
  for (let t = 0; t < cut; t++) {
    if (seq.ids[t] !== imageId) {
      pending.push(seq.ids[t]);
      continue;
    }
    if (pending.length) logits = await session.appendTokens(pending);
    pending = [];
    logits = await session.appendImage(seq.images[imageIndex++]);
    t += model.tokensPerImage - 1;
  }
  if (pending.length) logits = await session.appendTokens(pending);
  // 2. the model's own turn, greedy
  const written: number[] = [];
  for (let i = 0; i < MAX_ANSWER_TOKENS && session.remaining > 0; i++) {
    const id = sampleToken(logits!, GREEDY, Math.random);
    if (id === eosId) break;
    written.push(id);
    logits = await session.appendTokens([id]);
  }
  session.dispose();
  const turn = parseTurn(tok.decode(written), image.size, seq.views.at(-1));
  const answer = turn.kind === 'answer' ? turn.answer : null;
  const zooms = plan.turns.filter((t) => t.zoom).length;
  rows.push({ family: sample.family, resolvable: sample.resolvable, zooms, truth: sample.answer, answer, correct: isCorrect(answer, sample.answer), zoomedAgain: turn.kind === 'tool' });
  await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
}

const groups: Record<string, Row[]> = {};
for (const r of rows) for (const key of ['all', r.family, `${r.family}/${r.resolvable ? 'resolvable (no zoom)' : 'unresolvable (oracle zooms)'}`]) (groups[key] ??= []).push(r);
const summary = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, {
  n: g.length, accuracy: g.filter((r) => r.correct).length / g.length, zoomedAgain: g.filter((r) => r.zoomedAgain).length / g.length,
}]));
console.log(`model ${args.model}: glyph and shape questions, the oracle's zooms, the model's answer (greedy)`);
for (const [k, s] of Object.entries(summary)) console.log(`${k.padEnd(40)} n ${String(s.n).padStart(4)}  acc ${(100 * s.accuracy).toFixed(1).padStart(5)}%  zooms again ${(100 * s.zoomedAgain).toFixed(1)}%`);
const out = `runs/eval/${basename(args.model)}-zoomed-${firstSeed}-${n}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed: firstSeed, n, summary, rows }, null, 1));
console.log(`wrote ${out}`);
