/**
 * A `fetch` for fetchFileReader that keeps model directories in the Cache API.
 *
 * - Cache first: a model directory that loaded once loads again with no network at all.
 * - Only validated sets are stored: files fetched from the network are held (as response clones)
 *   until the whole model has loaded and passed every check (sizes, sha256, shapes, finiteness),
 *   then committed together. So the cache never holds half of one checkpoint and half of another.
 * - Shards are keyed by their sha256 (from model.json), so a new checkpoint never reuses an old
 *   shard by name. Checksums still run on cached bytes: decodeModelFiles verifies whatever the
 *   reader returns.
 * - `checkForUpdate` compares the cached model.json with the server's, for a "newer model" notice.
 */

export const MODEL_CACHE_NAME = 'squint-models-v1';

const SHARD = /^weights\.shard\d+of\d+\.bin$/;

export type FileSource = 'cache' | 'network';

export interface CachingFetch {
  /** Pass as FetchReaderOptions.fetch. */
  readonly fetch: typeof fetch;
  /** Where each file (by name) came from. */
  readonly sources: Map<string, FileSource>;
  /** Stores the network responses of this load (call after the model validated). */
  commit(): Promise<void>;
  /** The raw bytes of model.json as read in this load (for info and the update check). */
  manifestBytes(): Uint8Array | null;
}

const fileName = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
const dirOf = (url: string) => new URL('.', url).href;

/** Opens the model cache, or null where the Cache API is unavailable (insecure context, storage blocked). */
export async function openModelCache(): Promise<Cache | null> {
  try {
    if (typeof caches === 'undefined') return null;
    return await caches.open(MODEL_CACHE_NAME);
  } catch {
    return null;
  }
}

/**
 * A caching fetch for one load of one model directory.
 * @param cache null: plain network fetches (still recorded as such).
 */
export function cachingFetch(cache: Cache | null, baseFetch: typeof fetch = globalThis.fetch.bind(globalThis)): CachingFetch {
  const sources = new Map<string, FileSource>();
  const pending: [string, Response][] = [];
  let shardSha = new Map<string, string>();
  let manifest: Uint8Array | null = null;
  let manifestSeen: (() => void) | null = null;
  const manifestRead = new Promise<void>((resolve) => (manifestSeen = resolve));

  const keyFor = async (url: string): Promise<string> => {
    const name = fileName(url);
    if (!SHARD.test(name)) return url;
    await manifestRead; // decodeModelFiles reads model.json before any shard
    const sha = shardSha.get(name);
    return sha ? `${url}?sha256=${sha}` : url;
  };

  const noteManifest = async (res: Response) => {
    try {
      manifest = new Uint8Array(await res.clone().arrayBuffer());
      const parsed = JSON.parse(new TextDecoder().decode(manifest)) as { shards?: { path?: unknown; sha256?: unknown }[] };
      shardSha = new Map((parsed.shards ?? []).filter((s) => typeof s.path === 'string' && typeof s.sha256 === 'string')
        .map((s) => [s.path as string, s.sha256 as string]));
    } catch {
      // malformed: decodeModelFiles reports it; shards then fall back to plain URL keys
    } finally {
      manifestSeen?.();
    }
  };

  const cachedFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), globalThis.location?.href).href;
    const name = fileName(url);
    const isManifest = name === 'model.json';
    const key = await keyFor(url);
    const hit = cache ? await cache.match(key).catch(() => undefined) : undefined;
    if (hit) {
      sources.set(name, 'cache');
      if (isManifest) await noteManifest(hit);
      return hit;
    }
    let res: Response;
    try {
      res = await baseFetch(url, init);
    } catch (e) {
      if (isManifest) manifestSeen?.();
      throw e;
    }
    sources.set(name, 'network');
    if (isManifest) await noteManifest(res);
    if (res.ok && cache) pending.push([key, res.clone()]);
    return res;
  }) as typeof fetch;

  return {
    fetch: cachedFetch,
    sources,
    manifestBytes: () => manifest,
    async commit() {
      if (!cache) return;
      for (const [key, res] of pending.splice(0)) await cache.put(key, res).catch(() => undefined);
    },
  };
}

/** Drops every cached file of the model directory at `baseUrl` (after a failed load from cache). */
export async function evictModel(cache: Cache | null, baseUrl: string): Promise<void> {
  if (!cache) return;
  const dir = dirOf(new URL('model.json', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href);
  for (const req of await cache.keys()) if (dirOf(req.url) === dir) await cache.delete(req);
}

/** Drops cached shards of `baseUrl` that the current model.json no longer lists (old checkpoints). */
export async function pruneShards(cache: Cache | null, baseUrl: string, manifest: Uint8Array | null): Promise<void> {
  if (!cache || !manifest) return;
  let keep: Set<string>;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(manifest)) as { shards: { path: string; sha256: string }[] };
    keep = new Set(parsed.shards.map((s) => `${s.path}?sha256=${s.sha256}`));
  } catch {
    return;
  }
  const dir = dirOf(new URL('model.json', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href);
  for (const req of await cache.keys()) {
    const u = new URL(req.url);
    const name = decodeURIComponent(u.pathname.split('/').pop() ?? '');
    if (dirOf(req.url) === dir && SHARD.test(name) && !keep.has(`${name}${u.search}`)) await cache.delete(req);
  }
}

/**
 * Whether the server now has a different model.json than `cached`. Network errors count as
 * "no update" (offline is fine). When there is one, the cached JSON files are dropped, so the
 * next load fetches the new checkpoint.
 */
export async function checkForUpdate(cache: Cache | null, baseUrl: string, cached: Uint8Array | null, baseFetch: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<boolean> {
  if (!cache || !cached) return false;
  const url = new URL('model.json', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
  let fresh: Uint8Array;
  try {
    const res = await baseFetch(url, { cache: 'no-store' });
    if (!res.ok) return false;
    fresh = new Uint8Array(await res.arrayBuffer());
  } catch {
    return false;
  }
  if (fresh.length === cached.length && fresh.every((b, i) => b === cached[i])) return false;
  const dir = dirOf(url);
  for (const req of await cache.keys()) {
    if (dirOf(req.url) === dir && !SHARD.test(decodeURIComponent(new URL(req.url).pathname.split('/').pop() ?? ''))) await cache.delete(req);
  }
  return true;
}
