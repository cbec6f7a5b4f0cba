/**
 * The training run in progress, kept so that it survives a reload: settings, where it started,
 * its position, the curve history and evaluations, and the id of its last good checkpoint (the
 * autosave: weights + Adam's moments). The autosave and this record are written in one
 * transaction (writeCheckpoint's `run` option), so the record never points at a missing or
 * half-written checkpoint.
 */
import type { TrainSettings } from '../worker/train-settings';
import type { CheckpointMeta, Db } from './db';
import { writeCheckpoint } from './checkpoints';
import { filesOf } from './db';

/** One point of the curves (one GRPO step). */
export interface StepPoint {
  readonly step: number;
  readonly reward: number;
  readonly rewardStd: number;
  readonly accuracy: number;
  readonly toolRate: number;
  /** Share of rollouts with fmt = −1. */
  readonly formatErrors: number;
  readonly kl: number | null;
  readonly loss: number | null;
  readonly rolloutsPerS: number;
  readonly skippedGroups: number;
  readonly time: number;
}

/** A greedy evaluation on the held-out set. */
export interface EvalSummary {
  readonly step: number;
  readonly n: number;
  readonly accuracy: number;
  readonly toolRate: number;
  readonly formatValidity: number;
  readonly byFamily: Readonly<Record<string, { n: number; accuracy: number; toolRate: number }>>;
}

/** Where a model comes from: a bundled directory (by URL) or a checkpoint in IndexedDB. */
export type ModelSource =
  | { readonly kind: 'bundled'; readonly name: string; readonly url: string }
  | { readonly kind: 'saved'; readonly id: string; readonly name: string };

export const sourceName = (s: ModelSource) => s.name;

export interface RunRecord {
  readonly id: 'current';
  readonly settings: TrainSettings;
  readonly start: ModelSource;
  readonly position: { readonly step: number; readonly dataCursor: number; readonly adamStep: number };
  readonly history: readonly StepPoint[];
  readonly evalBefore: EvalSummary | null;
  readonly evalAfter: EvalSummary | null;
  /** The autosave checkpoint (weights + optimizer) at `position`; null before the first autosave. */
  readonly checkpointId: string | null;
  readonly updatedAt: number;
}

/** File names of Adam's moments inside an autosave (beside the model directory's files). */
export const OPTIMIZER_BIN = 'optimizer.bin';
export const OPTIMIZER_JSON = 'optimizer.json';

export async function loadRun(db: Db): Promise<RunRecord | null> {
  return (await db.get('runs', 'current')) ?? null;
}

/** Updates the record alone (curves, evaluations): the checkpoint it points at is unchanged. */
export async function saveRunRecord(db: Db, run: RunRecord): Promise<void> {
  await db.put('runs', { ...run, updatedAt: Date.now() });
}

/**
 * Autosave: the new checkpoint (model files + optimizer), the run record pointing at it, and the
 * removal of the previous autosave, in one transaction.
 * @throws StorageError; the previous autosave and record are then untouched.
 */
export async function autosaveRun(db: Db, run: RunRecord, files: ReadonlyMap<string, Uint8Array>, meta: CheckpointMeta): Promise<RunRecord> {
  const record = await writeCheckpoint(db, { name: 'autosave', kind: 'autosave', meta }, files, {
    replaces: run.checkpointId ? [run.checkpointId] : [],
    run: { ...run, updatedAt: Date.now() },
  });
  return { ...run, checkpointId: record.id, updatedAt: Date.now() };
}

/** Forgets the run and its autosave. */
export async function clearRun(db: Db): Promise<void> {
  const run = await loadRun(db);
  const tx = db.transaction(['runs', 'checkpoints', 'files'], 'readwrite');
  const ops: Promise<unknown>[] = [tx.objectStore('runs').delete('current')];
  if (run?.checkpointId) ops.push(tx.objectStore('checkpoints').delete(run.checkpointId), tx.objectStore('files').delete(filesOf(run.checkpointId)));
  // autosaves no run points at (a crash between two sessions' writes cannot leave one, but be tidy)
  for (const r of await tx.objectStore('checkpoints').getAll()) {
    if (r.kind === 'autosave' && r.id !== run?.checkpointId) ops.push(tx.objectStore('checkpoints').delete(r.id), tx.objectStore('files').delete(filesOf(r.id)));
  }
  await Promise.all([...ops, tx.done]);
}
