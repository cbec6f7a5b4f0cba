/**
 * The model directories the app serves (models/*): each loads through the same validating loader
 * the browser uses (manifest, sha256 of every shard, config, tokenizer) and the default stays
 * within the 10 MB budget of issue #3.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from './tf';
import { loadSquintModel } from './load';
import { nodeFileReader } from './weights/node-files';

const MODELS = join(__dirname, '../../models');
const dirs = readdirSync(MODELS).filter((d) => statSync(join(MODELS, d)).isDirectory());
const dirBytes = (dir: string) => readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);

describe('shipped models', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are there: default, base and base-fine', () => {
    expect(dirs).toEqual(expect.arrayContaining(['default', 'base', 'base-fine']));
  });

  it.each(dirs)('models/%s loads and validates, weights finite', async (name) => {
    const model = await loadSquintModel(nodeFileReader(join(MODELS, name)));
    try {
      expect(model.tokenizer.vocabSize).toBe(model.config.vocabSize);
      for (const [key, w] of Object.entries(model.vlm.weights)) {
        const bad = tf.tidy(() => tf.logicalNot(tf.isFinite(w)).any().dataSync()[0]);
        expect(bad, key).toBe(0);
      }
    } finally {
      model.dispose();
    }
  });

  it('the default model is at most 10 MB in all', () => {
    expect(dirBytes(join(MODELS, 'default'))).toBeLessThan(10 * 1024 * 1024);
  });
});
