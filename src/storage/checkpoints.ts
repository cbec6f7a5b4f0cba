/**
 * Checkpoints in IndexedDB: a model directory's files plus an index record. A save is one
 * readwrite transaction over both stores — the files first, the index record last — so a quota
 * error or any failed write aborts the whole transaction: no half-written checkpoint is ever
 * listed, and no orphaned files stay behind.
 */
import type { ReadFile } from '../model/weights/format';
import { type CheckpointMeta, type CheckpointRecord, type Db, StorageError, fileKey, filesOf, writeFailure } from './db';
import type { RunRecord } from './runs';

export interface NewCheckpoint {
  readonly name: string;
  readonly kind: CheckpointRecord['kind'];
  readonly meta: CheckpointMeta;
}

const newId = () => `ck-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export const MAX_NAME_LENGTH = 80;

/** A checkpoint name as typed: trimmed, non-empty, printable. @throws StorageError otherwise. */
export function checkName(name: string): string {
  const n = name.trim().replace(/\s+/g, ' ');
  if (!n) throw new StorageError('Give the checkpoint a name.', false);
  if (n.length > MAX_NAME_LENGTH) throw new StorageError(`The name is too long (at most ${MAX_NAME_LENGTH} characters).`, false);
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new StorageError('The name contains control characters.', false);
  return n;
}

export interface WriteOptions {
  /** Checkpoints to delete in the same transaction (a replaced save, the previous autosave). */
  readonly replaces?: readonly string[];
  /** A run record to write in the same transaction (the autosave that points at this checkpoint). */
  readonly run?: RunRecord;
}

/**
 * Writes a checkpoint atomically (see the file comment).
 * @throws StorageError (quota: true when the storage was full); then nothing was written.
 */
export async function writeCheckpoint(db: Db, what: NewCheckpoint, files: ReadonlyMap<string, Uint8Array>, options: WriteOptions = {}): Promise<CheckpointRecord> {
  const id = newId();
  const bytes = [...files.values()].reduce((n, b) => n + b.byteLength, 0);
  const record: CheckpointRecord = { id, name: what.name, kind: what.kind, createdAt: Date.now(), bytes, files: [...files.keys()], meta: what.meta };
  const label = what.kind === 'saved' ? `The checkpoint "${what.name}"` : 'The training progress';
  const tx = db.transaction(['checkpoints', 'files', 'runs'], 'readwrite');
  const requests: Promise<unknown>[] = [];
  try {
    for (const old of options.replaces ?? []) {
      requests.push(tx.objectStore('files').delete(filesOf(old)), tx.objectStore('checkpoints').delete(old));
    }
    for (const [file, data] of files) requests.push(tx.objectStore('files').put(data, fileKey(id, file)));
    requests.push(tx.objectStore('checkpoints').put(record));
    if (options.run) requests.push(tx.objectStore('runs').put({ ...options.run, checkpointId: id }));
  } catch (e) {
    // a request that throws at once (quota, bad value) leaves the others pending: roll them back
    try {
      tx.abort();
    } catch {
      // already aborted
    }
    await Promise.allSettled([...requests, tx.done]);
    throw await writeFailure(label, bytes, e);
  }
  const settled = await Promise.allSettled([...requests, tx.done]);
  const failed = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw await writeFailure(label, bytes, (tx as unknown as { error?: unknown }).error ?? failed.reason);
  return record;
}

/**
 * Saves a checkpoint under a name the user chose; a saved checkpoint with the same name is
 * replaced in the same transaction.
 * @throws StorageError on an invalid name or a failed write (nothing changed then).
 */
export async function saveNamedCheckpoint(db: Db, name: string, meta: CheckpointMeta, files: ReadonlyMap<string, Uint8Array>): Promise<CheckpointRecord> {
  const clean = checkName(name);
  const same = (await db.getAllFromIndex('checkpoints', 'name', clean)).filter((r) => r.kind === 'saved').map((r) => r.id);
  return writeCheckpoint(db, { name: clean, kind: 'saved', meta }, files, { replaces: same });
}

/** Saved checkpoints, newest first. */
export async function listCheckpoints(db: Db): Promise<CheckpointRecord[]> {
  const all = await db.getAll('checkpoints');
  return all.filter((r) => r.kind === 'saved').sort((a, b) => b.createdAt - a.createdAt);
}

export function getCheckpoint(db: Db, id: string): Promise<CheckpointRecord | undefined> {
  return db.get('checkpoints', id);
}

/** Deletes a checkpoint and its files in one transaction. */
export async function deleteCheckpoint(db: Db, id: string): Promise<void> {
  const tx = db.transaction(['checkpoints', 'files'], 'readwrite');
  await Promise.all([tx.objectStore('files').delete(filesOf(id)), tx.objectStore('checkpoints').delete(id), tx.done]);
}

/** Every file of a checkpoint, by name. @throws StorageError when the checkpoint or a file is gone. */
export async function readCheckpointFiles(db: Db, id: string): Promise<{ record: CheckpointRecord; files: Map<string, Uint8Array> }> {
  const tx = db.transaction(['checkpoints', 'files'], 'readonly');
  const record = await tx.objectStore('checkpoints').get(id);
  if (!record) throw new StorageError('That checkpoint is no longer in the browser\'s storage.', false);
  const files = new Map<string, Uint8Array>();
  for (const file of record.files) {
    const data = await tx.objectStore('files').get(fileKey(id, file));
    if (!data) throw new StorageError(`The checkpoint "${record.name}" is missing its file ${file}.`, false);
    files.set(file, data);
  }
  await tx.done;
  return { record, files };
}

/** A ReadFile (as the model loader takes) over files already in memory; an absent file rejects like a 404. */
export function memoryFileReader(files: ReadonlyMap<string, Uint8Array>): ReadFile {
  return async (file) => {
    const bytes = files.get(file);
    if (!bytes) throw new Error(`there is no file named ${file}`);
    return bytes;
  };
}
