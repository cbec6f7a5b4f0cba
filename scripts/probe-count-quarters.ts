/**
 * npm run probe:count-quarters -- --model models/default --n 150
 *
 * Would counting by zooming help? On held-out count scenes the model answers the count question
 * twice: on the whole image (as `npm run eval` asks it), and on each quarter of the image given as
 * an image of its own (a 2× zoom: the quarter's counted objects, those whose centre lies in it,
 * span twice the view px). Reports accuracy by true count on each, how often the four quarters'
 * answers add up to the scene's count, and the quarters cut through by a counted object apart.
 * Empty quarters are reported apart too: the world never asks a count of 0, so the model has never
 * answered one. Writes runs/eval/<model>-count-quarters-<seed>-<n>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, numberArg } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeImage, runEpisode } from '../src/agent/loop';
import { sampleImage } from '../src/agent/episode-image';
import { normalizeAnswer } from '../src/rl/answer';
import { context2d } from '../src/world/canvas';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { EVAL_SEED, seedDifficulty } from '../src/world/seeds';

const args = cliArgs('npm run probe:count-quarters --', {
  model: { type: 'string', default: 'models/default', help: 'model directory' },
  n: { type: 'string', default: '150', help: 'count scenes' },
  seed: { type: 'string', default: String(EVAL_SEED), help: 'first sample seed (the held-out range of npm run eval)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const n = numberArg('n', args.n, 1);
const firstSeed = numberArg('seed', args.seed, 0);

await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));

interface Row { seed: number; part: 'whole' | 'quarter'; truth: number; answer: number | null; cut: boolean }
const rows: Row[] = [];
const scenes: { seed: number; truth: number; whole: number | null; quarterSum: number | null }[] = [];
const answerOn = async (image: EpisodeImage, question: string, seed: number) => {
  const t = await runEpisode(model, image, question, { ...DEFAULT_EPISODE_OPTIONS, seed });
  const said = t.answer === null ? NaN : Number(normalizeAnswer(t.answer));
  return Number.isInteger(said) ? said : null;
};

for (let seed = firstSeed; scenes.length < n; seed++) {
  const sample = generateSample(seed, { families: ['count'], difficulty: seedDifficulty(seed) });
  const image = sampleImage(sample, createNodeCanvas);
  const truth = sample.targets.length;
  const whole = await answerOn(image, sample.question, seed);
  rows.push({ seed, part: 'whole', truth, answer: whole, cut: false });
  const [W, H] = [image.size.width, image.size.height];
  let quarterSum: number | null = 0;
  for (const [qx, qy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const [x0, y0, w, h] = [Math.floor((qx * W) / 2), Math.floor((qy * H) / 2), Math.ceil(W / 2), Math.ceil(H / 2)];
    const canvas = createNodeCanvas(w, h);
    context2d(canvas).drawImage(image.canvas as never, x0, y0, w, h, 0, 0, w, h);
    const inside = sample.targets.filter((t) => { const [cx, cy] = [(t[0] + t[2]) / 2, (t[1] + t[3]) / 2]; return cx >= x0 && cx < x0 + w && cy >= y0 && cy < y0 + h; });
    const cut = sample.targets.some((t) => t[0] < x0 + w && t[2] > x0 && t[1] < y0 + h && t[3] > y0 && (t[0] < x0 || t[2] > x0 + w || t[1] < y0 || t[3] > y0 + h));
    const answer = await answerOn({ size: { width: w, height: h }, canvas, createCanvas: createNodeCanvas }, sample.question, seed);
    rows.push({ seed, part: 'quarter', truth: inside.length, answer, cut });
    quarterSum = quarterSum === null || answer === null ? null : quarterSum + (inside.length === 0 ? 0 : answer);
  }
  scenes.push({ seed, truth, whole, quarterSum });
  await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
}

const pct = (k: number, of: number) => (of ? `${((100 * k) / of).toFixed(1)}% of ${of}` : '-');
const right = (rs: Row[]) => rs.filter((r) => r.answer === r.truth).length;
console.log(`model ${args.model}: ${n} count scenes from seed ${firstSeed}, answered on the whole image and on each quarter alone (greedy)`);
for (const k of [0, 1, 2, 3, 4, 5, 6]) {
  const whole = rows.filter((r) => r.part === 'whole' && r.truth === k);
  const clean = rows.filter((r) => r.part === 'quarter' && r.truth === k && !r.cut);
  const cut = rows.filter((r) => r.part === 'quarter' && r.truth === k && r.cut);
  if (whole.length + clean.length + cut.length) console.log(`true ${k}: whole image ${pct(right(whole), whole.length)}; quarters uncut ${pct(right(clean), clean.length)}, cut by a counted object ${pct(right(cut), cut.length)}`);
}
const wholeRight = scenes.filter((s) => s.whole === s.truth).length;
const sumRight = scenes.filter((s) => s.quarterSum === s.truth).length;
console.log(`scenes: whole image right ${pct(wholeRight, scenes.length)}; the occupied quarters' answers add up to the count ${pct(sumRight, scenes.length)} (empty quarters taken as 0)`);
const out = `runs/eval/${basename(args.model)}-count-quarters-${firstSeed}-${n}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(out, JSON.stringify({ model: args.model, seed: firstSeed, n, scenes, rows }, null, 1));
console.log(`wrote ${out}`);
