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

export class AgentClient {
  private readonly worker: WorkerLike;
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private readonly waiting = new Map<number, { resolve(e: WorkerEvent): void; reject(e: Error): void }>();
  private nextId = 1;

  constructor(worker: WorkerLike = createAgentWorker()) {
    this.worker = worker;
    worker.addEventListener('message', (e: MessageEvent) => this.dispatch(e.data as WorkerEvent));
    worker.addEventListener('error', (e: ErrorEvent) => {
      this.dispatch({ type: 'error', scope: 'protocol', message: `The agent worker failed: ${e.message || 'it could not start'}` });
    });
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
    this.send({ type: 'init', backend });
  }

  load(url: string): void {
    this.send({ type: 'load', url });
  }

  /** Loads a checkpoint that Train mode saved in IndexedDB. */
  loadSaved(id: string): void {
    this.send({ type: 'loadSaved', id });
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
    for (const w of this.waiting.values()) w.reject(new Error('The agent worker was terminated.'));
    this.waiting.clear();
  }
}

export type { ErrorEventMsg };
