import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintTokenizer, buildTokenizerJson } from '../model/tokenizer';
import { ModelFileError, decodeModelFiles, encodeModelFiles, fetchFileReader } from '../model/weights';
import { cachingFetch, checkForUpdate, evictModel, pruneShards } from './model-cache';

/** The part of the Cache API the module uses, in memory. */
class MemoryCache {
  readonly entries = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  private static key(k: RequestInfo | URL) { return k instanceof Request ? k.url : String(k); }
  async match(k: RequestInfo | URL) {
    const e = this.entries.get(MemoryCache.key(k));
    return e ? new Response(e.body.slice(), { headers: e.headers }) : undefined;
  }
  async put(k: RequestInfo | URL, res: Response) {
    this.entries.set(MemoryCache.key(k), { body: new Uint8Array(await res.arrayBuffer()), headers: [...res.headers] });
  }
  async keys() { return [...this.entries.keys()].map((u) => new Request(u)); }
  async delete(k: RequestInfo | URL) { return this.entries.delete(MemoryCache.key(k)); }
}

const BASE = 'https://squint.test/models/default/';

function server(files: Map<string, Uint8Array>) {
  const requests: string[] = [];
  let offline = false;
  const fetchFn = (async (input: RequestInfo | URL) => {
    const url = input instanceof Request ? input.url : String(input);
    requests.push(url);
    if (offline) throw new TypeError('Failed to fetch');
    const bytes = files.get(url.slice(BASE.length));
    if (!bytes) return new Response('not found', { status: 404 });
    return new Response(bytes.slice(), { headers: { 'Content-Length': String(bytes.byteLength) } });
  }) as typeof fetch;
  return { fetchFn, requests, setOffline: (v: boolean) => (offline = v) };
}

async function makeFiles(seed = 1) {
  const tok = new SquintTokenizer(buildTokenizerJson(['What colour is the red square?']));
  const config = presetConfig('tiny', tok.vocabSize);
  const weights = initWeights(config, seed);
  const files = await encodeModelFiles({ config, tokenizerJson: tok.json, card: '# tiny\n', tensors: weights, quantization: 'float16', shardBytes: 6000 });
  for (const t of Object.values(weights)) t.dispose();
  return files;
}

async function load(cache: Cache | null, fetchFn: typeof fetch) {
  const cf = cachingFetch(cache, fetchFn);
  const decoded = await decodeModelFiles(fetchFileReader(BASE, undefined, { fetch: cf.fetch }));
  for (const t of Object.values(decoded.tensors)) t.dispose();
  return cf;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('model cache', () => {
  it('stores a validated load and serves the second load with no network at all', async () => {
    const files = await makeFiles();
    const srv = server(files);
    const cache = new MemoryCache() as unknown as Cache;
    const first = await load(cache, srv.fetchFn);
    expect([...first.sources.values()].every((s) => s === 'network')).toBe(true);
    expect((cache as unknown as MemoryCache).entries.size).toBe(0); // nothing before commit
    await first.commit();
    const keys = [...(cache as unknown as MemoryCache).entries.keys()];
    expect(keys.some((k) => /weights\.shard1of\d+\.bin\?sha256=[0-9a-f]{64}$/.test(k))).toBe(true);

    const before = srv.requests.length;
    srv.setOffline(true);
    const second = await load(cache, srv.fetchFn);
    expect(srv.requests.length).toBe(before);
    expect(second.sources.size).toBeGreaterThan(3);
    expect([...second.sources.values()].every((s) => s === 'cache')).toBe(true);
  });

  it('still verifies checksums on cached bytes; a corrupt cached shard fails and can be evicted', async () => {
    const files = await makeFiles();
    const srv = server(files);
    const mem = new MemoryCache();
    const cache = mem as unknown as Cache;
    await (await load(cache, srv.fetchFn)).commit();
    const shardKey = [...mem.entries.keys()].find((k) => k.includes('shard1of'))!;
    mem.entries.get(shardKey)!.body[10]! ^= 0xff;

    const err = await load(cache, srv.fetchFn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).fault).toBe('checksum');
    expect((err as ModelFileError).file).toMatch(/^weights\.shard1of\d+\.bin$/);

    await evictModel(cache, BASE);
    expect(mem.entries.size).toBe(0);
    const again = await load(cache, srv.fetchFn);
    expect([...again.sources.values()].every((s) => s === 'network')).toBe(true);
  });

  it('notices a newer model.json on the server and drops the cached JSON files (not the shards)', async () => {
    const files = await makeFiles(1);
    const srv = server(files);
    const mem = new MemoryCache();
    const cache = mem as unknown as Cache;
    const cf = await load(cache, srv.fetchFn);
    await cf.commit();
    expect(await checkForUpdate(cache, BASE, cf.manifestBytes(), srv.fetchFn)).toBe(false);

    srv.setOffline(true);
    expect(await checkForUpdate(cache, BASE, cf.manifestBytes(), srv.fetchFn)).toBe(false);
    srv.setOffline(false);

    for (const [k, v] of await makeFiles(2)) files.set(k, v);
    expect(await checkForUpdate(cache, BASE, cf.manifestBytes(), srv.fetchFn)).toBe(true);
    const left = [...mem.entries.keys()].map((k) => k.slice(BASE.length));
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((k) => k.startsWith('weights.shard'))).toBe(true);

    // The next load takes the new checkpoint from the server; old shards are pruned after it.
    const next = await load(cache, srv.fetchFn);
    expect(next.sources.get('model.json')).toBe('network');
    await next.commit();
    await pruneShards(cache, BASE, next.manifestBytes());
    const manifest = JSON.parse(new TextDecoder().decode(next.manifestBytes()!)) as { shards: { path: string; sha256: string }[] };
    const shardKeys = [...mem.entries.keys()].filter((k) => k.includes('.bin')).map((k) => k.slice(BASE.length)).sort();
    expect(shardKeys).toEqual(manifest.shards.map((s) => `${s.path}?sha256=${s.sha256}`).sort());
  });

  it('without the Cache API, fetches from the network every time', async () => {
    const srv = server(await makeFiles());
    const cf = await load(null, srv.fetchFn);
    await cf.commit();
    expect([...cf.sources.values()].every((s) => s === 'network')).toBe(true);
  });
});
