/**
 * npm run probe:zoomed -- --model runs/sft-v3/checkpoint --n 300 [--answer-view shape=16]
 *
 * Reading with perfect aim: on held-out glyph and shape questions, the model is shown the
 * oracle's own trajectory — its thoughts, zoom calls and crops — up to the turn that answers,
 * and writes that turn itself (greedy). Its accuracy separates the two ways an episode fails:
 * if it is high while `npm run eval` is low, the model cannot aim; if it is low, it cannot read
 * even a crop centred on the target. Writes runs/eval/<model>-zoomed-<seed>-<n>.json.
 *
 * `--after-miss`: does it recover? The oracle's recovery trajectory (a first zoom deliberately
 * away from the target) is replayed up to that crop, and the model writes the next turn: does it
 * say the crop missed, zoom again, and does that zoom hold the target? Writes …-after-miss-….json.
 * `--decoy`, with it: the missed box frames a distractor, one of a neighbouring hue where the
 * scene has one, as the model's own misses do (train:sft --decoy-rate); writes …-after-decoy-….json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, numberArg, parsedArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { sampleImage } from '../src/agent/episode-image';
import { parseTurn } from '../src/agent/parser';
import { GREEDY, sampleToken } from '../src/model/sampling';
import { isCorrect } from '../src/rl/answer';
import { SAYS_MISS } from '../src/rl/thought-audit';
import { oraclePlan } from '../src/train/oracle';
import { planToSequence } from '../src/train/sequence';
import { checkBox } from '../src/agent/crop';
import { containsBox } from '../src/world/boxes';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { hashSeed } from '../src/world/rng';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';
import { answerViewPx } from './lib/training-mix';

const args = cliArgs('npm run probe:zoomed --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  n: { type: 'string', default: '300', help: 'questions (glyph and shape)' },
  seed: { type: 'string', default: String(EVAL_SEED), help: 'first sample seed (the held-out range of npm run eval)' },
  'after-miss': { type: 'boolean', default: false, help: 'replay a deliberately missed first zoom and score the turn after it' },
  decoy: { type: 'boolean', default: false, help: 'with --after-miss: the missed box frames a distractor (of a neighbouring hue where there is one), as the model\'s own misses do' },
  'answer-view': { type: 'string', help: 'the oracle\'s answer thresholds the model was trained with (train:sft --answer-view, e.g. shape=16): else a deeper-trained model zooms again on the default\'s last crop' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);
const afterMiss = args['after-miss'];
if (args.decoy && !afterMiss) {
  console.error('--decoy goes with --after-miss (it chooses where the deliberate miss lands)');
  process.exit(2);
}
const MAX_TURN_TOKENS = afterMiss ? 96 : 48;

await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const tok = model.tokenizer;
const imageId = tok.special('<image>');
const assistantId = tok.special('<assistant>');
const eosId = tok.special('<eos>');
// the oracle without optional zooms: it zooms exactly when it must, after a deliberate miss in --after-miss
const mix = { recover: afterMiss ? 1 : 0, decoy: args.decoy ? 1 : 0, zoomResolvable: 0, zoomWhenNeeded: 1, answerViewPx: parsedArg('answer-view', args['answer-view'], answerViewPx) };

interface Row {
  family: string; resolvable: boolean; zooms: number; truth: string; answer: string | null; correct: boolean; zoomedAgain: boolean;
  /** --after-miss only: the thought says the crop missed; the new zoom's crop holds the target. */
  saysMiss?: boolean; nextZoomHits?: boolean;
}
const rows: Row[] = [];
for (let seed = firstSeed; seed < firstSeed + n; seed++) {
  const sample = generateSample(seed, { families: ['glyph', 'shape'], difficulty: seedDifficulty(seed) });
  const plan = oraclePlan(sample, hashSeed(seed, 7), mix);
  if (afterMiss && plan.kind !== 'recover') continue; // resolvable, or no box away from the target
  const image = sampleImage(sample, createNodeCanvas);
  const seq = planToSequence(model, image, sample.question, plan);
  // 1. the oracle's trajectory up to the start of the answering turn (--after-miss: of the turn after the miss)
  const assistantAt = seq.ids.flatMap((id, t) => (id === assistantId ? [t] : []));
  const cut = (afterMiss ? assistantAt[1] : assistantAt[assistantAt.length - 1]) + 1;
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
  for (let i = 0; i < MAX_TURN_TOKENS && session.remaining > 0; i++) {
    const id = sampleToken(logits!, GREEDY, Math.random);
    if (id === eosId) break;
    written.push(id);
    logits = await session.appendTokens([id]);
  }
  session.dispose();
  const turn = parseTurn(tok.decode(written), image.size, seq.views[afterMiss ? 1 : seq.views.length - 1]);
  const answer = turn.kind === 'answer' ? turn.answer : null;
  const zooms = plan.turns.filter((t) => t.zoom).length;
  const row: Row = { family: sample.family, resolvable: sample.resolvable, zooms, truth: sample.answer, answer, correct: isCorrect(answer, sample.answer), zoomedAgain: turn.kind === 'tool' };
  if (afterMiss) {
    const crop = turn.kind === 'tool' ? checkBox(turn.box, image.size) : null;
    rows.push({ ...row, saysMiss: SAYS_MISS.test(turn.thought), nextZoomHits: crop?.ok === true && sample.targets.every((t) => containsBox(crop.box, t)) });
  } else rows.push(row);
  await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
}

const groups: Record<string, Row[]> = {};
for (const r of rows) for (const key of ['all', r.family, `${r.family}/${r.resolvable ? 'resolvable (no zoom)' : 'unresolvable (oracle zooms)'}`]) (groups[key] ??= []).push(r);
const share = (g: Row[], f: (r: Row) => boolean | undefined) => g.filter(f).length / g.length;
const summary = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, {
  n: g.length, accuracy: share(g, (r) => r.correct), zoomedAgain: share(g, (r) => r.zoomedAgain),
  ...(afterMiss ? { saysMiss: share(g, (r) => r.saysMiss), nextZoomHits: share(g, (r) => r.nextZoomHits) } : {}),
}]));
// which answer each wrong reading gave, by truth ("hexagon→circle": 7): the shapes the reader confuses
const confusions: Record<string, number> = {};
for (const r of rows) {
  if (r.correct || !r.answer) continue;
  const pair = `${r.truth}→${r.answer}`;
  confusions[pair] = (confusions[pair] ?? 0) + 1;
}
const pct = (v: number) => `${(100 * v).toFixed(1).padStart(5)}%`;
if (afterMiss) {
  console.log(`model ${args.model}: glyph and shape questions after a first zoom that missed the target${args.decoy ? ' and framed a distractor' : ''}, the model's next turn (greedy)`);
  for (const [k, s] of Object.entries(summary)) {
    if (k.includes('/resolvable')) continue; // the oracle answers those without a zoom, so they have no miss
    console.log(`${k.padEnd(32)} n ${String(s.n).padStart(4)}  says it missed ${pct(s.saysMiss!)}  zooms again ${pct(s.zoomedAgain)}  that zoom holds the target ${pct(s.nextZoomHits!)}  answers right at once ${pct(s.accuracy)}`);
  }
} else {
  console.log(`model ${args.model}: glyph and shape questions, the oracle's zooms, the model's answer (greedy)`);
  for (const [k, s] of Object.entries(summary)) console.log(`${k.padEnd(40)} n ${String(s.n).padStart(4)}  acc ${pct(s.accuracy)}  zooms again ${pct(s.zoomedAgain)}`);
  console.log(`wrong answers: ${Object.entries(confusions).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
}
const out = `runs/eval/${basename(args.model)}-zoomed-${afterMiss ? (args.decoy ? 'after-decoy-' : 'after-miss-') : ''}${firstSeed}-${n}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed: firstSeed, n, answerView: mix.answerViewPx, summary, confusions, rows }, null, 1));
console.log(`wrote ${out}`);
