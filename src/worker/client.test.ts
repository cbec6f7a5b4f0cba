import { describe, expect, it } from 'vitest';
import { AgentClient, type WorkerLike } from './client';
import { DEFAULT_RUN_SETTINGS, type WorkerEvent } from './protocol';

class FakeWorker implements WorkerLike {
  sent: { message: unknown; transfer: Transferable[] }[] = [];
  private onMessage: ((e: MessageEvent) => void)[] = [];
  private onError: ((e: ErrorEvent) => void)[] = [];
  terminated = false;
  postMessage(message: unknown, transfer: Transferable[]) { this.sent.push({ message, transfer }); }
  addEventListener(type: 'message' | 'error', listener: ((e: MessageEvent) => void) | ((e: ErrorEvent) => void)) {
    if (type === 'message') this.onMessage.push(listener as (e: MessageEvent) => void);
    else this.onError.push(listener as (e: ErrorEvent) => void);
  }
  terminate() { this.terminated = true; }
  emit(event: WorkerEvent) { for (const l of this.onMessage) l({ data: event } as MessageEvent); }
  fail(message: string) { for (const l of this.onError) l({ message } as ErrorEvent); }
}

describe('AgentClient', () => {
  it('sends typed requests, transferring the image of a run', () => {
    const w = new FakeWorker();
    const c = new AgentClient(w);
    c.init('wasm');
    c.load('/models/default/');
    const image = {} as ImageBitmap;
    const runId = c.run(image, 'What colour?', DEFAULT_RUN_SETTINGS);
    c.stop(runId);
    expect(w.sent.map((s) => (s.message as { type: string }).type)).toEqual(['init', 'load', 'run', 'stop']);
    expect(w.sent[2]!.transfer).toEqual([image]);
    expect(w.sent[3]!.message).toEqual({ type: 'stop', runId });
  });

  it('resolves request promises by request id and forwards every event to listeners', async () => {
    const w = new FakeWorker();
    const c = new AgentClient(w);
    const seen: string[] = [];
    const off = c.on((e) => seen.push(e.type));
    const p1 = c.newPuzzle(5, 0.3);
    const p2 = c.selfTest();
    const id1 = (w.sent[0]!.message as { requestId: number }).requestId;
    const id2 = (w.sent[1]!.message as { requestId: number }).requestId;
    w.emit({ type: 'selfTest', requestId: id2, backend: 'wasm', finite: true, logits: 10, ms: 3 });
    w.emit({ type: 'puzzle', requestId: id1, png: new Blob(), width: 10, height: 20, info: { seed: 5, difficulty: 0.3, question: 'q', answer: 'a', family: 'colour', resolvable: true, targets: [] } });
    await expect(p1).resolves.toMatchObject({ width: 10, height: 20 });
    await expect(p2).resolves.toMatchObject({ backend: 'wasm', finite: true });
    off();
    w.emit({ type: 'notice', level: 'info', message: 'x' });
    expect(seen).toEqual(['selfTest', 'puzzle']);
  });

  it('rejects a request when the worker answers with an error for it', async () => {
    const w = new FakeWorker();
    const c = new AgentClient(w);
    const p = c.newPuzzle(1, 0.5);
    const requestId = (w.sent[0]!.message as { requestId: number }).requestId;
    w.emit({ type: 'error', scope: 'puzzle', requestId, message: 'The puzzle could not be generated: boom' });
    await expect(p).rejects.toThrow('boom');
  });

  it('reports a worker that fails to start as a protocol error, and rejects pending requests on terminate', async () => {
    const w = new FakeWorker();
    const c = new AgentClient(w);
    const seen: WorkerEvent[] = [];
    c.on((e) => seen.push(e));
    w.fail('SyntaxError in worker');
    expect(seen[0]).toMatchObject({ type: 'error', scope: 'protocol', message: expect.stringContaining('SyntaxError') });
    const p = c.selfTest();
    c.terminate();
    expect(w.terminated).toBe(true);
    await expect(p).rejects.toThrow(/terminated/);
  });
});

describe('AgentClient after a worker crash', () => {
  it('ends the runs (a protocol error), starts a new worker with the same backend and model, and says so', async () => {
    const workers: FakeWorker[] = [];
    const spawn = () => (workers.push(new FakeWorker()), workers.at(-1)!);
    const c = new AgentClient(spawn(), spawn);
    const seen: WorkerEvent[] = [];
    c.on((e) => seen.push(e));
    let restarted = 0;
    c.onRestart(() => restarted++);
    c.init('wasm');
    c.load('/models/default/');
    c.run({} as ImageBitmap, 'q', DEFAULT_RUN_SETTINGS);
    const pending = c.selfTest();
    workers[0]!.fail('RangeError: out of memory');
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(2);
    expect(workers[1]!.sent.map((s) => s.message)).toEqual([{ type: 'init', backend: 'wasm' }, { type: 'load', url: '/models/default/' }]);
    expect(seen[0]).toMatchObject({ type: 'error', scope: 'protocol', message: expect.stringContaining('out of memory') });
    expect(seen[1]).toMatchObject({ type: 'notice', level: 'warning', message: expect.stringContaining('restarted') });
    expect(restarted).toBe(1);
    const rejected = expect(pending).rejects.toThrow(/crashed/);
    // the old worker's late events are ignored; the new one's arrive
    workers[0]!.emit({ type: 'notice', level: 'info', message: 'stale' });
    workers[1]!.emit({ type: 'notice', level: 'info', message: 'fresh' });
    expect(seen.slice(2).map((e) => (e as { message: string }).message)).toEqual(['fresh']);
    await rejected;
  });

  it('gives up after repeated crashes within a minute, with a message', () => {
    const workers: FakeWorker[] = [];
    const spawn = () => (workers.push(new FakeWorker()), workers.at(-1)!);
    const c = new AgentClient(spawn(), spawn);
    const notices: string[] = [];
    c.on((e) => (e.type === 'notice' || e.type === 'error') && notices.push(e.message));
    for (let i = 0; i < 10; i++) workers.at(-1)!.fail('boom');
    expect(workers).toHaveLength(4); // the first + 3 restarts
    expect(notices.at(-1)).toMatch(/not restarted again\. Reload the page/);
    expect(notices.filter((m) => /not restarted again/.test(m))).toHaveLength(1); // said once, not per later error
  });

  it('does not restart a worker it was given without a way to make another', () => {
    const w = new FakeWorker();
    const c = new AgentClient(w);
    w.fail('boom');
    expect(w.terminated).toBe(false);
    void c;
  });
});
