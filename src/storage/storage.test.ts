import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Db, StorageError, openSquintDb } from './db';
import { deleteCheckpoint, listCheckpoints, readCheckpointFiles, saveNamedCheckpoint } from './checkpoints';
import { type RunRecord, autosaveRun, clearRun, loadRun, saveRunRecord } from './runs';
import { DEFAULT_TRAIN_SETTINGS } from '../worker/train-settings';

let n = 0;
const dbs: Db[] = [];
async function freshDb(): Promise<Db> {
  const db = await openSquintDb(`test-${++n}`);
  dbs.push(db);
  return db;
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const db of dbs.splice(0)) db.close();
});

const meta = { from: 'default', step: 3, preset: 'tiny', parameters: 1000 };
const files = (seed: number) => new Map([
  ['model.json', new TextEncoder().encode(`{"seed":${seed}}`)],
  ['weights.shard1of1.bin', new Uint8Array(1000).fill(seed)],
  ['config.json', new TextEncoder().encode('{}')],
]);

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  id: 'current', settings: DEFAULT_TRAIN_SETTINGS, start: { kind: 'bundled', name: 'default', url: '/models/default/' },
  position: { step: 5, dataCursor: 10, adamStep: 5 }, history: [], evalBefore: null, evalAfter: null, checkpointId: null, updatedAt: 0, ...over,
});

async function fileCount(db: Db) {
  return (await db.getAllKeys('files')).length;
}

/** Makes the k-th put on the files store (0-based) throw as a full disk does. */
function failPutAt(k: number, store: 'files' | 'checkpoints' | 'runs' = 'files') {
  const original = IDBObjectStore.prototype.put;
  let calls = 0;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === store && calls++ === k) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return original.apply(this, args);
  });
}

describe('checkpoints in IndexedDB', () => {
  it('saves, lists, reads back byte for byte and deletes', async () => {
    const db = await freshDb();
    const rec = await saveNamedCheckpoint(db, '  my   run ', meta, files(1));
    expect(rec.name).toBe('my run');
    expect(rec.bytes).toBe([...files(1).values()].reduce((a, b) => a + b.byteLength, 0));
    expect((await listCheckpoints(db)).map((r) => r.name)).toEqual(['my run']);
    const back = await readCheckpointFiles(db, rec.id);
    expect([...back.files.keys()]).toEqual([...files(1).keys()]);
    for (const [k, v] of files(1)) expect(back.files.get(k)).toEqual(v);
    await deleteCheckpoint(db, rec.id);
    expect(await listCheckpoints(db)).toEqual([]);
    expect(await fileCount(db)).toBe(0);
  });

  it('saving under an existing name replaces it in the same transaction', async () => {
    const db = await freshDb();
    await saveNamedCheckpoint(db, 'a', meta, files(1));
    const b = await saveNamedCheckpoint(db, 'a', { ...meta, step: 9 }, files(2));
    const list = await listCheckpoints(db);
    expect(list.map((r) => [r.name, r.meta.step])).toEqual([['a', 9]]);
    expect(await fileCount(db)).toBe(3);
    expect((await readCheckpointFiles(db, b.id)).files.get('weights.shard1of1.bin')![0]).toBe(2);
  });

  it('refuses empty and overlong names', async () => {
    const db = await freshDb();
    await expect(saveNamedCheckpoint(db, '   ', meta, files(1))).rejects.toThrow(/name/);
    await expect(saveNamedCheckpoint(db, 'x'.repeat(81), meta, files(1))).rejects.toThrow(/too long/);
  });

  it('a quota error mid-save leaves nothing: no record, no orphaned files, a clear message', async () => {
    const db = await freshDb();
    await saveNamedCheckpoint(db, 'kept', meta, files(1));
    failPutAt(1);
    const err = await saveNamedCheckpoint(db, 'new', meta, files(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).quota).toBe(true);
    expect((err as Error).message).toMatch(/"new" was not saved: the browser's storage for this site is full/);
    expect((err as Error).message).toMatch(/Nothing was half-written/);
    vi.restoreAllMocks();
    expect((await listCheckpoints(db)).map((r) => r.name)).toEqual(['kept']);
    expect(await fileCount(db)).toBe(3); // only "kept"'s files
  });

  it('a failure on the index record (after every file) rolls the files back too', async () => {
    const db = await freshDb();
    failPutAt(0, 'checkpoints');
    await expect(saveNamedCheckpoint(db, 'x', meta, files(1))).rejects.toBeInstanceOf(StorageError);
    vi.restoreAllMocks();
    expect(await listCheckpoints(db)).toEqual([]);
    expect(await fileCount(db)).toBe(0);
  });

  it('replacing a same-named checkpoint that fails to save keeps the old one', async () => {
    const db = await freshDb();
    const old = await saveNamedCheckpoint(db, 'a', meta, files(1));
    failPutAt(2);
    await expect(saveNamedCheckpoint(db, 'a', meta, files(2))).rejects.toThrow(/full/);
    vi.restoreAllMocks();
    expect((await listCheckpoints(db)).map((r) => r.id)).toEqual([old.id]);
    expect((await readCheckpointFiles(db, old.id)).files.get('weights.shard1of1.bin')![0]).toBe(1);
  });
});

describe('the run in progress', () => {
  it('autosave writes the checkpoint and the record together and drops the previous autosave', async () => {
    const db = await freshDb();
    const first = await autosaveRun(db, run(), files(1), meta);
    expect((await loadRun(db))!.checkpointId).toBe(first.checkpointId);
    const second = await autosaveRun(db, { ...first, position: { step: 10, dataCursor: 20, adamStep: 10 } }, files(2), meta);
    const stored = (await loadRun(db))!;
    expect(stored.checkpointId).toBe(second.checkpointId);
    expect(stored.position.step).toBe(10);
    expect(await fileCount(db)).toBe(3);
    // autosaves are not listed as saved checkpoints
    expect(await listCheckpoints(db)).toEqual([]);
  });

  it('a failed autosave leaves the previous autosave and the record as they were', async () => {
    const db = await freshDb();
    const first = await autosaveRun(db, run(), files(1), meta);
    failPutAt(0);
    const err = await autosaveRun(db, { ...first, position: { step: 10, dataCursor: 20, adamStep: 10 } }, files(2), meta).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/training progress was not saved/);
    vi.restoreAllMocks();
    const stored = (await loadRun(db))!;
    expect(stored.checkpointId).toBe(first.checkpointId);
    expect(stored.position.step).toBe(5);
    expect((await readCheckpointFiles(db, first.checkpointId!)).files.get('weights.shard1of1.bin')![0]).toBe(1);
    expect(await fileCount(db)).toBe(3);
  });

  it('record-only updates keep the checkpoint; clearRun removes both', async () => {
    const db = await freshDb();
    const first = await autosaveRun(db, run(), files(1), meta);
    await saveRunRecord(db, { ...first, history: [{ step: 1, reward: 0.5, rewardStd: 0.1, accuracy: 0.5, toolRate: 0, formatErrors: 0, kl: null, loss: 0.1, rolloutsPerS: 3, skippedGroups: 0, time: 1 }] });
    expect((await loadRun(db))!.history).toHaveLength(1);
    expect((await loadRun(db))!.checkpointId).toBe(first.checkpointId);
    await clearRun(db);
    expect(await loadRun(db)).toBeNull();
    expect(await fileCount(db)).toBe(0);
  });
});
