/**
 * npm run pretrain:vision -- --steps 1500 --out runs/vision-default
 *
 * Stage 1 of the recipe: trains the vision encoder alone (plus the dense-label head) on global
 * views and crops, at encoder-only cost. `npm run train:sft -- --init-vision <out>` starts SFT
 * from it. Resumes from <out>/vision.json + vision.bin; Ctrl-C saves.
 */
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, formatDuration, numberArg } from './lib/args';
import { onInterrupt } from './lib/interrupt';
import { readVisionState } from './lib/checkpoint';
import { ViewSource, stackViews } from './lib/view-source';
import * as tf from '../src/model/tf';
import { inputShape, presetConfig } from '../src/model/config';
import { initWeights } from '../src/model/init';
import { Vlm } from '../src/model/vlm';
import { Adam } from '../src/train/adam';
import { auxVariables, createAuxHead, restoreAuxHead } from '../src/train/aux-head';
import { learningRate, toVariables } from '../src/train/sft';
import { AUX_CHANNELS } from '../src/train/vision-labels';
import { visionMetrics, visionStep } from '../src/train/vision-pretrain';
import { BACKGROUND_STYLES } from '../src/world/types';
import { HELD_OUT_BACKGROUND } from '../src/world/seeds';

const args = cliArgs('npm run pretrain:vision --', {
  preset: { type: 'string', default: 'default', help: 'model preset (tiny, default)' },
  steps: { type: 'string', default: '1500', help: 'total optimisation steps' },
  scenes: { type: 'string', default: '8', help: 'scenes per step' },
  crops: { type: 'string', default: '7', help: 'crops per scene (plus its global view)' },
  lr: { type: 'string', default: '2e-3', help: 'peak learning rate' },
  out: { type: 'string', help: 'output directory (default runs/vision-<preset>)' },
  'save-every': { type: 'string', default: '100', help: 'save interval in steps' },
  'log-every': { type: 'string', default: '20', help: 'console progress interval in steps' },
  'data-seed': { type: 'string', default: '2000000', help: 'first scene seed (SFT uses 0.., eval 1e9..)' },
  'hold-out-background': { type: 'string', default: HELD_OUT_BACKGROUND, help: 'background style kept out of training, or "none"' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});

const totalSteps = numberArg('steps', args.steps, 1);
const scenesPerStep = numberArg('scenes', args.scenes, 1, 64);
const cropsPerScene = numberArg('crops', args.crops, 0, 32);
const peakLr = numberArg('lr', args.lr, 0, 1);
const saveEvery = numberArg('save-every', args['save-every'], 1);
const logEvery = numberArg('log-every', args['log-every'], 1);
const outDir = args.out ?? `runs/vision-${args.preset}`;
const world = { backgrounds: BACKGROUND_STYLES.filter((b) => b !== args['hold-out-background']) };

const backend = await useNodeBackend('wasm');
await mkdir(outDir, { recursive: true });
// the vocabulary does not matter to the encoder: any size builds the config
const config = presetConfig(args.preset, 64);
console.log(`vision pre-training: preset ${args.preset}, backend ${backend}, ${scenesPerStep}×${cropsPerScene + 1} views per step`);
const visionNames = (names: string[]) => names.filter((n) => n.startsWith('vision.'));
const init = initWeights(config, 7);
const vars = toVariables(Object.fromEntries(visionNames(Object.keys(init)).map((n) => [n, init[n]])));
tf.dispose(Object.values(init));
const head = createAuxHead(config.visionDim, AUX_CHANNELS, 1, config.colourPool);
const adam = new Adam();
const encoder = new Vlm(config, vars, 0);
let step = 0;
let dataCursor = numberArg('data-seed', args['data-seed'], 0);

// 1. resume
const binPath = join(outDir, 'vision.bin');
const jsonPath = join(outDir, 'vision.json');
if (existsSync(jsonPath)) {
  const { meta, tensors: saved } = await readVisionState(outDir);
  for (const [name, v] of Object.entries(vars)) v.assign(saved[name]);
  restoreAuxHead(head, saved);
  adam.restore(meta.step, Object.fromEntries(Object.entries(saved).filter(([k]) => k.startsWith('m.') || k.startsWith('v.'))));
  tf.dispose(Object.values(saved));
  step = meta.step;
  dataCursor = meta.dataCursor;
  console.log(`resuming ${outDir} at step ${step}`);
}
const save = async () => {
  const { data, specs } = await tf.io.encodeWeights({ ...vars, ...auxVariables(head), ...adam.state() });
  await writeFile(`${binPath}.tmp`, new Uint8Array(data));
  await writeFile(`${jsonPath}.tmp`, JSON.stringify({ preset: args.preset, step, dataCursor, specs, args }));
  await rename(`${binPath}.tmp`, binPath);
  await rename(`${jsonPath}.tmp`, jsonPath);
};

// 2. data from a worker thread
const source = new ViewSource({ config, world, cropsPerScene }, 'vision');
const request = () => source.request(Array.from({ length: scenesPerStep }, () => dataCursor++));

// 3. the loop
const stop = onInterrupt();
const schedule = { peakLr, warmupSteps: Math.min(100, Math.ceil(totalSteps / 10)), totalSteps, minLrFraction: 0.1 };
let pending = request();
const started = performance.now();
const startStep = step;
let window = { loss: 0, steps: 0, views: 0, ms: 0, glyph: 0, glyphN: 0, shape: 0, shapeN: 0 };
while (step < totalSteps && !stop.requested) {
  const views = await pending;
  pending = request();
  const t0 = performance.now();
  const { patches, labels } = stackViews(views, inputShape(config));
  if (step % logEvery === 0) {
    // measured before the update: these views are new to the model
    const features = tf.tidy(() => encoder.encodePatches(patches));
    const m = await visionMetrics(features, labels, head);
    features.dispose();
    window.glyph += m.glyphAccuracy * m.glyphPatches, window.glyphN += m.glyphPatches;
    window.shape += m.shapeAccuracy * m.shapePatches, window.shapeN += m.shapePatches;
  }
  const lr = learningRate(step, schedule);
  const r = await visionStep(encoder, vars, head, adam, patches, labels, lr);
  tf.dispose([patches, labels]);
  const ms = performance.now() - t0;
  step++;
  if (!r.applied) console.warn(`step ${step}: non-finite loss or gradient; update skipped`);
  window = { ...window, loss: window.loss + r.loss, steps: window.steps + 1, views: window.views + views.patches.length, ms: window.ms + ms };
  await appendFile(join(outDir, 'log.jsonl'), JSON.stringify({ step, loss: r.loss, gradNorm: r.gradNorm, lr, views: views.patches.length, ms: Math.round(ms), time: Date.now() }) + '\n');
  if (step % logEvery === 0 || step === totalSteps) {
    const elapsed = performance.now() - started;
    console.log(
      `step ${step}/${totalSteps}  loss ${(window.loss / window.steps).toFixed(4)}  glyph ${(window.glyph / Math.max(1, window.glyphN)).toFixed(3)} (${window.glyphN})  ` +
      `shape ${(window.shape / Math.max(1, window.shapeN)).toFixed(3)} (${window.shapeN})  ${((window.views * 1000) / window.ms).toFixed(0)} views/s  ` +
      `elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(((totalSteps - step) * elapsed) / (step - startStep))}`,
    );
    await appendFile(join(outDir, 'metrics.jsonl'), JSON.stringify({ step, glyphAccuracy: window.glyph / Math.max(1, window.glyphN), glyphPatches: window.glyphN, shapeAccuracy: window.shape / Math.max(1, window.shapeN), shapePatches: window.shapeN }) + '\n');
    window = { loss: 0, steps: 0, views: 0, ms: 0, glyph: 0, glyphN: 0, shape: 0, shapeN: 0 };
  }
  if (step % saveEvery === 0) await save();
}
await save();
console.log(`saved ${outDir} at step ${step}`);
await source.terminate();
