/**
 * npm run probe:misses -- --model models/default --eval evals/v37c-f16.json.gz[,…]
 *
 * What a missed first zoom framed. Every unresolvable episode of the given evaluations whose
 * first zoom missed its target is run again (greedy decoding replays it exactly), and the objects
 * whose centres lie in that first box are sorted: the target itself (cut off by the box), a
 * distractor of a hue next to the target's (train:sft --decoy-rate teaches recovery from those),
 * other distractors only, or nothing. Prints the tally, split by whether the episode ended right,
 * and writes runs/eval/<model>-misses.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, commaList } from './lib/args';
import { evaluatedSamples } from './lib/eval-file';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS, runEpisode } from '../src/agent/loop';
import { sampleImage } from '../src/agent/episode-image';
import { hueNeighbours } from '../src/train/oracle';
import type { PixelBox } from '../src/world/boxes';
import { createNodeCanvas } from '../src/world/node-canvas';
import type { SceneObject } from '../src/world/types';

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
  const inside = objects.filter((o) => o.cx > box[0] && o.cx < box[2] && o.cy > box[1] && o.cy < box[3]);
  if (inside.includes(target)) return 'the target, cut off';
  if (inside.some((o) => hueNeighbours(target.colour).includes(o.colour))) return 'a neighbouring hue';
  return inside.length ? 'other objects only' : 'nothing';
};

await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const rows: { id: string; family: string; framed: Framed; correct: boolean; replayed: boolean }[] = [];
for (const file of files) {
  for (const { record, sample } of evaluatedSamples(file)) {
    if (record.resolvable || record.firstZoomHits !== false) continue;
    const t = await runEpisode(model, sampleImage(sample, createNodeCanvas), sample.question, DEFAULT_EPISODE_OPTIONS);
    const box = t.steps.find((s) => s.kind === 'zoom')?.box;
    const target = sample.scene.objects.find((o) => o.id === sample.targetIds[0]);
    if (!box || !target) continue;
    // a replay that answers differently was not run with this model (or not greedily): say so
    rows.push({ id: record.id, family: sample.family, framed: framedKind(sample.scene.objects, target, box), correct: record.correct, replayed: t.answer === record.answer });
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
await mkdir('runs/eval', { recursive: true });
const out = `runs/eval/${basename(args.model)}-misses.json`;
await writeFile(out, JSON.stringify({ model: args.model, evals: files, rows }, null, 1));
console.log(`wrote ${out}`);
