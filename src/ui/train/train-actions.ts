/**
 * What the Train tab's buttons do: the training worker client, IndexedDB reads (lists, export)
 * and the hand-over to the playground. Components call these; nothing here renders.
 */
import { type CheckpointRecord, openSquintDb } from '../../storage/db';
import { deleteCheckpoint as removeCheckpoint, listCheckpoints, readCheckpointFiles } from '../../storage/checkpoints';
import { type ModelSource, loadRun } from '../../storage/runs';
import { TrainClient } from '../../worker/train-client';
import { sanitizeTrainSettings } from '../../worker/train-settings';
import { download, showRollout, urlBackend, useModel } from '../actions';
import { store } from '../store';
import { applyTrainEvent } from './train-bridge';

let client: TrainClient | null = null;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const modelsBase = () => `${import.meta.env.BASE_URL}models/`;

function trainer(): TrainClient {
  if (!client) {
    client = new TrainClient();
    client.on((e) => applyTrainEvent(store, e));
    client.init(urlBackend() ?? store.getState().settings.backend);
  }
  return client;
}

/** The models the server ships (models/index.json; "default" when the list is unavailable). */
export async function refreshBundled(): Promise<void> {
  try {
    const res = await fetch(`${modelsBase()}index.json`, { cache: 'no-cache' });
    const { models } = (await res.json()) as { models: unknown };
    if (Array.isArray(models) && models.every((m) => typeof m === 'string') && models.length) store.getState().setBundled(models as string[]);
  } catch {
    // keep the default list
  }
}

export async function refreshCheckpoints(): Promise<void> {
  try {
    const db = await openSquintDb();
    try {
      store.getState().setCheckpoints(await listCheckpoints(db));
    } finally {
      db.close();
    }
  } catch (e) {
    store.getState().notify('warning', `Saved checkpoints cannot be listed: the browser's storage (IndexedDB) is unavailable (${errorText(e)}).`);
  }
}

/** Shows a run stored by an earlier visit (its curves and a Resume button), once per page. */
let storedChecked = false;
async function checkStoredRun(): Promise<void> {
  if (storedChecked) return;
  storedChecked = true;
  try {
    const db = await openSquintDb();
    try {
      const run = await loadRun(db);
      const s = store.getState();
      if (run?.checkpointId && !s.trainRun) s.setStoredRun(run);
    } finally {
      db.close();
    }
  } catch {
    // nothing to resume
  }
}

/** Everything the Train tab needs when it opens. Idempotent. */
export function openTrainTab(): void {
  void refreshBundled();
  void refreshCheckpoints();
  void checkStoredRun();
}

/**
 * At page start: only what is in the browser (saved checkpoints for the model picker, a run to
 * resume). The list of served models is fetched when the Train tab or the picker is used, so an
 * offline start that loads the model from the Cache API makes no network request for it.
 */
export function loadLocalState(): void {
  void refreshCheckpoints();
  void checkStoredRun();
}

let bundledFetched = false;
/** The model picker was opened: list the served models once per page. */
export function pickerOpened(): void {
  if (bundledFetched) return;
  bundledFetched = true;
  void refreshBundled();
}

/** "bundled:<name>" or "saved:<id>" (the start picker's value) as a model source. */
export function sourceFor(key: string): ModelSource | null {
  const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'bundled') return { kind: 'bundled', name: rest, url: `${modelsBase()}${rest}/` };
  if (kind === 'saved') {
    const rec = store.getState().checkpoints.find((c) => c.id === rest);
    return rec ? { kind: 'saved', id: rec.id, name: rec.name } : null;
  }
  return null;
}

export function startTraining(): void {
  const s = store.getState();
  const source = sourceFor(s.startFrom);
  if (!source) return void s.notify('warning', 'Choose the checkpoint to start from.');
  if (!s.draft.families.length) return void s.notify('warning', 'Choose at least one question family.');
  s.clearTrainRun();
  trainer().start(source, sanitizeTrainSettings(s.draft), s.draft.evalN > 0);
}

export const pauseTraining = () => trainer().pause();
export const resumeTraining = () => trainer().resume();
export const evaluateNow = () => trainer().evaluate();

export function discardRun(): void {
  trainer().discard();
  store.getState().clearTrainRun();
}

/** Saves the current weights under `name`. @returns whether it was saved. */
export async function saveCheckpoint(name: string): Promise<boolean> {
  const s = store.getState();
  try {
    // ask the browser not to evict what the user saves (best effort; Chrome may decide silently)
    void navigator.storage?.persist?.().catch(() => undefined);
    const record = await trainer().save(name);
    await refreshCheckpoints();
    s.notify('info', `Saved "${record.name}" (step ${record.meta.step}, ${(record.bytes / 1e6).toFixed(1)} MB) in this browser.`);
    return true;
  } catch (e) {
    s.notify('error', errorText(e));
    return false;
  }
}

/** Downloads a saved checkpoint's files (the model directory format the loader validates). */
export async function exportCheckpoint(record: CheckpointRecord): Promise<void> {
  try {
    const db = await openSquintDb();
    const { files } = await readCheckpointFiles(db, record.id).finally(() => db.close());
    for (const [name, bytes] of files) {
      download(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: name.endsWith('.json') ? 'application/json' : name.endsWith('.md') ? 'text/markdown' : 'application/octet-stream' }), name);
      // browsers drop a burst of downloads: one at a time
      await new Promise((r) => setTimeout(r, 250));
    }
    store.getState().notify('info', `Exported "${record.name}" as ${files.size} files. Keep them together in one folder; Import… takes them back.`);
  } catch (e) {
    store.getState().notify('error', `Export failed: ${errorText(e)}`);
  }
}

/**
 * Imports an exported model directory (all its files chosen at once). The worker validates every
 * file before anything is stored.
 * @returns the error message, or null when it was imported
 */
export async function importCheckpoint(files: readonly File[], name: string): Promise<string | null> {
  const s = store.getState();
  try {
    const list = await Promise.all(files.map(async (f) => ({ name: f.name, data: await f.arrayBuffer() })));
    const record = await trainer().import(name, list);
    await refreshCheckpoints();
    s.notify('info', `Imported "${record.name}" (${record.files.length} files, validated).`);
    return null;
  } catch (e) {
    s.notify('error', errorText(e));
    return errorText(e);
  }
}

export async function deleteCheckpoint(record: CheckpointRecord): Promise<void> {
  try {
    const db = await openSquintDb();
    await removeCheckpoint(db, record.id).finally(() => db.close());
    await refreshCheckpoints();
  } catch (e) {
    store.getState().notify('error', `Could not delete "${record.name}": ${errorText(e)}`);
  }
}

/** Switches to the playground with this checkpoint loaded. */
export function useInPlayground(record: CheckpointRecord): void {
  const s = store.getState();
  s.setView('playground');
  useModel({ kind: 'saved', id: record.id, name: record.name });
}

/** Opens a gallery rollout in the playground's trajectory view. */
export async function openRollout(key: string): Promise<void> {
  try {
    const view = await trainer().rollout(key);
    await showRollout(view);
    store.getState().setView('playground');
  } catch (e) {
    store.getState().notify('error', `The rollout cannot be shown: ${errorText(e)}`);
  }
}
