/** Browser (and any fetch-capable runtime): a model directory served over HTTP. No Node imports here. */
import type { LoadProgress, ReadFile } from './format';

export interface FetchReaderOptions {
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Aborts in-flight downloads. */
  signal?: AbortSignal;
}

/**
 * The `read` function for decodeModelFiles over `baseUrl` (absolute or relative; `file` is appended). Streams each
 * body and calls `onProgress` per chunk with that file's loaded bytes and expected total: Content-Length when the
 * response has one and is not content-encoded, else the size model.json gives for the shard, else the bytes so far.
 * Also feeds decodeModelFiles' own progress through the read hint. A non-OK status rejects with an Error naming the
 * URL and status.
 */
export function fetchFileReader(baseUrl: string, onProgress?: (p: LoadProgress) => void, options: FetchReaderOptions = {}): ReadFile {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return async (file, hint) => {
    const url = base + file.split('/').map(encodeURIComponent).join('/');
    const doFetch = options.fetch ?? globalThis.fetch;
    const res = await doFetch(url, { signal: options.signal });
    if (!res.ok) throw new Error(`GET ${url} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);

    const lengthHeader = res.headers.get('Content-Length')?.trim();
    const encoding = res.headers.get('Content-Encoding')?.trim().toLowerCase();
    const contentLength = lengthHeader && /^\d+$/.test(lengthHeader) && (!encoding || encoding === 'identity') ? Number(lengthHeader) : undefined;
    const expected = contentLength ?? hint?.expectedBytes;
    const report = (loadedBytes: number, done: boolean) => {
      const totalBytes = done ? loadedBytes : Math.max(expected ?? loadedBytes, loadedBytes);
      onProgress?.({ file, loadedBytes, totalBytes });
      hint?.onBytes?.(loadedBytes);
    };

    if (!res.body) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      report(bytes.byteLength, true);
      return bytes;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      report(loaded, false);
    }
    // The last report's total is what actually arrived, so a bar ends full (decodeModelFiles checks the size).
    if (loaded !== expected || chunks.length === 0) report(loaded, true);
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(loaded);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
    return bytes;
  };
}
