/** Writing a shippable model directory from the command line (npm run export, npm run average). */
import { rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { loadSquintModel } from '../../src/model/load';
import { nodeFileReader, writeModelDir } from '../../src/model/weights/node-files';
import { QUANTIZATIONS, type Quantization } from '../../src/model/weights';

/** Replaces `dir` with `files`, then loads it back through the app's validating loader (throws if anything is off). Returns its size in bytes. */
export async function replaceModelDir(dir: string, files: Map<string, Uint8Array>): Promise<number> {
  if (existsSync(dir)) await rm(dir, { recursive: true });
  await writeModelDir(dir, files);
  (await loadSquintModel(nodeFileReader(dir))).dispose();
  return [...files.values()].reduce((n, f) => n + f.byteLength, 0);
}

/** The `--quantization` argument, or exit 2 naming the allowed values. */
export function quantizationArg(raw: string | undefined): Quantization {
  if (!QUANTIZATIONS.includes(raw as Quantization)) {
    console.error(`--quantization must be one of ${QUANTIZATIONS.join(', ')}`);
    process.exit(2);
  }
  return raw as Quantization;
}
