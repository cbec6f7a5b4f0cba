/**
 * npm run train:sft -- --preset default --steps 6000 --out runs/sft-default
 *
 * Trains Squint's VLM from scratch on oracle trajectories (WASM backend). Resumes
 * automatically from <out>/checkpoint; Ctrl-C saves a checkpoint before exiting.
 * Scenes are rendered in a worker thread so the training thread keeps its core.
 */
import { Worker } from 'node:worker_threads';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { bandArg, choiceArg, cliArgs, formatDuration, listArg, numberArg, parseLrScale, parsedArg } from './lib/args';
import { hasCheckpoint, loadCheckpoint, loadVisionPretraining, readOptimizerTensors, saveCheckpoint } from './lib/checkpoint';
import { onInterrupt } from './lib/interrupt';
import { FAMILY_WEIGHTS, answerViewPx, familyWeights } from './lib/training-mix';
import type { WorkerSetup } from './lib/example-worker';
import { ViewSource, stackViews } from './lib/view-source';
import { presetConfig, parameterCount } from '../src/model/config';
import { growWeights, initWeights } from '../src/model/init';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { SquintModel } from '../src/model/squint-model';
import { SquintTokenizer, buildTokenizerJson } from '../src/model/tokenizer';
import { Vlm } from '../src/model/vlm';
import { regridWeights } from '../src/model/regrid';
import { Adam, DEFAULT_ADAM } from '../src/train/adam';
import { disposeBatch, lengthSortedBatches, makeBatch, type SequenceLike } from '../src/train/batch';
import { tokenizerCorpus } from '../src/train/data';
import { ANSWER_VIEW_PX, DEFAULT_MIX } from '../src/train/oracle';
import { type AuxHead, auxVariables, createAuxHead, restoreAuxHead } from '../src/train/aux-head';
import { type ExtraViews, learningRate, sftStep, toVariables } from '../src/train/sft';
import { type VisionMetrics, centreShapeAccuracy, visionMetrics } from '../src/train/vision-pretrain';
import { AUX_CHANNELS } from '../src/train/vision-labels';
import * as tf from '../src/model/tf';
import { BACKGROUND_STYLES, type BackgroundStyle, FAMILIES, type Family } from '../src/world/types';
import { createRng } from '../src/world/rng';
import { HELD_OUT_BACKGROUND, HELD_OUT_TARGET_VIEW } from '../src/world/seeds';

const args = cliArgs('npm run train:sft --', {
  preset: { type: 'string', default: 'default', help: 'model preset (tiny, default)' },
  steps: { type: 'string', default: '6000', help: 'total optimisation steps' },
  batch: { type: 'string', default: '16', help: 'sequences per step' },
  lr: { type: 'string', default: '2e-3', help: 'peak learning rate' },
  warmup: { type: 'string', help: 'warm-up steps (default: 10% of steps, at most 200)' },
  out: { type: 'string', help: 'run directory (default runs/sft-<preset>)' },
  'save-every': { type: 'string', default: '250', help: 'checkpoint interval in steps' },
  'log-every': { type: 'string', default: '10', help: 'console progress interval in steps' },
  'data-seed': { type: 'string', default: '0', help: 'first training seed (eval uses seeds from 1e9)' },
  'aux-weight': { type: 'string', default: '1', help: 'weight of the dense vision loss (0 = off)' },
  'aux-shape-weight': { type: 'string', default: '1', help: 'multiplier of the shape term within the dense vision loss' },
  'aux-centre-weight': { type: 'string', default: '0', help: 'weight of the object-centre term within the dense vision loss (0: none)' },
  'reader-views': { type: 'string', default: '0', help: 'crops per step (4 a scene; --reader-scale says which) whose dense vision loss trains the encoder beside the sequences, for shape reading (0 = off; needs --aux-weight > 0)' },
  'reader-weight': { type: 'string', default: '0.5', help: 'weight of the reader views\' vision loss relative to the token cross-entropy' },
  'reader-scale': { type: 'string', default: 'zoom', help: "the reader views' scale: zoom (an object 1.6–3.4× inside the crop, as a final zoom cuts it) or global (centred on an object that spans 7–13 view px, as a colour question's target does in the global view, whose shape the four centre tokens are also taught)" },
  'reader-seed': { type: 'string', default: '7000000', help: 'first scene seed of the reader views (scenes step·views/4 on are used at each step, so a resumed run continues them)' },
  'ground-weight': { type: 'string', default: '0', help: 'weight of the grounding loss: one decoder head taught to attend to the target where a thought names its region (0 = off)' },
  'family-weights': { type: 'string', help: `how often each family is drawn, replacing defaults: e.g. count=0.3 (relative; defaults ${Object.entries(FAMILY_WEIGHTS).map(([f, w]) => `${f}=${w}`).join(',')})` },
  'gate-weight': { type: 'string', default: '0', help: 'weight of the count gate\'s own loss: open at a count scan\'s numbers, shut at every other written token (countGate presets; the scan entries are the batch\'s count grounding queries; 0 = off)' },
  'aim-weight': { type: 'string', default: '0', help: "weight of the aim pathway's loss: its distribution over the 4-px cells taught to fall on the target where a thought names its region or colour and where a box's coordinates are written (fineAim presets; 0 = off)" },
  'detect-positive-weight': { type: 'string', default: '1', help: "the count detector's BCE weight on counted centres against the other image tokens (countDetector presets; 1 = plain BCE)" },
  'detect-targets': { type: 'string', default: 'centre', help: "what the count detector is taught at each image token (countDetector presets): centre (1 where a counted object's centre lies, recipes ≤ v27) or share (the share of each counted object's box in the token's cell, summing to the count)" },
  'detect-fine-targets': { type: 'string', default: 'share', help: "what the fine detector is taught at each 4-px cell (fineDetector presets): share (each counted object's box share, summing to the area's count; recipes v32–v33) or centre (1 at the cell holding a counted object's centre, so an object across an area's border is the area's of its centre alone; recipe v34)" },
  'split-weight': { type: 'string', default: '1', help: "weight of a count scan entry's even-split grounding term (countPeaks presets: each counted target's centre looked at alike), relative to the other grounding queries" },
  'grounded-word-weight': { type: 'string', default: '1', help: 'loss weight of the words grounding queries predict: region words, box coordinates, the answer as the last thought states it (at least; 1 = as the oracle weights them)' },
  'zoom-rate': { type: 'string', default: '1', help: 'probability that a trajectory whose target is too small zooms (below 1: a tool-shy RL base)' },
  'answer-view': { type: 'string', help: `view px a family's target must span to be answered without a zoom, replacing defaults: e.g. shape=16,colour=9 (defaults ${Object.entries(ANSWER_VIEW_PX).map(([f, px]) => `${f}=${px}`).join(',')}; other families never zoom)` },
  'count-areas': { type: 'string', default: 'thirds', help: "how a count's scan splits the image: thirds (recipes ≤ v24) or view (3 : 2 : 3 of the letterboxed view, on the token grid's borders)" },
  'count-border': { type: 'string', default: '0', help: "chance that each counted object is placed with its centre within 1 view px of a view scan-area border, where scans most often misplace it (0: as evaluated)" },
  'count-cluster': { type: 'string', default: '0', help: "chance that each counted object after a count scene's first is placed in the same view scan area as an earlier one, so that areas holding 2+ targets are common (0: as evaluated)" },
  'count-crop': { type: 'string', default: '0', help: 'chance that a count is asked of a crop of its scene (a 2× to 4× zoom around one of its targets) instead: counting at the scale a zoom shows (0: never, recipes ≤ v31)' },
  'count-closer': { type: 'string', help: "with --count-areas view: counts zoom on their crowded areas (marked ? in the scan; every area holding 2+, at most 2) and on an area holding one with this chance; omitted, counts never zoom (recipes ≤ v28)" },
  'recover-rate': { type: 'string', default: String(DEFAULT_MIX.recover), help: 'probability that a zooming trajectory starts with a zoom that misses the target, then recovers' },
  'aim-distrust': { type: 'string', default: 'colour,count', help: "families along whose questions the aim's trust is taught 0 whatever the aim does (aimTrust presets); 'none' for none" },
  'decoy-rate': { type: 'string', default: '0', help: "chance that a recovery's deliberate miss is aimed at a distractor, one of a neighbouring hue where the scene has one (the model's own misses), instead of at random (0: recipes ≤ v37)" },
  'init-vision': { type: 'string', help: 'start the encoder (and aux head) from a pretrain:vision output directory' },
  'aux-from': { type: 'string', help: 'with --init-from: take the aux vision head from this SFT checkpoint instead (an exported model carries none, and a fresh head\'s first gradients scramble the encoder it trains); it must have been trained on the same encoder' },
  'init-from': { type: 'string', help: 'start from a model or checkpoint directory (its tokenizer and weights; the preset\'s architecture, so weights it lacks, e.g. a newly added colour pool, start fresh); new optimizer and schedule' },
  'train-only': { type: 'string', help: 'train only the weights whose names start with this, or with any of several comma-separated prefixes (e.g. decoder.detect.fine.: a new pathway learns against the rest frozen, and the step skips the others\' gradients; the aux head, when on, still trains)' },
  'lr-scale': { type: 'string', help: 'learning-rate multipliers for named weights, e.g. decoder.pointer=10 (a pathway grown from zero)' },
  'hold-out-background': { type: 'string', default: HELD_OUT_BACKGROUND, help: 'background style kept out of training (style-shift split), or "none"' },
  'hold-out-size': { type: 'string', default: HELD_OUT_TARGET_VIEW.join(','), help: 'target sizes LO,HI (view px) kept out of training (size split; samples with a target in it are replaced), or "none"' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});

const preset = args.preset;
const totalSteps = numberArg('steps', args.steps, 1);
const batchSize = numberArg('batch', args.batch, 1, 256);
const peakLr = numberArg('lr', args.lr, 0, 1);
const warmupSteps = args.warmup ? numberArg('warmup', args.warmup, 0) : Math.min(200, Math.ceil(totalSteps / 10));
const saveEvery = numberArg('save-every', args['save-every'], 1);
const logEvery = numberArg('log-every', args['log-every'], 1);
const outDir = args.out ?? `runs/sft-${preset}`;
const checkpointDir = join(outDir, 'checkpoint');
const heldOut = args['hold-out-background'];
if (heldOut !== 'none' && !BACKGROUND_STYLES.includes(heldOut as BackgroundStyle)) {
  console.error(`--hold-out-background must be one of ${BACKGROUND_STYLES.join(', ')} or none`);
  process.exit(2);
}
const world = { backgrounds: BACKGROUND_STYLES.filter((b) => b !== heldOut), countCluster: numberArg('count-cluster', args['count-cluster'], 0, 1), countBorder: numberArg('count-border', args['count-border'], 0, 1) };
const heldOutSizes = bandArg('hold-out-size', args['hold-out-size']);

// The data mix is validated before any work starts, so a typo fails in a second, not after loading a model.
const familyMix = parsedArg('family-weights', args['family-weights'], familyWeights);
const answerView = parsedArg('answer-view', args['answer-view'], answerViewPx);
const countAreas = choiceArg('count-areas', args['count-areas'], ['thirds', 'view'] as const);
const countCloser = args['count-closer'] === undefined ? undefined : numberArg('count-closer', args['count-closer'], 0, 1);
if (countCloser !== undefined && countAreas !== 'view') {
  console.error('--count-closer: needs --count-areas view (a closer look crops one of the view\'s areas)');
  process.exit(2);
}
const oracleMix = { ...DEFAULT_MIX, zoomWhenNeeded: numberArg('zoom-rate', args['zoom-rate'], 0, 1), recover: numberArg('recover-rate', args['recover-rate'], 0, 1), countAreas, answerViewPx: answerView, countCloser, countCrop: numberArg('count-crop', args['count-crop'], 0, 1), decoy: numberArg('decoy-rate', args['decoy-rate'], 0, 1), aimDistrusted: args['aim-distrust'] === 'none' ? [] : listArg<Family>('aim-distrust', args['aim-distrust'], FAMILIES) };
const backend = await useNodeBackend('wasm');
await mkdir(outDir, { recursive: true });

// 1. model, optimizer and position: from the checkpoint, or fresh
let model: SquintModel;
const adam = new Adam({ ...DEFAULT_ADAM, lrScale: parseLrScale(args['lr-scale']) });
let step = 0;
let dataCursor = numberArg('data-seed', args['data-seed'], 0);
const auxWeight = numberArg('aux-weight', args['aux-weight'], 0);
const auxShapeWeight = numberArg('aux-shape-weight', args['aux-shape-weight'], 0);
const auxCentreWeight = numberArg('aux-centre-weight', args['aux-centre-weight'], 0);
const groundWeight = numberArg('ground-weight', args['ground-weight'], 0);
const detectPositiveWeight = numberArg('detect-positive-weight', args['detect-positive-weight'], 0);
const gateWeight = numberArg('gate-weight', args['gate-weight'], 0);
const aimWeight = numberArg('aim-weight', args['aim-weight'], 0);
const teaching = {
  detect: choiceArg('detect-targets', args['detect-targets'], ['centre', 'share'] as const),
  fine: choiceArg('detect-fine-targets', args['detect-fine-targets'], ['centre', 'share'] as const),
};
const readerViews = numberArg('reader-views', args['reader-views'], 0, 256);
const readerWeight = numberArg('reader-weight', args['reader-weight'], 0);
const readerSeed = numberArg('reader-seed', args['reader-seed'], 0);
const readerScale = choiceArg('reader-scale', args['reader-scale'], ['zoom', 'global'] as const);
if (readerViews > 0 && auxWeight === 0) {
  console.error('--reader-views needs the aux head that reads them: set --aux-weight above 0');
  process.exit(2);
}
/** A checkpoint's extra tensors split into the aux vision head (aux.*) and the rest (Adam's moments m.*, v.*). */
function splitAux(tensors: Record<string, tf.Tensor>): { head: Record<string, tf.Tensor>; rest: Record<string, tf.Tensor> } {
  const isAux = ([name]: [string, tf.Tensor]) => name.startsWith('aux.');
  const entries = Object.entries(tensors);
  return { head: Object.fromEntries(entries.filter(isAux)), rest: Object.fromEntries(entries.filter((e) => !isAux(e))) };
}
let savedAux: Record<string, tf.Tensor> = {};
if (hasCheckpoint(checkpointDir)) {
  const ck = await loadCheckpoint(checkpointDir);
  model = ck.model;
  const { head, rest } = splitAux(ck.optimizer);
  savedAux = head;
  adam.restore(ck.state.step, rest);
  step = ck.state.step;
  dataCursor = ck.state.dataCursor;
  console.log(`resuming ${checkpointDir} at step ${step}`);
} else if (args['init-from']) {
  model = await growFrom(args['init-from']);
} else {
  const tokenizer = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(3000)));
  const config = presetConfig(preset, tokenizer.vocabSize);
  const weights = initWeights(config, 1);
  if (args['init-vision']) {
    const pretrained = await loadVisionPretraining(args['init-vision'], config);
    for (const [name, t] of Object.entries(pretrained)) {
      if (name.startsWith('aux.')) savedAux[name] = t;
      else weights[name].dispose(), (weights[name] = t);
    }
    console.log(`encoder initialised from ${args['init-vision']}`);
  }
  model = new SquintModel(config, tokenizer, weights);
}
/**
 * A model of the chosen preset whose weights come from `dir` (a model or an SFT checkpoint, with
 * its aux head) wherever the source has them; weights it lacks keep their initialisation (a new
 * colour pool's projection starts at zero, a new transformer block as the identity, so the grown
 * model first computes what the source did).
 * @throws when a shared weight's shape differs (the preset does not fit the source).
 */
async function growFrom(dir: string): Promise<SquintModel> {
  const source = hasCheckpoint(dir) ? await loadCheckpoint(dir) : { model: await loadSquintModel(nodeFileReader(dir)), optimizer: {} };
  const config = presetConfig(preset, source.model.tokenizer.vocabSize);
  // a finer token grid (merge 2 → 1) reshapes the projector and grid weights first
  const regrid = source.model.config.merge !== config.merge;
  const sourceWeights = regrid ? regridWeights(source.model.vlm.weights, source.model.config, config) : source.model.vlm.weights;
  const { weights, fresh, identity } = growWeights(config, sourceWeights, dir);
  const { head, rest } = splitAux(source.optimizer);
  Object.assign(savedAux, head);
  tf.dispose(Object.values(rest));
  source.model.dispose();
  if (regrid) tf.dispose(Object.values(sourceWeights));
  console.log(`initialised from ${dir}${regrid ? ` (regridded merge ${source.model.config.merge} → ${config.merge})` : ''}; fresh: ${fresh.length ? fresh.join(', ') : 'none'}${identity.length ? ` (new blocks start as the identity: ${identity.join(', ')} at zero)` : ''}`);
  return new SquintModel(config, source.model.tokenizer, weights);
}

if (args['aux-from']) {
  if (!args['init-from'] || hasCheckpoint(checkpointDir)) {
    console.error('--aux-from goes with --init-from, on a fresh run (a resumed run keeps its own aux head)');
    process.exit(2);
  }
  const { head, rest } = splitAux(hasCheckpoint(args['aux-from']) ? await readOptimizerTensors(args['aux-from']) : {});
  tf.dispose(Object.values(rest));
  if (Object.keys(head).length === 0) {
    console.error(`--aux-from ${args['aux-from']}: no aux head there (an SFT checkpoint trained with --aux-weight above 0 has one)`);
    process.exit(2);
  }
  tf.dispose(Object.values(savedAux));
  savedAux = head;
  console.log(`aux head from ${args['aux-from']}`);
} else if (auxWeight > 0 && args['init-from'] && !hasCheckpoint(checkpointDir) && Object.keys(savedAux).length === 0) {
  console.warn(`warning: ${args['init-from']} carries no aux head, so it starts fresh and its first gradients reach the encoder; --aux-from takes one from an SFT checkpoint`);
}

const vars = toVariables(model.vlm.weights);
let aux: AuxHead | undefined;
if (auxWeight > 0) {
  aux = createAuxHead(model.config.visionDim, AUX_CHANNELS, auxWeight, model.config.colourPool, auxShapeWeight, auxCentreWeight);
  restoreAuxHead(aux, savedAux);
}
const trainable = new Vlm(model.config, vars, model.vlm.imageTokenId);
const trainOnly = args['train-only'];
const trainedPrefixes = trainOnly?.split(',').map((prefix) => prefix.trim()).filter(Boolean);
const trained = trainedPrefixes ? Object.fromEntries(Object.entries(vars).filter(([name]) => trainedPrefixes.some((prefix) => name.startsWith(prefix)))) : vars;
if (gateWeight > 0 && !model.config.countGate) {
  console.error(`--gate-weight ${gateWeight}: the ${model.config.preset} preset has no count gate (use gated-ladder)`);
  process.exit(2);
}
if (aimWeight > 0 && !model.config.fineAim) {
  console.error(`--aim-weight ${aimWeight}: the ${model.config.preset} preset has no aim pathway (use gated-ladder-aim)`);
  process.exit(2);
}
if (Object.keys(trained).length === 0) {
  console.error(`--train-only ${trainOnly}: no weight of the ${model.config.preset} preset starts with ${trainedPrefixes!.length > 1 ? 'any of those' : 'that'}`);
  process.exit(2);
}
if (trainOnly) console.log(`training only ${Object.keys(trained).join(', ')}`);
const tok = model.tokenizer;
console.log(`preset ${model.config.preset}: ${parameterCount(model.config).toLocaleString()} parameters, vocab ${tok.vocabSize}, backend ${backend}, batch ${batchSize}, held-out background: ${heldOut}, held-out target sizes: ${heldOutSizes ? `[${heldOutSizes.join(', ')}) view px` : 'none'}`);

// 2. data: a worker thread renders scenes and builds sequences ahead of the trainer
const worker = new Worker(new URL('./lib/ts-worker.mjs', import.meta.url), { workerData: { entry: new URL('./lib/example-worker.ts', import.meta.url).href } });
const setup: WorkerSetup = { tokenizerJson: tok.json, config: model.config, world, mix: oracleMix, groundedWordWeight: numberArg('grounded-word-weight', args['grounded-word-weight'], 0), splitWeight: numberArg('split-weight', args['split-weight'], 0), heldOutSizes, familyWeights: familyMix };
worker.postMessage({ setup });
type Produced = SequenceLike & { seed: number };
worker.on('error', (e) => {
  console.error('example worker failed:', e);
  process.exit(1);
});
const requestPool = (seeds: number[]) =>
  new Promise<Produced[]>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage({ seeds });
  });
const POOL_BATCHES = 4; // examples are sorted by length within a pool: less padding
const nextSeeds = () => Array.from({ length: batchSize * POOL_BATCHES }, () => dataCursor++);
let pending = requestPool(nextSeeds());
let queue: Produced[][] = [];

// reader views: final-zoom crops (or crops at the global view's scale) from a second worker, one step ahead of the trainer
const READER_CROPS_PER_SCENE = 4;
const readerScenes = Math.ceil(readerViews / READER_CROPS_PER_SCENE);
const readerSource = readerViews > 0 ? new ViewSource({ config: model.config, world, cropsPerScene: READER_CROPS_PER_SCENE, views: readerScale === 'global' ? 'global-scale' : 'reader' }, 'reader-view') : null;
// seeded by step, so a resumed run continues where it stopped
const requestReaderViews = (forStep: number) => readerSource!.request(Array.from({ length: readerScenes }, (_, i) => readerSeed + forStep * readerScenes + i));
let pendingReader = readerSource ? requestReaderViews(step) : null;

// 3. the loop
const schedule = { peakLr, warmupSteps, totalSteps, minLrFraction: 0.05 };
const stop = onInterrupt();
const card = `# Squint ${model.config.preset} (SFT checkpoint)\n\nTrained by scripts/train-sft.ts on oracle trajectories from the procedural world.\n`;
const save = async () => {
  // without --aux-weight the aux head it started with is kept as it came, for the next stage
  const extra: Record<string, tf.Tensor> = aux ? auxVariables(aux) : savedAux;
  await saveCheckpoint(checkpointDir, model, vars, { ...adam.state(), ...extra }, { step, dataCursor, args }, card);
};

const started = performance.now();
const startStep = step;
/** Sums over the steps since the last log line, and the reader views' accuracies over the same steps. */
const emptyWindow = () => ({ loss: 0, aux: 0, ground: 0, reader: 0, aim: 0, steps: 0, tokens: 0, trained: 0, ms: 0 });
const emptyReaderWindow = () => ({ shape: 0, shapeN: 0, glyph: 0, glyphN: 0, centre: 0, centreN: 0 });
let window = emptyWindow();
let readerWindow = emptyReaderWindow();
/**
 * The aux head's shape and glyph accuracy on reader views it has not trained on yet (measured
 * before the step), and on global-scale views how often it names the centred object's shape.
 */
async function readerMetrics(views: ExtraViews): Promise<VisionMetrics & { centreAccuracy: number }> {
  const features = tf.tidy(() => trainable.encodePatches(views.patches));
  try {
    const centreAccuracy = views.centreShapes ? await centreShapeAccuracy(features, views.centreShapes, aux!) : NaN;
    return { ...(await visionMetrics(features, views.labels, aux!)), centreAccuracy };
  } finally {
    features.dispose();
  }
}
function addReaderMetrics(w: typeof readerWindow, m: Awaited<ReturnType<typeof readerMetrics>>, views: number): typeof readerWindow {
  const centred = Number.isNaN(m.centreAccuracy) ? 0 : views;
  return {
    shape: w.shape + m.shapeAccuracy * m.shapePatches, shapeN: w.shapeN + m.shapePatches, glyph: w.glyph + (m.glyphPatches ? m.glyphAccuracy * m.glyphPatches : 0), glyphN: w.glyphN + m.glyphPatches,
    centre: w.centre + (centred ? m.centreAccuracy * centred : 0), centreN: w.centreN + centred,
  };
}
while (step < totalSteps && !stop.requested) {
  if (queue.length === 0) {
    const { batches, dropped } = lengthSortedBatches(await pending, batchSize, model.config.maxSeq);
    pending = requestPool(nextSeeds());
    if (dropped > 0) console.warn(`left out ${dropped} training sequence(s) longer than the context (${model.config.maxSeq} tokens)`);
    // length-sorted batches, visited in a seeded random order (reproducible runs)
    queue = createRng(dataCursor).shuffle(batches);
    if (queue.length === 0) continue;
  }
  const seqs = queue.pop()!;
  const t0 = performance.now();
  const batch = makeBatch(seqs, model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape, teaching);
  const lr = learningRate(step, schedule);
  let extra: ExtraViews | undefined;
  if (pendingReader) {
    const views = await pendingReader;
    pendingReader = requestReaderViews(step + 1);
    extra = { ...stackViews(views, model.patchShape, Math.min(readerViews, views.patches.length)), weight: readerWeight };
    if (step % logEvery === 0) readerWindow = addReaderMetrics(readerWindow, await readerMetrics(extra), extra.patches.shape[0]);
  }
  const result = await sftStep(trainable, trained, adam, batch, lr, { aux, groundWeight, detectPositiveWeight, gateWeight, aimWeight, extra });
  disposeBatch(batch);
  if (extra) tf.dispose([extra.patches, extra.labels, ...(extra.centreShapes ? [extra.centreShapes] : [])]);
  const ms = performance.now() - t0;
  step++;
  if (!result.applied) console.warn(`step ${step}: non-finite loss or gradient (loss ${result.loss}, norm ${result.gradNorm}); update skipped`);
  window = { loss: window.loss + result.loss, aux: window.aux + result.auxLoss, ground: window.ground + (Number.isFinite(result.groundLoss) ? result.groundLoss : 0), reader: window.reader + (Number.isFinite(result.extraLoss) ? result.extraLoss : 0), aim: window.aim + (Number.isFinite(result.aimLoss) ? result.aimLoss : 0), steps: window.steps + 1, tokens: window.tokens + batch.totalTokens, trained: window.trained + batch.trainedTokens, ms: window.ms + ms };
  await appendFile(join(outDir, 'log.jsonl'), JSON.stringify({ step, loss: result.loss, auxLoss: result.auxLoss, groundLoss: result.groundLoss, ...(extra ? { readerLoss: result.extraLoss } : {}), ...(aimWeight > 0 ? { aimLoss: result.aimLoss } : {}), gradNorm: result.gradNorm, lr, ms: Math.round(ms), tokens: batch.totalTokens, time: Date.now() }) + '\n');
  if (step % logEvery === 0 || step === totalSteps) {
    const elapsed = performance.now() - started;
    const eta = ((totalSteps - step) * elapsed) / (step - startStep);
    console.log(
      `step ${step}/${totalSteps}  loss ${(window.loss / window.steps).toFixed(4)}${aux ? ` (aux ${(window.aux / window.steps).toFixed(4)})` : ''}` +
      `${groundWeight > 0 ? ` (ground ${(window.ground / window.steps).toFixed(4)})` : ''}` +
      `${aimWeight > 0 ? ` (aim ${(window.aim / window.steps).toFixed(4)})` : ''}` +
      `${vars['decoder.detect.fine.mix'] ? ` (fine mix ${vars['decoder.detect.fine.mix'].dataSync()[0].toFixed(3)})` : ''}` +
      `${vars['decoder.aim.steer'] ? ` (steer ${vars['decoder.aim.steer'].dataSync()[0].toFixed(3)})` : ''}` +
      `${readerSource ? ` (reader ${(window.reader / window.steps).toFixed(4)}; shape ${(readerWindow.shape / Math.max(1, readerWindow.shapeN)).toFixed(3)} of ${readerWindow.shapeN}, glyph ${(readerWindow.glyph / Math.max(1, readerWindow.glyphN)).toFixed(3)} of ${readerWindow.glyphN}${readerWindow.centreN ? `, centred shape ${(readerWindow.centre / readerWindow.centreN).toFixed(3)} of ${readerWindow.centreN}` : ''} before the step)` : ''}  lr ${lr.toExponential(2)}  ` +
      `${Math.round((window.tokens / window.ms) * 1000)} tok/s  ${((window.steps * batchSize * 1000) / window.ms).toFixed(1)} seq/s  ` +
      `elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`,
    );
    window = emptyWindow();
    readerWindow = emptyReaderWindow();
  }
  if (step % saveEvery === 0) await save();
}
await save();
console.log(`saved ${checkpointDir} at step ${step}`);
await worker.terminate();
await readerSource?.terminate();
