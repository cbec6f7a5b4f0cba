/**
 * The main-thread side of the training worker: typed requests out, typed events in, and
 * promises for the requests that answer (save, import, rollout). No tfjs here.
 */
import type { ModelSource } from '../storage/runs';
import type { BackendPreference } from './protocol';
import type { ImportFile, RolloutView, TrainEvent, TrainRequest } from './train-protocol';
import type { TrainSettings } from './train-settings';
import type { WorkerLike } from './client';
import type { CheckpointRecord } from '../storage/db';

export function createTrainWorker(): Worker {
  return new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'squint-train' });
}

/** A request the training worker refused (save, import, rollout); for a model file: the file at fault and the fault. */
export class TrainRequestError extends Error {
  readonly file: string | null;
  readonly fault: string | null;

  constructor(message: string, file?: string, fault?: string) {
    super(message);
    this.name = 'TrainRequestError';
    this.file = file ?? null;
    this.fault = fault ?? null;
  }
}

export class TrainClient {
  private readonly worker: WorkerLike;
  private readonly listeners = new Set<(e: TrainEvent) => void>();
  private readonly waiting = new Map<number, { resolve(e: TrainEvent): void; reject(e: Error): void }>();
  private nextId = 1;

  constructor(worker: WorkerLike = createTrainWorker()) {
    this.worker = worker;
    worker.addEventListener('message', (e: MessageEvent) => this.dispatch(e.data as TrainEvent));
    worker.addEventListener('error', (e: ErrorEvent) => {
      this.dispatch({ type: 'error', scope: 'protocol', message: `The training worker failed: ${e.message || 'it could not start'}` });
      for (const w of this.waiting.values()) w.reject(new Error('The training worker failed.'));
      this.waiting.clear();
    });
  }

  on(listener: (e: TrainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(event: TrainEvent): void {
    if (event.type === 'saved' || event.type === 'imported' || event.type === 'rollout') this.settle(event.requestId, event);
    else if (event.type === 'error' && event.requestId !== undefined) this.settle(event.requestId, event);
    for (const l of this.listeners) l(event);
  }

  private settle(requestId: number, event: TrainEvent): void {
    const w = this.waiting.get(requestId);
    if (!w) return;
    this.waiting.delete(requestId);
    if (event.type === 'error') w.reject(new TrainRequestError(event.message, event.file, event.fault));
    else w.resolve(event);
  }

  private send(req: TrainRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(req, transfer);
  }

  private request<T extends TrainEvent>(make: (requestId: number) => TrainRequest, transfer: Transferable[] = []): Promise<T> {
    const requestId = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(requestId, { resolve: (e) => resolve(e as T), reject });
      this.send(make(requestId), transfer);
    });
  }

  init(backend: BackendPreference): void {
    this.send({ type: 'init', backend });
  }

  start(start: ModelSource, settings: TrainSettings, evalBefore: boolean): void {
    this.send({ type: 'start', start, settings, evalBefore });
  }

  resume(): void {
    this.send({ type: 'resume' });
  }

  pause(): void {
    this.send({ type: 'pause' });
  }

  evaluate(): void {
    this.send({ type: 'evaluate' });
  }

  discard(): void {
    this.send({ type: 'discard' });
  }

  /** @throws Error with the reason when nothing was saved. */
  async save(name: string): Promise<CheckpointRecord> {
    return (await this.request<Extract<TrainEvent, { type: 'saved' }>>((requestId) => ({ type: 'save', requestId, name }))).record;
  }

  /** The files are transferred. @throws TrainRequestError naming the file and fault. */
  async import(name: string, files: ImportFile[]): Promise<CheckpointRecord> {
    const r = await this.request<Extract<TrainEvent, { type: 'imported' }>>((requestId) => ({ type: 'import', requestId, name, files }), files.map((f) => f.data));
    return r.record;
  }

  async rollout(key: string): Promise<RolloutView> {
    return (await this.request<Extract<TrainEvent, { type: 'rollout' }>>((requestId) => ({ type: 'rollout', requestId, key }))).view;
  }

  terminate(): void {
    this.worker.terminate();
    for (const w of this.waiting.values()) w.reject(new Error('The training worker was terminated.'));
    this.waiting.clear();
  }
}
