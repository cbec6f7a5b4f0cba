/**
 * npm run probe:misses -- --model models/default --eval evals/v37c-f16.json.gz[,…]
 *
 * What a missed first zoom framed. Every unresolvable episode of the given evaluations whose
 * first zoom missed its target is run again (greedy decoding replays it exactly), and the objects
 * whose centres lie in that first box are sorted: the target itself (cut off by the box), a
 * distractor of a hue next to the target's (train:sft --decoy-rate teaches recovery from those),
 * other distractors only, or nothing. Prints the tally, split by whether the episode ended right,
 * and writes runs/eval/<model>-misses.json. For the neighbouring-hue misses it also says whether
 * the view itself showed the target's hue: the most saturated pixel of its footprint in the
 * 64-px view, matched to the nearest palette hue.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, commaList } from './lib/args';
import { evaluatedSamples } from './lib/eval-file';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeImage, runEpisode } from '../src/agent/loop';
import { sampleImage } from '../src/agent/episode-image';
import { hueNeighbours } from '../src/train/oracle';
import { letterboxResize } from '../src/model/preprocess';
import { type PixelBox, centreIn, letterbox } from '../src/world/boxes';
import { canvasPixels, createNodeCanvas } from '../src/world/node-canvas';
import { MODEL_VIEW_SIZE } from '../src/world/resolvability';
import { COLOURS, type Colour, type SceneObject } from '../src/world/types';

const args = cliArgs('npm run probe:misses --', {
  model: { type: 'string', default: 'models/default', help: 'the model the evaluations were run with' },
  eval: { type: 'string', help: 'comma-separated npm run eval outputs (.json or .json.gz) of that model' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const files = commaList(args.eval);
if (!files.length) {
  console.error('--eval: give one or more npm run eval outputs of the model');
  process.exit(2);
}

type Framed = 'the target, cut off' | 'a neighbouring hue' | 'other objects only' | 'nothing';
const framedKind = (objects: readonly SceneObject[], target: SceneObject, box: PixelBox): Framed => {
  const inside = objects.filter((o) => centreIn(o, box));
  if (inside.includes(target)) return 'the target, cut off';
  if (inside.some((o) => hueNeighbours(target.colour).includes(o.colour))) return 'a neighbouring hue';
  return inside.length ? 'other objects only' : 'nothing';
};

type Rgb = readonly [number, number, number];
const saturation = ([r, g, b]: Rgb) => (Math.max(r, g, b) ? (Math.max(r, g, b) - Math.min(r, g, b)) / Math.max(r, g, b) : 0);
function hue([r, g, b]: Rgb): number {
  const max = Math.max(r, g, b), d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return h * 60;
}
const rgbOf = (hex: string): Rgb => [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
const PALETTE_HUES = Object.entries(COLOURS).map(([name, hex]) => [name as Colour, hue(rgbOf(hex))] as const);

/** The palette colour whose hue is nearest the most saturated view pixel of the object's footprint. */
function viewColour(image: EpisodeImage, o: SceneObject): Colour {
  const view = letterboxResize(canvasPixels(image.canvas), MODEL_VIEW_SIZE);
  const lb = letterbox(image.size);
  const at = (v: number, offset: number) => Math.min(MODEL_VIEW_SIZE - 1, Math.max(0, Math.floor((offset + v * lb.scale) * MODEL_VIEW_SIZE)));
  let best: Rgb = [0, 0, 0];
  for (let y = at(o.cy - o.size / 2, lb.offsetY); y <= at(o.cy + o.size / 2, lb.offsetY); y++) {
    for (let x = at(o.cx - o.size / 2, lb.offsetX); x <= at(o.cx + o.size / 2, lb.offsetX); x++) {
      const i = (y * MODEL_VIEW_SIZE + x) * 3;
      const p: Rgb = [view[i]!, view[i + 1]!, view[i + 2]!];
      if (saturation(p) > saturation(best)) best = p;
    }
  }
  const h = hue(best);
  const apart = (a: number) => Math.min(Math.abs(a - h), 360 - Math.abs(a - h));
  return PALETTE_HUES.reduce((a, b) => (apart(b[1]) < apart(a[1]) ? b : a))[0];
}

await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const rows: { id: string; family: string; framed: Framed; correct: boolean; replayed: boolean; viewShowsHue: boolean }[] = [];
for (const file of files) {
  for (const { record, sample } of evaluatedSamples(file)) {
    if (record.resolvable || record.firstZoomHits !== false) continue;
    const image = sampleImage(sample, createNodeCanvas);
    const t = await runEpisode(model, image, sample.question, DEFAULT_EPISODE_OPTIONS);
    const box = t.steps.find((s) => s.kind === 'zoom')?.box;
    const target = sample.scene.objects.find((o) => o.id === sample.targetIds[0]);
    if (!box || !target) continue;
    // a replay that answers differently was not run with this model (or not greedily): say so
    rows.push({ id: record.id, family: sample.family, framed: framedKind(sample.scene.objects, target, box), correct: record.correct, replayed: t.answer === record.answer, viewShowsHue: viewColour(image, target) === target.colour });
    await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
  }
}
const notReplayed = rows.filter((r) => !r.replayed).length;
if (notReplayed) console.warn(`${notReplayed} of ${rows.length} episodes answered differently on replay: were the evaluations run with ${args.model}?`);
console.log(`model ${args.model}: ${rows.length} unresolvable episodes whose first zoom missed; what that box framed`);
for (const kind of ['the target, cut off', 'a neighbouring hue', 'other objects only', 'nothing'] as Framed[]) {
  const g = rows.filter((r) => r.framed === kind);
  console.log(`${kind.padEnd(22)} ${String(g.length).padStart(4)}  ended right ${g.filter((r) => r.correct).length}`);
}
const hueMisses = rows.filter((r) => r.framed === 'a neighbouring hue');
console.log(`of the ${hueMisses.length} neighbouring-hue misses, the view showed the target's own hue in ${hueMisses.filter((r) => r.viewShowsHue).length} (its most saturated view pixel nearest that palette hue)`);
await mkdir('runs/eval', { recursive: true });
const out = `runs/eval/${basename(args.model)}-misses.json`;
await writeFile(out, JSON.stringify({ model: args.model, evals: files, rows }, null, 1));
console.log(`wrote ${out}`);
