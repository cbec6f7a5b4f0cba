/**
 * The main-thread side of the agent worker: typed requests out, typed events in. No tfjs here
 * (the UI imports this file).
 */
import {
  type BackendPreference, type RunSettings, type WorkerEvent, type WorkerRequest, transferablesOf,
} from './protocol';

/** The part of `Worker` the client uses (a fake in unit tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (e: ErrorEvent) => void): void;
  terminate(): void;
}

export type PuzzleEvent = Extract<WorkerEvent, { type: 'puzzle' }>;
export type SelfTestEvent = Extract<WorkerEvent, { type: 'selfTest' }>;
type ErrorEventMsg = Extract<WorkerEvent, { type: 'error' }>;

export function createAgentWorker(): Worker {
  return new Worker(new URL('./agent.worker.ts', import.meta.url), { type: 'module', name: 'squint-agent' });
}

/** Restarts allowed within RESTART_WINDOW_MS before the client gives up (a worker that cannot start at all). */
export const MAX_RESTARTS = 3;
export const RESTART_WINDOW_MS = 60_000;

export class AgentClient {
  private worker: WorkerLike;
  /** Makes a replacement worker after a crash (none: a crash is only reported). */
  private readonly respawn: (() => WorkerLike) | undefined;
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private readonly restartListeners = new Set<() => void>();
  private readonly waiting = new Map<number, { resolve(e: WorkerEvent): void; reject(e: Error): void }>();
  private nextId = 1;
  /** The requests that set the worker up (backend, model), replayed into a restarted worker. */
  private setup: { init?: WorkerRequest; load?: WorkerRequest } = {};
  private restarts: number[] = [];
  /** Set once the client stopped restarting: later errors of the dead worker stay quiet. */
  private gaveUp = false;

  /**
   * @param worker the worker to talk to (default: a new agent worker)
   * @param respawn makes a replacement when the worker crashes (default: a new agent worker when
   *   `worker` was defaulted too; none otherwise)
   */
  constructor(worker?: WorkerLike, respawn?: () => WorkerLike) {
    this.respawn = respawn ?? (worker ? undefined : createAgentWorker);
    this.worker = worker ?? createAgentWorker();
    this.attach(this.worker);
  }

  private attach(worker: WorkerLike): void {
    // events of a worker that has been replaced are ignored
    worker.addEventListener('message', (e: MessageEvent) => worker === this.worker && this.dispatch(e.data as WorkerEvent));
    worker.addEventListener('error', (e: ErrorEvent) => worker === this.worker && this.crashed(e.message || 'it could not start'));
  }

  /**
   * The worker threw an uncaught error or could not start. Whatever it was doing is lost: the
   * runs in progress end (a protocol error), pending requests are rejected, and a fresh worker
   * is started with the same backend and model, at most MAX_RESTARTS times a minute.
   */
  private crashed(reason: string): void {
    if (this.gaveUp) return;
    this.dispatch({ type: 'error', scope: 'protocol', message: `The agent worker failed: ${reason}` });
    if (!this.respawn) return;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      this.gaveUp = true;
      this.dispatch({ type: 'error', scope: 'protocol', message: `The agent worker failed ${MAX_RESTARTS + 1} times within a minute and was not restarted again. Reload the page to try once more.` });
      return;
    }
    this.restarts.push(now);
    this.worker.terminate();
    this.rejectWaiting('The agent worker crashed and was restarted.');
    this.worker = this.respawn();
    this.attach(this.worker);
    if (this.setup.init) this.send(this.setup.init);
    if (this.setup.load) this.send(this.setup.load);
    for (const l of this.restartListeners) l();
    this.dispatch({ type: 'notice', level: 'warning', message: 'The agent worker crashed and was restarted; the model is loading again.' });
  }

  /** Called after a crashed worker was replaced (its set-up requests already re-sent). */
  onRestart(listener: () => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  private rejectWaiting(message: string): void {
    for (const w of this.waiting.values()) w.reject(new Error(message));
    this.waiting.clear();
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  on(listener: (e: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(event: WorkerEvent): void {
    if (event.type === 'puzzle' || event.type === 'selfTest') this.settle(event.requestId, event);
    else if (event.type === 'error' && event.requestId !== undefined) this.settle(event.requestId, event);
    for (const l of this.listeners) l(event);
  }

  private settle(requestId: number, event: WorkerEvent): void {
    const w = this.waiting.get(requestId);
    if (!w) return;
    this.waiting.delete(requestId);
    if (event.type === 'error') w.reject(new Error(event.message));
    else w.resolve(event);
  }

  private send(req: WorkerRequest): void {
    this.worker.postMessage(req, transferablesOf(req));
  }

  private request<T extends WorkerEvent>(make: (requestId: number) => WorkerRequest): Promise<T> {
    const requestId = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(requestId, { resolve: (e) => resolve(e as T), reject });
      this.send(make(requestId));
    });
  }

  init(backend: BackendPreference): void {
    this.setup = { init: { type: 'init', backend } };
    this.send(this.setup.init!);
  }

  load(url: string): void {
    this.setup.load = { type: 'load', url };
    this.send(this.setup.load);
  }

  /** Loads a checkpoint that Train mode saved in IndexedDB. */
  loadSaved(id: string): void {
    this.setup.load = { type: 'loadSaved', id };
    this.send(this.setup.load);
  }

  /** Starts a run; the image is transferred (unusable here afterwards). @returns the run id. */
  run(image: ImageBitmap, question: string, settings: RunSettings): number {
    const runId = this.nextId++;
    this.send({ type: 'run', runId, image, question, settings });
    return runId;
  }

  stop(runId: number): void {
    this.send({ type: 'stop', runId });
  }

  /** @throws Error with the worker's message when generation fails. */
  newPuzzle(seed: number, difficulty: number): Promise<PuzzleEvent> {
    return this.request<PuzzleEvent>((requestId) => ({ type: 'newPuzzle', requestId, seed, difficulty }));
  }

  /** @throws Error with the worker's message when the backend cannot compute. */
  selfTest(): Promise<SelfTestEvent> {
    return this.request<SelfTestEvent>((requestId) => ({ type: 'selfTest', requestId }));
  }

  terminate(): void {
    this.worker.terminate();
    this.rejectWaiting('The agent worker was terminated.');
  }
}

export type { ErrorEventMsg };
