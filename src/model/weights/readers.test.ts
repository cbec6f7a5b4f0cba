import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadProgress, MODEL_JSON, ModelFileError, decodeModelFiles, fetchFileReader } from './index';
import { nodeFileReader, writeModelDir } from './node-files';
import { disposeAll, encodeTiny, readJson, useCpu } from './test-utils';

beforeAll(useCpu);

describe('node files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squint-weights-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a directory that loads back, and a re-save drops stale shards', async () => {
    const first = await encodeTiny('float32', 20_000);
    await writeModelDir(dir, first.files);
    expect((await readdir(dir)).sort()).toEqual([...first.files.keys()].sort());
    const m = await decodeModelFiles(nodeFileReader(dir));
    for (const [name, t] of Object.entries(first.tensors)) expect(m.tensors[name]!.dataSync()).toEqual(t.dataSync());

    const second = await encodeTiny('uint8');
    await writeFile(join(dir, 'notes.txt'), 'kept');
    await writeModelDir(dir, second.files);
    expect((await readdir(dir)).sort()).toEqual([...second.files.keys(), 'notes.txt'].sort());
    const m2 = await decodeModelFiles(nodeFileReader(dir));
    expect(m2.quantization).toBe('uint8');
    for (const x of [first.tensors, m.tensors, second.tensors, m2.tensors]) disposeAll(x);
  });

  it('the reader rejects a missing file, which decode reports as missing', async () => {
    const { tensors, files } = await encodeTiny('float32', 50_000);
    disposeAll(tensors);
    const sub = join(dir, 'missing');
    await writeModelDir(sub, files);
    const read = nodeFileReader(sub);
    await expect(read('nope.bin')).rejects.toThrow(/ENOENT/);
    await expect(read('../etc/passwd')).rejects.toThrow(/refusing/);
    const shard = readJson(files, MODEL_JSON).shards[1].path;
    await rm(join(sub, shard));
    const err = await decodeModelFiles(read).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).fault).toBe('missing');
    expect((err as ModelFileError).file).toBe(shard);
  });

  it('refuses to write outside the directory', async () => {
    await expect(writeModelDir(dir, new Map([['../x', new Uint8Array(1)]]))).rejects.toThrow(/refusing/);
  });
});

/** A fetch over an in-memory directory that streams bodies in `chunk`-byte pieces. */
function fakeFetch(files: Map<string, Uint8Array>, base: string, opts: { chunk?: number; contentLength?: boolean } = {}) {
  const requested: string[] = [];
  const fetchFn = (async (input: RequestInfo | URL) => {
    const url = String(input);
    requested.push(url);
    const bytes = url.startsWith(base) ? files.get(decodeURIComponent(url.slice(base.length))) : undefined;
    if (!bytes) return new Response('not here', { status: 404, statusText: 'Not Found' });
    const chunk = opts.chunk ?? 1000;
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.slice(at, at + chunk));
        at += chunk;
      },
    });
    const headers: Record<string, string> = opts.contentLength === false ? {} : { 'Content-Length': String(bytes.byteLength) };
    return new Response(body, { status: 200, headers });
  }) as typeof fetch;
  return { fetchFn, requested };
}

describe('fetchFileReader', () => {
  const base = 'https://example.test/models/tiny/';

  it('streams a model, reporting per-file bytes per chunk; decode reports cumulative progress', async () => {
    const { tensors, files } = await encodeTiny('float16', 30_000);
    const { fetchFn, requested } = fakeFetch(files, base, { chunk: 4096 });
    const perFile: LoadProgress[] = [];
    const overall: LoadProgress[] = [];
    const m = await decodeModelFiles(fetchFileReader(base.slice(0, -1), (p) => perFile.push(p), { fetch: fetchFn }), (p) => overall.push(p));
    expect(requested[0]).toBe(`${base}model.json`);
    const shard = 'weights.shard1of3.bin';
    const shardEvents = perFile.filter((p) => p.file === shard);
    expect(shardEvents.length).toBe(Math.ceil(30_000 / 4096));
    expect(shardEvents.every((p) => p.totalBytes === 30_000)).toBe(true);
    expect(shardEvents.at(-1)!.loadedBytes).toBe(30_000);

    const total = [...files].filter(([k]) => k !== 'README.md').reduce((n, [, v]) => n + v.byteLength, 0);
    expect(overall.length).toBeGreaterThan(files.size);
    for (let i = 1; i < overall.length; i++) expect(overall[i]!.loadedBytes).toBeGreaterThan(overall[i - 1]!.loadedBytes);
    expect(overall.every((p) => p.totalBytes === total)).toBe(true);
    expect(overall.at(-1)!.loadedBytes).toBe(total);
    disposeAll(tensors);
    disposeAll(m.tensors);
  });

  it('without Content-Length, uses the size model.json gives for a shard', async () => {
    const { tensors, files } = await encodeTiny('uint8');
    disposeAll(tensors);
    const { fetchFn } = fakeFetch(files, base, { chunk: 5000, contentLength: false });
    const perFile: LoadProgress[] = [];
    const m = await decodeModelFiles(fetchFileReader(base, (p) => perFile.push(p), { fetch: fetchFn }));
    const size = files.get('weights.shard1of1.bin')!.byteLength;
    const events = perFile.filter((p) => p.file === 'weights.shard1of1.bin');
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((p) => p.totalBytes === size)).toBe(true);
    disposeAll(m.tensors);
  });

  it('rejects a non-OK status with the URL and status; decode calls it missing', async () => {
    const { tensors, files } = await encodeTiny('float32');
    disposeAll(tensors);
    files.delete('weights.shard1of1.bin');
    const { fetchFn } = fakeFetch(files, base);
    const read = fetchFileReader(base, undefined, { fetch: fetchFn });
    await expect(read('weights.shard1of1.bin')).rejects.toThrow(`GET ${base}weights.shard1of1.bin failed: HTTP 404 Not Found`);
    const err = await decodeModelFiles(read).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).file).toBe('weights.shard1of1.bin');
    expect((err as ModelFileError).fault).toBe('missing');
    expect((err as ModelFileError).message).toContain('HTTP 404');
  });
});
