import { describe, expect, it } from 'vitest';
import type { WorkerLike } from './client';
import { TrainClient, TrainRequestError } from './train-client';
import type { TrainEvent, TrainRequest } from './train-protocol';
import type { CheckpointRecord } from '../storage/db';

class FakeWorker implements WorkerLike {
  sent: { message: TrainRequest; transfer: Transferable[] }[] = [];
  private onMessage: ((e: MessageEvent) => void)[] = [];
  private onError: ((e: ErrorEvent) => void)[] = [];
  postMessage(message: unknown, transfer: Transferable[]) { this.sent.push({ message: message as TrainRequest, transfer }); }
  addEventListener(type: 'message' | 'error', listener: ((e: MessageEvent) => void) | ((e: ErrorEvent) => void)) {
    if (type === 'message') this.onMessage.push(listener as (e: MessageEvent) => void);
    else this.onError.push(listener as (e: ErrorEvent) => void);
  }
  terminate() {}
  emit(event: TrainEvent) { for (const l of this.onMessage) l({ data: event } as MessageEvent); }
  fail(message: string) { for (const l of this.onError) l({ message } as ErrorEvent); }
}

const record = { id: 'ck-1', name: 'a', kind: 'saved', createdAt: 1, bytes: 3, files: ['model.json'], meta: { from: 'default', step: 2, preset: 'tiny', parameters: 9 } } as CheckpointRecord;
const idOf = (w: FakeWorker, i: number) => (w.sent[i]!.message as { requestId: number }).requestId;

describe('TrainClient', () => {
  it('save resolves with the record of its own request id', async () => {
    const w = new FakeWorker();
    const c = new TrainClient(w);
    const p = c.save('a');
    w.emit({ type: 'saved', requestId: idOf(w, 0) + 100, record: { ...record, id: 'other' } });
    w.emit({ type: 'saved', requestId: idOf(w, 0), record });
    await expect(p).resolves.toEqual(record);
  });

  it('an import transfers its buffers; a refusal rejects with the file and fault', async () => {
    const w = new FakeWorker();
    const c = new TrainClient(w);
    const data = new ArrayBuffer(8);
    const p = c.import('x', [{ name: 'model.json', data }]);
    expect(w.sent[0]!.transfer).toEqual([data]);
    w.emit({ type: 'error', scope: 'import', requestId: idOf(w, 0), message: 'Import refused: weights.shard1of1.bin — truncated', file: 'weights.shard1of1.bin', fault: 'truncated' });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainRequestError);
    expect(err).toMatchObject({ file: 'weights.shard1of1.bin', fault: 'truncated' });
  });

  it('a crashed worker rejects pending requests and reports a protocol error', async () => {
    const w = new FakeWorker();
    const c = new TrainClient(w);
    const seen: TrainEvent[] = [];
    c.on((e) => seen.push(e));
    const p = c.rollout('1-0-0');
    w.fail('boom');
    await expect(p).rejects.toThrow(/training worker failed/);
    expect(seen).toEqual([{ type: 'error', scope: 'protocol', message: 'The training worker failed: boom' }]);
  });
});
