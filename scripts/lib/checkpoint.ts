/**
 * Training checkpoints on disk: a normal model directory (fp32) plus the optimizer's moments and
 * the trainer's position, written to a temporary directory and renamed into place so a crash
 * never leaves a half-written checkpoint.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../src/model/tf';
import { loadSquintModel, modelFiles } from '../../src/model/load';
import type { SquintModel } from '../../src/model/squint-model';
import { type ModelConfig, weightShapes } from '../../src/model/config';
import type { WeightMap } from '../../src/model/vlm';
import { nodeFileReader, writeModelDir } from '../../src/model/weights/node-files';

export interface TrainerState {
  readonly step: number;
  /** Next data seed to draw: resuming continues the same stream of examples. */
  readonly dataCursor: number;
  readonly args: Record<string, unknown>;
}

const OPTIMIZER_BIN = 'optimizer.bin';
const OPTIMIZER_JSON = 'optimizer.json';
const STATE_JSON = 'trainer-state.json';

export async function saveCheckpoint(dir: string, model: SquintModel, weights: WeightMap, optimizer: Record<string, tf.Tensor>, state: TrainerState, card: string): Promise<void> {
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeModelDir(tmp, await modelFiles(model, 'float32', card, weights));
  await writeTrainingState(tmp, optimizer, state);
  await rm(`${dir}.old`, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, `${dir}.old`);
  await rename(tmp, dir);
  await rm(`${dir}.old`, { recursive: true, force: true });
}

/** What turns a float32 model directory into a checkpoint: the optimizer's tensors (Adam's moments, the aux head) and the trainer's position. */
export async function writeTrainingState(dir: string, optimizer: Record<string, tf.Tensor>, state: TrainerState): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(optimizer);
  await writeFile(join(dir, OPTIMIZER_BIN), new Uint8Array(data));
  await writeFile(join(dir, OPTIMIZER_JSON), JSON.stringify(specs));
  await writeFile(join(dir, STATE_JSON), JSON.stringify(state, null, 2));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, STATE_JSON));
}

export async function readTrainerState(dir: string): Promise<TrainerState> {
  return JSON.parse(await readFile(join(dir, STATE_JSON), 'utf8')) as TrainerState;
}

export async function loadCheckpoint(dir: string): Promise<{ model: SquintModel; optimizer: Record<string, tf.Tensor>; state: TrainerState }> {
  const model = await loadSquintModel(nodeFileReader(dir));
  return { model, optimizer: await readOptimizerTensors(dir), state: await readTrainerState(dir) };
}

/** A checkpoint's optimizer tensors alone (Adam's moments, the aux head), without loading its model. */
export async function readOptimizerTensors(dir: string): Promise<Record<string, tf.Tensor>> {
  const specs = JSON.parse(await readFile(join(dir, OPTIMIZER_JSON), 'utf8'));
  const bin = await readFile(join(dir, OPTIMIZER_BIN));
  return tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs) as Record<string, tf.Tensor>;
}

/**
 * The encoder weights (vision.*) and aux head (aux.*) from a pretrain:vision directory.
 * @throws when a tensor is missing or its shape does not fit `config`.
 */
export async function loadVisionPretraining(dir: string, config: ModelConfig): Promise<Record<string, tf.Tensor>> {
  const { tensors: saved } = await readVisionState(dir);
  const out: Record<string, tf.Tensor> = {};
  for (const [name, shape] of Object.entries(weightShapes(config)).filter(([n]) => n.startsWith('vision.'))) {
    const t = saved[name];
    if (!t || t.shape.join() !== shape.join()) throw new Error(`${dir}: ${name} is ${t ? `[${t.shape}]` : 'missing'}, the ${config.preset} preset needs [${shape}]`);
    out[name] = t;
  }
  for (const name of ['aux.w', 'aux.b', 'aux.pool.w', 'aux.pool.b']) if (saved[name]) out[name] = saved[name];
  tf.dispose(Object.entries(saved).filter(([n]) => !(n in out)).map(([, t]) => t));
  return out;
}

/** What pretrain:vision writes: vision.json (position, args, tensor specs) + vision.bin (encoder, head, Adam's moments). */
export interface VisionStateMeta {
  readonly step: number;
  readonly dataCursor: number;
  readonly specs: tf.io.WeightsManifestEntry[];
}

export async function readVisionState(dir: string): Promise<{ meta: VisionStateMeta; tensors: Record<string, tf.Tensor> }> {
  const meta = JSON.parse(await readFile(join(dir, 'vision.json'), 'utf8')) as VisionStateMeta;
  const bin = await readFile(join(dir, 'vision.bin'));
  const tensors = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), meta.specs) as Record<string, tf.Tensor>;
  return { meta, tensors };
}
