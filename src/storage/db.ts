/**
 * Train mode's IndexedDB database (through `idb`). Three stores:
 *   checkpoints  one record per checkpoint (name, size, origin); the index the UI lists
 *   files        the checkpoint's files (model.json, shards, …) keyed "<checkpoint id>/<file>"
 *   runs         the run in progress ("current"): settings, curves, position, autosave id
 * The main thread and both workers open it; no tfjs here.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { RunRecord } from './runs';

export interface CheckpointMeta {
  /** What it was trained from ("default", "base", a saved checkpoint's name, an imported file). */
  readonly from: string;
  /** GRPO steps taken (0 for an import). */
  readonly step: number;
  readonly preset: string;
  readonly parameters: number;
  /** Accuracy on the held-out set when it was saved, if measured. */
  readonly accuracy?: number;
}

export interface CheckpointRecord {
  readonly id: string;
  readonly name: string;
  /** 'saved': by the user (listed, usable in the playground); 'autosave': a run's last good state. */
  readonly kind: 'saved' | 'autosave';
  readonly createdAt: number;
  readonly bytes: number;
  readonly files: readonly string[];
  readonly meta: CheckpointMeta;
}

export interface SquintDb extends DBSchema {
  checkpoints: { key: string; value: CheckpointRecord; indexes: { name: string } };
  files: { key: string; value: Uint8Array };
  runs: { key: string; value: RunRecord };
}

export type Db = IDBPDatabase<SquintDb>;

export const DB_NAME = 'squint-train';
const DB_VERSION = 1;

/** Opens (creating on first use) the database. `name` lets tests use a fresh one each. */
export function openSquintDb(name = DB_NAME): Promise<Db> {
  return openDB<SquintDb>(name, DB_VERSION, {
    upgrade(db) {
      const checkpoints = db.createObjectStore('checkpoints', { keyPath: 'id' });
      checkpoints.createIndex('name', 'name');
      db.createObjectStore('files');
      db.createObjectStore('runs', { keyPath: 'id' });
    },
  });
}

export const fileKey = (id: string, file: string) => `${id}/${file}`;
/** Every file key of one checkpoint ('/' sorts below '0'; U+FFFF above any file name). */
export const filesOf = (id: string) => IDBKeyRange.bound(`${id}/`, `${id}/\uffff`);

/** Why a write failed, in words, and whether it was the storage quota. */
export class StorageError extends Error {
  readonly quota: boolean;

  constructor(message: string, quota: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.quota = quota;
  }
}

export const isQuotaError = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && ((e as { name?: string }).name === 'QuotaExceededError' || /quota/i.test(String((e as { message?: string }).message)));

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** How much the browser lets this site store (when it says). */
async function quotaText(): Promise<string> {
  try {
    const est = await globalThis.navigator?.storage?.estimate?.();
    if (est?.quota) return ` This site uses ${mb(est.usage ?? 0)} of the ${mb(est.quota)} the browser allows.`;
  } catch {
    // unknown
  }
  return '';
}

/** A failed write as a StorageError whose message says what was not saved and what to do. */
export async function writeFailure(what: string, bytes: number, e: unknown): Promise<StorageError> {
  if (isQuotaError(e)) {
    return new StorageError(
      `${what} was not saved: the browser's storage for this site is full (it needs ${mb(bytes)}).${await quotaText()} ` +
      'Delete saved checkpoints you no longer need, or free disk space, then try again. Nothing was half-written.',
      true, { cause: e },
    );
  }
  const detail = e instanceof Error ? e.message || e.name : String(e);
  return new StorageError(`${what} was not saved: the browser refused the write (${detail}). Nothing was half-written.`, false, { cause: e });
}
