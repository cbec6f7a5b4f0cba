/** Node-only: a model directory on disk. (Not re-exported from index.ts, which stays browser-safe.) */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_JSON, type ReadFile, SHARD_FILE_PATTERN, isPlainFileName } from './format';

/**
 * Writes `files` (from encodeModelFiles) into `dir`, creating it. Each file is written to a temporary name and
 * renamed into place, model.json last, so a crash mid-save leaves either the old model.json (whose shard
 * checksums then fail loudly) or the complete new one. When model.json is among `files`, shard files of an
 * earlier save that the new one does not use are removed.
 */
export async function writeModelDir(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  for (const name of files.keys()) {
    if (!isPlainFileName(name)) throw new Error(`writeModelDir: refusing file name ${JSON.stringify(name)}`);
  }
  await mkdir(dir, { recursive: true });
  const order = [...files.keys()].sort((a, b) => Number(a === MODEL_JSON) - Number(b === MODEL_JSON));
  const tag = randomUUID().slice(0, 8);
  const temps: string[] = [];
  try {
    for (const name of order) {
      const temp = join(dir, `.${name}.${tag}.tmp`);
      temps.push(temp);
      await writeFile(temp, files.get(name)!);
    }
    for (let i = 0; i < order.length; i++) await rename(temps[i]!, join(dir, order[i]!));
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw e;
  }
  if (files.has(MODEL_JSON)) {
    for (const name of await readdir(dir)) {
      if (SHARD_FILE_PATTERN.test(name) && !files.has(name)) await rm(join(dir, name), { force: true });
    }
  }
}

/** The `read` function for decodeModelFiles over a directory; rejects for a missing file or a name that leaves `dir`. */
export function nodeFileReader(dir: string): ReadFile {
  return async (file) => {
    if (!isPlainFileName(file)) throw new Error(`refusing to read ${JSON.stringify(file)} outside ${dir}`);
    const buf = await readFile(join(dir, file));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  };
}
