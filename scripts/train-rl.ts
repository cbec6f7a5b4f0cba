/**
 * npm run train:rl -- --from runs/sft-default --out runs/rl-default --steps 200 --prompts-per-step 4 --group 8
 *
 * GRPO fine-tuning of a Squint model with DeepEyes' reward (WASM backend). Each step samples
 * P prompts, runs G episodes per prompt through the agent loop at --temperature, scores them,
 * and updates the policy on the rollouts of groups that carry signal. Resumes automatically
 * from <out>/checkpoint; Ctrl-C cuts the current rollouts short and saves.
 *
 * Seeds: RL prompts are drawn from 5e8 upward (SFT trains on 0..~1e6, eval uses 1e9 upward).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { bandArg, cliArgs, formatDuration, numberArg } from './lib/args';
import { onInterrupt } from './lib/interrupt';
import { type TrainerState, hasCheckpoint, loadCheckpoint, readTrainerState, saveCheckpoint } from './lib/checkpoint';
import { pickWorld } from './lib/training-mix';
import * as tf from '../src/model/tf';
import { parameterCount } from '../src/model/config';
import { loadSquintModel } from '../src/model/load';
import { SquintModel } from '../src/model/squint-model';
import { nodeFileReader } from '../src/model/weights/node-files';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeOptions, environmentOnlyIds } from '../src/agent/loop';
import { Adam } from '../src/train/adam';
import { toVariables } from '../src/train/sft';
import { evaluate } from '../src/rl/eval';
import { type GrpoOptions, type GrpoStepResult, type PolicySample, disposeGrpoBatch, grpoStep, makeGrpoBatch } from '../src/rl/grpo';
import { type RewardWeights, parseRewardWeights } from '../src/rl/reward';
import { type RolloutGroup, rolloutGroup, rolloutStats } from '../src/rl/rollout';
import { generateSample } from '../src/world/generate';
import { EVAL_SEED, HELD_OUT_BACKGROUND, HELD_OUT_TARGET_VIEW, seedDifficulty, trainingSample } from '../src/world/seeds';
import { createNodeCanvas } from '../src/world/node-canvas';
import { hashSeed } from '../src/world/rng';
import { BACKGROUND_STYLES, FAMILIES, type BackgroundStyle, type Family, type Sample } from '../src/world/types';

const RL_SEED = 500_000_000;

const args = cliArgs('npm run train:rl --', {
  from: { type: 'string', help: 'starting model: a model directory, a checkpoint, or an SFT run directory (required unless resuming)' },
  out: { type: 'string', help: 'run directory (default runs/rl-<from name>)' },
  steps: { type: 'string', default: '100', help: 'total RL steps (one rollout batch each)' },
  'prompts-per-step': { type: 'string', default: '4', help: 'P: prompts per step' },
  group: { type: 'string', default: '8', help: 'G: rollouts per prompt (DeepEyes: 16)' },
  lr: { type: 'string', default: '1e-5', help: 'learning rate (constant)' },
  temperature: { type: 'string', default: '1.0', help: 'rollout sampling temperature (the loss uses the same)' },
  'max-turns': { type: 'string', default: '5', help: 'turn limit per rollout (DeepEyes: 5 in training)' },
  'max-tokens-per-turn': { type: 'string', default: String(DEFAULT_EPISODE_OPTIONS.maxTokensPerTurn), help: 'token limit per model turn' },
  families: { type: 'string', help: `comma-separated subset of ${FAMILIES.join(',')}` },
  targets: { type: 'string', default: 'all', help: 'which questions to train on: all, or only those whose target is unresolvable (or resolvable) in the global view' },
  'hold-out-background': { type: 'string', default: HELD_OUT_BACKGROUND, help: 'background style kept out of training (as in SFT), or "none"' },
  'hold-out-size': { type: 'string', default: HELD_OUT_TARGET_VIEW.join(','), help: 'target sizes LO,HI (view px) kept out of training (as in SFT), or "none"' },
  kl: { type: 'string', default: '0', help: 'k3 KL coefficient to the starting model (DeepEyes: 0)' },
  'track-kl': { type: 'boolean', default: false, help: 'measure the KL to the starting model even when --kl is 0 (one extra forward per update)' },
  clip: { type: 'string', default: '0.2', help: 'PPO clip range ε' },
  'reward-weights': { type: 'string', default: '0.8,0.2,1.2', help: 'accuracy,format,tool weights' },
  'mini-batch': { type: 'string', default: '0', help: 'rollouts per optimizer update (0 = all of the step in one update)' },
  'micro-batch': { type: 'string', default: '8', help: 'rollouts per forward/backward (length-sorted; gradients accumulated into the update)' },
  epochs: { type: 'string', default: '1', help: 'passes over each step\'s rollouts (>1 makes the clip matter)' },
  rollback: { type: 'boolean', default: false, help: 'on a non-finite loss or gradient, restore weights and optimizer from the last checkpoint' },
  'eval-every': { type: 'string', default: '0', help: 'greedy evaluation interval in steps (0 = never)' },
  'eval-n': { type: 'string', default: '50', help: 'episodes per evaluation' },
  'eval-seed': { type: 'string', default: String(EVAL_SEED), help: 'first seed of the periodic evaluation (default: the test set of npm run eval; use another range, e.g. 900000000, when --keep-best selects on it)' },
  'keep-best': { type: 'boolean', default: false, help: 'also save the policy with the best greedy eval accuracy so far to <out>/best' },
  'save-every': { type: 'string', default: '10', help: 'checkpoint interval in steps' },
  'data-seed': { type: 'string', default: String(RL_SEED), help: 'first prompt seed' },
  seed: { type: 'string', default: '1', help: 'sampling seed of the rollouts' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});

// 1. options
const totalSteps = numberArg('steps', args.steps, 1);
const promptsPerStep = numberArg('prompts-per-step', args['prompts-per-step'], 1, 256);
const groupSize = numberArg('group', args.group, 2, 256);
const lr = numberArg('lr', args.lr, 0, 1);
const temperature = numberArg('temperature', args.temperature, 1e-3, 10);
const miniBatch = numberArg('mini-batch', args['mini-batch'], 0, 4096);
const microBatch = numberArg('micro-batch', args['micro-batch'], 1, 4096);
const epochs = numberArg('epochs', args.epochs, 1, 100);
const evalEvery = numberArg('eval-every', args['eval-every'], 0);
const evalN = numberArg('eval-n', args['eval-n'], 1);
const evalSeed = numberArg('eval-seed', args['eval-seed'], 0);
if (args['keep-best'] && evalEvery === 0) {
  console.error('--keep-best needs --eval-every');
  process.exit(2);
}
const saveEvery = numberArg('save-every', args['save-every'], 1);
const samplingSeed = numberArg('seed', args.seed, 0);
const grpo: GrpoOptions = {
  clipEps: numberArg('clip', args.clip, 0, 10), klCoef: numberArg('kl', args.kl, 0, 100), temperature, maskedIds: [],
};
let rewardWeights: RewardWeights;
try {
  rewardWeights = parseRewardWeights(args['reward-weights']);
} catch (e) {
  console.error(`--reward-weights: ${(e as Error).message}`);
  process.exit(2);
}
const families = args.families?.split(',').map((s) => s.trim()) as Family[] | undefined;
if (families?.some((f) => !FAMILIES.includes(f))) {
  console.error(`--families must be a subset of ${FAMILIES.join(',')}`);
  process.exit(2);
}
const targets = args.targets;
if (targets !== 'all' && targets !== 'unresolvable' && targets !== 'resolvable') {
  console.error('--targets must be all, unresolvable or resolvable');
  process.exit(2);
}
// only glyph and shape targets are ever too small for the global view
if (targets === 'unresolvable' && (!families || families.some((f) => f !== 'glyph' && f !== 'shape'))) {
  console.error('--targets unresolvable needs --families drawn from glyph,shape (the other families are always resolvable)');
  process.exit(2);
}
const acceptTarget = (s: Sample) => targets === 'all' || s.resolvable === (targets === 'resolvable');
const heldOut = args['hold-out-background'];
if (heldOut !== 'none' && !BACKGROUND_STYLES.includes(heldOut as BackgroundStyle)) {
  console.error(`--hold-out-background must be one of ${BACKGROUND_STYLES.join(', ')} or none`);
  process.exit(2);
}
const world = { families, backgrounds: BACKGROUND_STYLES.filter((b) => b !== heldOut) };
const episode: Omit<EpisodeOptions, 'seed'> = {
  ...DEFAULT_EPISODE_OPTIONS,
  maxTurns: numberArg('max-turns', args['max-turns'], 1, 50),
  maxTokensPerTurn: numberArg('max-tokens-per-turn', args['max-tokens-per-turn'], 1, 1000),
  // the tool must stay enabled: the loop masks <tool_call> otherwise, and the recorded
  // log-probs would no longer be those of the policy the loss recomputes
  toolEnabled: true,
  sampling: { temperature, topP: 1 },
};

/** An SFT run directory holds its checkpoint in ./checkpoint; a model or checkpoint dir is used as is. */
const modelDir = (dir: string) => (existsSync(join(dir, 'checkpoint', 'model.json')) ? join(dir, 'checkpoint') : dir);

/** RL's trainer state: Adam counts updates, which differ from steps with mini-batches. */
interface RlState extends TrainerState {
  readonly adamStep: number;
  /** In <out>/best only: the greedy eval accuracy it was kept for. */
  readonly bestAccuracy?: number;
}

// 2. model, reference, optimizer and position: from <out>/checkpoint, or fresh from --from
await useNodeBackend('wasm');
const outDir = args.out ?? (args.from ? `runs/rl-${basename(args.from.replace(/\/checkpoint\/?$/, ''))}` : '');
if (!outDir) {
  console.error('--from (or --out of a run to resume) is required');
  process.exit(2);
}
const checkpointDir = join(outDir, 'checkpoint');
await mkdir(outDir, { recursive: true });
const adam = new Adam();
let step = 0;
let dataCursor = numberArg('data-seed', args['data-seed'], 0);
let model: SquintModel; // supplies config and tokenizer; its weights are the starting point
let fromDir: string;
if (hasCheckpoint(checkpointDir)) {
  const ck = await loadCheckpoint(checkpointDir);
  const state = ck.state as RlState;
  model = ck.model;
  adam.restore(state.adamStep, ck.optimizer);
  step = state.step;
  dataCursor = state.dataCursor;
  fromDir = String(state.args.from);
  console.log(`resuming ${checkpointDir} at step ${step}`);
} else {
  if (!args.from) {
    console.error('--from is required for a new run');
    process.exit(2);
  }
  fromDir = modelDir(args.from);
  model = await loadSquintModel(nodeFileReader(fromDir));
}
const vars = toVariables(model.vlm.weights);
// the policy reads the trainable variables; rollouts and the loss share it
const policy = new SquintModel(model.config, model.tokenizer, vars);
// the loss masks the same tokens the rollouts could not sample
const grpoOptions: GrpoOptions = { ...grpo, maskedIds: environmentOnlyIds(model.tokenizer) };
const tok = model.tokenizer;
// the starting model, frozen: Adam assigns new tensors to the variables, the originals stay
const needReference = grpo.klCoef > 0 || args['track-kl'];
const reference = !needReference ? undefined : step === 0 ? model.vlm : (await loadSquintModel(nodeFileReader(fromDir))).vlm;
console.log(
  `${model.config.preset} model from ${fromDir}: ${parameterCount(model.config).toLocaleString()} parameters; ` +
  `P ${promptsPerStep} × G ${groupSize}, lr ${lr}, τ ${temperature}, clip ${grpo.clipEps}, KL ${grpo.klCoef}${needReference ? ' (tracked)' : ''}, ` +
  `reward ${rewardWeights.accuracy}/${rewardWeights.format}/${rewardWeights.tool}, max turns ${episode.maxTurns}, targets ${targets}, held-out background ${heldOut}`,
);

// 3. pieces of a step
const heldOutSizes = bandArg('hold-out-size', args['hold-out-size']);
const promptSample = (seed: number): Sample => trainingSample(seed, pickWorld(seed, world), heldOutSizes, acceptTarget);

function* evalSamples(): Generator<Sample> {
  for (let i = 0; i < evalN; i++) {
    const s = evalSeed + i;
    // from EVAL_SEED: the same held-out set as `npm run eval` with these families
    yield generateSample(s, { families, difficulty: seedDifficulty(s) });
  }
}

/**
 * GRPO updates on the step's informative rollouts: `epochs` passes, each split into
 * mini-batches (one optimizer update each); a mini-batch runs as length-sorted micro-batches
 * whose gradients are accumulated (less padding, bounded memory, same update).
 */
async function update(samples: PolicySample[]): Promise<GrpoStepResult[]> {
  const perUpdate = miniBatch > 0 ? miniBatch : samples.length;
  const results: GrpoStepResult[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const shuffled = [...samples].sort(() => Math.random() - 0.5);
    for (let i = 0; i < shuffled.length; i += perUpdate) {
      const sorted = shuffled.slice(i, i + perUpdate).sort((a, b) => a.sequence.ids.length - b.sequence.ids.length);
      const batches = Array.from({ length: Math.ceil(sorted.length / microBatch) }, (_, j) =>
        makeGrpoBatch(sorted.slice(j * microBatch, (j + 1) * microBatch), model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape));
      try {
        results.push(await grpoStep(policy.vlm, vars, adam, batches, lr, grpoOptions, reference));
      } finally {
        batches.forEach(disposeGrpoBatch);
      }
    }
  }
  return results;
}

/** Puts weights and optimizer back to the last checkpoint (after a non-finite update). */
async function rollBack(): Promise<boolean> {
  if (!hasCheckpoint(checkpointDir)) return false;
  const ck = await loadCheckpoint(checkpointDir);
  for (const [name, v] of Object.entries(vars)) v.assign(ck.model.vlm.weights[name]);
  adam.restore((ck.state as RlState).adamStep, ck.optimizer);
  ck.model.dispose();
  return true;
}

const card = `# Squint ${model.config.preset} (GRPO checkpoint)\n\nFine-tuned by scripts/train-rl.ts from ${fromDir} with DeepEyes' reward.\n`;
const bestDir = join(outDir, 'best');
/** Greedy eval accuracy of what <out>/best holds (kept across resumes). */
let bestAccuracy = hasCheckpoint(bestDir) ? ((await readTrainerState(bestDir)) as RlState).bestAccuracy ?? -1 : -1;
const save = (dir = checkpointDir) => saveCheckpoint(dir, model, vars, adam.state(), { step, dataCursor, adamStep: adam.step, args: { ...args, from: fromDir }, ...(dir === bestDir ? { bestAccuracy } : {}) } as RlState, card);

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const fixed = (x: number | null, digits = 4) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(digits));
const sci = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : x.toExponential(2));

// 4. the loop
const stop = onInterrupt('stopping: saving a checkpoint');
const started = performance.now();
const startStep = step;
while (step < totalSteps && !stop.signal.aborted) {
  // 4a. rollouts
  const t0 = performance.now();
  const groups: RolloutGroup[] = [];
  for (let p = 0; p < promptsPerStep && !stop.signal.aborted; p++) {
    const seed = dataCursor + p;
    groups.push(await rolloutGroup(policy, promptSample(seed), createNodeCanvas, {
      groupSize, rewardWeights, episode: { ...episode, seed: hashSeed(samplingSeed, step), signal: stop.signal },
    }));
  }
  if (stop.signal.aborted) break; // a cut-short batch is not trained on
  dataCursor += promptsPerStep;
  const rolloutMs = performance.now() - t0;
  const stats = rolloutStats(groups);

  // 4b. update on the groups that carry signal
  const t1 = performance.now();
  const samples = groups.filter((g) => g.informative).flatMap((g) => g.rollouts.map((r) => ({ sequence: r.trajectory.sequence, advantage: r.advantage })));
  const results = samples.length ? await update(samples) : [];
  const updateMs = performance.now() - t1;
  step++;
  const skipped = results.filter((r) => !r.applied).length;
  if (skipped) {
    const restored = args.rollback && (await rollBack());
    console.warn(`step ${step}: ${skipped}/${results.length} updates had a non-finite loss or gradient and were skipped${restored ? '; rolled back to the last checkpoint' : ''}`);
  }
  const applied = results.filter((r) => r.applied);
  const loss = mean(applied.map((r) => r.loss));
  const kl = needReference ? mean(applied.map((r) => r.kl ?? NaN)) : null;
  const clipFrac = mean(applied.map((r) => r.clipFrac));
  const norm = mean(results.map((r) => r.gradNorm));

  // 4c. report
  const rolloutsPerS = (stats.rollouts * 1000) / rolloutMs;
  const elapsed = performance.now() - started;
  const eta = ((totalSteps - step) * elapsed) / (step - startStep);
  await appendFile(join(outDir, 'log.jsonl'), JSON.stringify({
    step, ...stats, loss, kl, clipFrac, gradNorm: norm, updates: results.length, skippedUpdates: skipped,
    rolloutMs: Math.round(rolloutMs), updateMs: Math.round(updateMs), rolloutsPerS, lr, time: Date.now(),
  }) + '\n');
  console.log(
    `step ${step}/${totalSteps}  reward ${stats.meanReward.toFixed(3)}±${stats.stdReward.toFixed(3)}  acc ${pct(stats.accuracy)}  tool ${pct(stats.toolRate)}  ` +
    `fmt-err ${stats.formatErrors}/${stats.rollouts}  skipped ${stats.skippedGroups}/${stats.groups}  kl ${sci(kl)}  loss ${fixed(loss)}  clip ${fixed(clipFrac, 3)}  ` +
    `|g| ${fixed(norm, 3)}  ${rolloutsPerS.toFixed(2)} rollouts/s  update ${(updateMs / 1000).toFixed(2)}s  ETA ${formatDuration(eta)}`,
  );
  if (evalEvery > 0 && step % evalEvery === 0) {
    const { report } = await evaluate(policy, evalSamples(), createNodeCanvas, { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 10, signal: stop.signal });
    console.log(`  eval (greedy, ${report.n} held-out): acc ${pct(report.accuracy)}  tool ${pct(report.toolRate)}  format ${pct(report.formatValidity)}  turns ${report.meanTurns.toFixed(2)}`);
    await appendFile(join(outDir, 'log.jsonl'), JSON.stringify({ step, eval: { n: report.n, accuracy: report.accuracy, toolRate: report.toolRate, formatValidity: report.formatValidity, byFamily: report.byFamily } }) + '\n');
    if (args['keep-best'] && report.accuracy > bestAccuracy && !stop.signal.aborted) {
      bestAccuracy = report.accuracy;
      await save(bestDir);
      console.log(`  best so far: saved ${bestDir}`);
    }
  }
  if (step % saveEvery === 0) await save();
}
await save();
console.log(`saved ${checkpointDir} at step ${step} (${formatDuration(performance.now() - started)})`);
adam.dispose();
tf.disposeVariables();
