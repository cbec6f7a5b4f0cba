import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { weightShapes } from '../config';
import {
  CONFIG_JSON, MODEL_JSON, ModelFileError, type ModelFileFault, TOKENIZER_JSON, decodeModelFiles, encodeModelFiles,
  type LoadProgress, tokenizerVocabSize,
} from './index';
import { float16BitsToNumber, float32ToFloat16Bits, quantizeUint8 } from './quantize';
import {
  V, copyFiles, disposeAll, encodeTiny, fakeTokenizer, memoryReader, randomTensors, readJson, rehash, tinyConfig, useCpu, writeJson,
} from './test-utils';

beforeAll(useCpu);

type Files = Map<string, Uint8Array>;

/** Decoding must fail with exactly this file and fault; returns the error for message checks. */
async function expectFault(files: Files, file: string, fault: ModelFileFault): Promise<ModelFileError> {
  const before = tf.memory().numTensors;
  const err = await decodeModelFiles(memoryReader(files)).then(
    (m) => {
      disposeAll(m.tensors);
      throw new Error('decode succeeded but should have failed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelFileError);
  const e = err as ModelFileError;
  expect({ file: e.file, fault: e.fault }).toEqual({ file, fault });
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  return e;
}

function maxAbsError(a: tf.Tensor, b: tf.Tensor) {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

describe('round trip', () => {
  it('float32 is bit-identical, and the result follows weightShapes order', async () => {
    const { config, tensors, files } = await encodeTiny('float32');
    const m = await decodeModelFiles(memoryReader(files));
    expect(m.config).toEqual(config);
    expect(m.quantization).toBe('float32');
    expect(tokenizerVocabSize(m.tokenizerJson)).toBe(V);
    expect(Object.keys(m.tensors)).toEqual(Object.keys(weightShapes(config)));
    for (const [name, t] of Object.entries(tensors)) {
      expect(m.tensors[name]!.shape).toEqual(t.shape);
      expect(m.tensors[name]!.dtype).toBe('float32');
      expect(new Uint8Array(m.tensors[name]!.dataSync().buffer.slice(0))).toEqual(new Uint8Array(t.dataSync().buffer.slice(0)));
    }
    disposeAll(tensors);
    disposeAll(m.tensors);
  });

  it('float16 is IEEE round-to-nearest-even: |error| ≤ |x|·2^-11 + 2^-25 (subnormals included)', async () => {
    const { tensors, files } = await encodeTiny('float16');
    const m = await decodeModelFiles(memoryReader(files));
    expect(m.quantization).toBe('float16');
    for (const [name, t] of Object.entries(tensors)) {
      const x = t.dataSync();
      const y = m.tensors[name]!.dataSync();
      for (let i = 0; i < x.length; i++) {
        const err = Math.abs(x[i]! - y[i]!);
        if (!(err <= Math.abs(x[i]!) * 2 ** -11 + 2 ** -25)) throw new Error(`${name}[${i}]: ${x[i]} → ${y[i]} (error ${err})`);
        // tfjs's float16 decoder agrees with ours bit for bit.
        expect(y[i]).toBe(Math.fround(float16BitsToNumber(float32ToFloat16Bits(x[i]!))));
      }
    }
    disposeAll(tensors);
    disposeAll(m.tensors);
  });

  it('uint8 is affine per tensor: |error| ≤ (max − min)/255/2 (+ float32 rounding); constants are exact', async () => {
    const { tensors, files } = await encodeTiny('uint8');
    const m = await decodeModelFiles(memoryReader(files));
    expect(m.quantization).toBe('uint8');
    for (const [name, t] of Object.entries(tensors)) {
      const x = t.dataSync();
      let lo = Infinity;
      let hi = -Infinity;
      let big = 0;
      for (const v of x) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        big = Math.max(big, Math.abs(v));
      }
      const err = maxAbsError(t, m.tensors[name]!);
      expect(err, name).toBeLessThanOrEqual(((hi - lo) / 255 / 2) * (1 + 1e-9) + big * 2 ** -23);
      if (lo === hi) expect(err, name).toBe(0);
    }
    // Zero stays exactly zero when the range covers it (tfjs-converter's nudging).
    const z = quantizeUint8(new Float32Array([-1.3, 0, 0.7, 2.9]));
    expect(z.q[1]! * z.scale + z.min).toBe(0);
    disposeAll(tensors);
    disposeAll(m.tensors);
  });

  it('splits into shards of at most shardBytes and reassembles them; tf.io.decodeWeights reads the manifest as is', async () => {
    const { tensors, files } = await encodeTiny('float32', 5000);
    const manifest = readJson(files, MODEL_JSON);
    const total = Object.values(tensors).reduce((n, t) => n + t.size * 4, 0);
    const count = Math.ceil(total / 5000);
    expect(manifest.shards).toHaveLength(count);
    expect(manifest.weightsManifest[0].paths).toEqual(manifest.shards.map((s: { path: string }) => s.path));
    manifest.shards.forEach((s: { path: string; bytes: number }, i: number) => {
      expect(s.path).toBe(`weights.shard${i + 1}of${count}.bin`);
      expect(files.get(s.path)!.byteLength).toBe(s.bytes);
      expect(s.bytes).toBe(i < count - 1 ? 5000 : total - 5000 * (count - 1));
    });
    const m = await decodeModelFiles(memoryReader(files));
    const buffers = manifest.shards.map((s: { path: string }) => files.get(s.path)!.slice().buffer);
    const viaTfjs = tf.io.decodeWeights(buffers, manifest.weightsManifest[0].weights);
    for (const [name, t] of Object.entries(tensors)) {
      expect(maxAbsError(t, m.tensors[name]!)).toBe(0);
      expect(maxAbsError(t, viaTfjs[name]!)).toBe(0);
    }
    disposeAll(tensors);
    disposeAll(m.tensors);
    disposeAll(viaTfjs);
  });

  it('quantized shards reassemble too (tensors straddle shard boundaries at odd offsets)', async () => {
    const { tensors, files } = await encodeTiny('uint8', 333);
    const m = await decodeModelFiles(memoryReader(files));
    const whole = await encodeTiny('uint8');
    const ref = await decodeModelFiles(memoryReader(whole.files));
    for (const name of Object.keys(tensors)) expect(maxAbsError(ref.tensors[name]!, m.tensors[name]!)).toBe(0);
    for (const x of [tensors, m.tensors, whole.tensors, ref.tensors]) disposeAll(x);
  });

  it('encoding is deterministic and writes the config, tokenizer text and card as given', async () => {
    const config = tinyConfig();
    const tensors = randomTensors(config);
    const tokenizerText = JSON.stringify(fakeTokenizer(V), null, 2);
    const opts = { config, tokenizerJson: tokenizerText, card: '# Squint tiny\n\nFor tests.\n', tensors, quantization: 'float16' as const };
    const a = await encodeModelFiles(opts);
    const b = await encodeModelFiles(opts);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
    expect(new TextDecoder().decode(a.get(TOKENIZER_JSON))).toBe(tokenizerText);
    expect(new TextDecoder().decode(a.get('README.md'))).toBe(opts.card);
    expect(readJson(a, CONFIG_JSON)).toEqual(config);
    disposeAll(tensors);
  });
});

describe('progress', () => {
  it('reports non-decreasing cumulative bytes with a fixed total, ending at the total', async () => {
    const { tensors, files } = await encodeTiny('float32', 7000);
    const events: LoadProgress[] = [];
    const m = await decodeModelFiles(memoryReader(files), (p) => events.push(p));
    const total = [...files].filter(([k]) => k !== 'README.md').reduce((n, [, v]) => n + v.byteLength, 0);
    expect(events.length).toBe(files.size - 1);
    expect(new Set(events.map((e) => e.file))).toEqual(new Set([...files.keys()].filter((k) => k !== 'README.md')));
    for (let i = 0; i < events.length; i++) {
      expect(events[i]!.totalBytes).toBe(total);
      if (i > 0) expect(events[i]!.loadedBytes).toBeGreaterThan(events[i - 1]!.loadedBytes);
    }
    expect(events.at(-1)!.loadedBytes).toBe(total);
    disposeAll(tensors);
    disposeAll(m.tensors);
  });
});

describe('bad model directories', () => {
  let good: Files;
  let shards: string[];
  beforeAll(async () => {
    const { tensors, files } = await encodeTiny('float32', 50_000);
    disposeAll(tensors);
    good = files;
    shards = readJson(files, MODEL_JSON).shards.map((s: { path: string }) => s.path);
    expect(shards.length).toBe(3);
  });
  const edit = (fn: (files: Files) => unknown) => async () => {
    const files = copyFiles(good);
    await fn(files);
    return files;
  };
  const editManifest = (fn: (m: any) => void) => edit((f) => {
    const m = readJson(f, MODEL_JSON);
    fn(m);
    writeJson(f, MODEL_JSON, m);
  });
  const entry = (m: any, name: string) => m.weightsManifest[0].weights.find((e: { name: string }) => e.name === name);

  it('the fixture itself loads', async () => {
    const m = await decodeModelFiles(memoryReader(good));
    disposeAll(m.tensors);
  });

  it.each([MODEL_JSON, CONFIG_JSON, TOKENIZER_JSON])('missing %s', async (file) => {
    const files = await edit((f) => void f.delete(file))();
    const e = await expectFault(files, file, 'missing');
    expect(e.message).toContain('ENOENT');
  });

  it('missing shard', async () => {
    const files = await edit((f) => void f.delete(shards[1]!))();
    await expectFault(files, shards[1]!, 'missing');
  });

  it('truncated shard', async () => {
    const files = await edit((f) => void f.set(shards[2]!, f.get(shards[2]!)!.slice(0, -10)))();
    const e = await expectFault(files, shards[2]!, 'truncated');
    expect(e.message).toMatch(/has \d+ bytes but model\.json says \d+ \(truncated\)/);
  });

  it('oversized shard', async () => {
    const files = await edit((f) => {
      const b = f.get(shards[0]!)!;
      const longer = new Uint8Array(b.byteLength + 4);
      longer.set(b);
      f.set(shards[0]!, longer);
    })();
    await expectFault(files, shards[0]!, 'oversized');
  });

  it('checksum mismatch (one flipped byte)', async () => {
    const files = await edit((f) => {
      f.get(shards[1]!)![1234]! ^= 0x10;
    })();
    const e = await expectFault(files, shards[1]!, 'checksum');
    expect(e.message).toContain('sha256 mismatch');
  });

  it('shape mismatch in model.json (same size, transposed)', async () => {
    const files = await editManifest((m) => {
      entry(m, 'projector.w1').shape = [32, 64];
    })();
    const e = await expectFault(files, MODEL_JSON, 'shape');
    expect(e.message).toBe('model.json: tensor "projector.w1" has shape [32, 64] but config.json implies [64, 32]');
  });

  it('shape mismatch against config.json (weights from another config)', async () => {
    const files = await edit((f) => writeJson(f, CONFIG_JSON, { ...readJson(f, CONFIG_JSON), maxSeq: 256 }))();
    const e = await expectFault(files, MODEL_JSON, 'shape');
    expect(e.message).toContain('"decoder.pos"');
  });

  it('unknown dtype', async () => {
    const files = await editManifest((m) => {
      entry(m, 'decoder.embed').dtype = 'float64';
    })();
    const e = await expectFault(files, MODEL_JSON, 'dtype');
    expect(e.message).toContain('"decoder.embed"');
    expect(e.message).toContain('"float64"');
  });

  it('unknown quantization dtype', async () => {
    const files = await editManifest((m) => {
      m.quantization = 'uint4';
      for (const e of m.weightsManifest[0].weights) e.quantization = { dtype: 'uint4' };
    })();
    await expectFault(files, MODEL_JSON, 'dtype');
  });

  it('malformed JSON in model.json', async () => {
    const files = await edit((f) => void f.set(MODEL_JSON, f.get(MODEL_JSON)!.slice(0, 100)))();
    const e = await expectFault(files, MODEL_JSON, 'json');
    expect(e.message).toContain('malformed JSON');
  });

  it('malformed JSON in config.json', async () => {
    const files = await edit((f) => void f.set(CONFIG_JSON, new TextEncoder().encode('{"dim": 32,')))();
    await expectFault(files, CONFIG_JSON, 'json');
  });

  it('malformed JSON in tokenizer.json', async () => {
    const files = await edit((f) => void f.set(TOKENIZER_JSON, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))();
    await expectFault(files, TOKENIZER_JSON, 'json');
  });

  it('invalid config (validateConfig message wrapped)', async () => {
    const files = await edit((f) => writeJson(f, CONFIG_JSON, { ...readJson(f, CONFIG_JSON), heads: 3 }))();
    const e = await expectFault(files, CONFIG_JSON, 'config');
    expect(e.message).toBe('config.json: config: dim must be a multiple of heads');
  });

  it('config / tokenizer vocabulary mismatch', async () => {
    const files = await edit((f) => writeJson(f, TOKENIZER_JSON, fakeTokenizer(V - 8)))();
    const e = await expectFault(files, TOKENIZER_JSON, 'vocab-mismatch');
    expect(e.message).toBe(`tokenizer.json: vocabulary has ${V - 8} entries but config.json says vocabSize ${V}`);
  });

  it('tokenizer without a vocabulary', async () => {
    const files = await edit((f) => writeJson(f, TOKENIZER_JSON, { model: { type: 'Unigram' } }))();
    await expectFault(files, TOKENIZER_JSON, 'tokenizer');
  });

  it('missing tensor', async () => {
    const files = await editManifest((m) => {
      m.weightsManifest[0].weights = m.weightsManifest[0].weights.filter((e: { name: string }) => e.name !== 'decoder.ln.b');
    })();
    const e = await expectFault(files, MODEL_JSON, 'missing-tensor');
    expect(e.message).toContain('"decoder.ln.b"');
  });

  it('unexpected tensor', async () => {
    const files = await editManifest((m) => {
      m.weightsManifest[0].weights.push({ name: 'decoder.extra', shape: [1], dtype: 'float32' });
    })();
    const e = await expectFault(files, MODEL_JSON, 'unexpected-tensor');
    expect(e.message).toContain('"decoder.extra"');
  });

  it('tensor listed twice', async () => {
    const files = await editManifest((m) => {
      const w = m.weightsManifest[0].weights;
      w.push({ ...w[0] });
    })();
    await expectFault(files, MODEL_JSON, 'unexpected-tensor');
  });

  it('NaN weights (checksums valid), after earlier tensors were decoded: none leak', async () => {
    const files = await edit(async (f) => {
      const last = f.get(shards[2]!)!;
      new DataView(last.buffer, last.byteOffset).setFloat32(last.byteLength - 8, NaN, true);
      await rehash(f);
    })();
    const names = Object.keys(weightShapes(tinyConfig()));
    const e = await expectFault(files, shards[2]!, 'non-finite');
    expect(e.message).toContain(`"${names.at(-1)}"`);
    expect(e.message).toContain('NaN');
  });

  it('Infinity in a float16 model', async () => {
    const { tensors, files } = await encodeTiny('float16');
    disposeAll(tensors);
    const shard = readJson(files, MODEL_JSON).shards[0].path;
    new DataView(files.get(shard)!.buffer).setUint16(100, 0xfc00, true);
    await rehash(files);
    const e = await expectFault(files, shard, 'non-finite');
    expect(e.message).toContain('"vision.patch.w"');
    expect(e.message).toContain('Infinity at flat index 50');
  });

  it('uint8 range that overflows float32', async () => {
    const { tensors, files } = await encodeTiny('uint8');
    disposeAll(tensors);
    const m = readJson(files, MODEL_JSON);
    m.weightsManifest[0].weights[3].quantization.scale = 1e37;
    writeJson(files, MODEL_JSON, m);
    await expectFault(files, MODEL_JSON, 'non-finite');
  });

  it.each([
    ['wrong format', (m: any) => void (m.format = 'tfjs-graph-model')],
    ['newer formatVersion', (m: any) => void (m.formatVersion = 2)],
    ['missing shards', (m: any) => void delete m.shards],
    ['unknown top-level field', (m: any) => void (m.modelTopology = {})],
    ['unknown entry field', (m: any) => void (m.weightsManifest[0].weights[0].group = 'model')],
    ['path leaving the directory', (m: any) => void (m.weightsManifest[0].paths[0] = m.shards[0].path = '../secret.bin')],
    ['shard without a checksum entry', (m: any) => void m.shards.pop()],
    ['byte totals that disagree', (m: any) => void (m.shards[2].bytes -= 4)],
    ['per-tensor quantization contradicting the manifest', (m: any) => void (m.weightsManifest[0].weights[0].quantization = { dtype: 'float16' })],
  ])('model.json with %s', async (what, fn) => {
    const files = await editManifest(fn)();
    const e = await expectFault(files, MODEL_JSON, what.startsWith('per-tensor') ? 'dtype' : 'format');
    expect(e.message.length).toBeGreaterThan('model.json: '.length + 10);
  });

  it('tensor count returns to baseline after each failure', async () => {
    const baseline = tf.memory().numTensors;
    const broken = [
      await edit((f) => void f.delete(shards[0]!))(),
      await edit((f) => {
        f.get(shards[0]!)![0]! ^= 1;
      })(),
      await edit(async (f) => {
        const last = f.get(shards[2]!)!;
        new DataView(last.buffer, last.byteOffset).setFloat32(last.byteLength - 4, -Infinity, true);
        await rehash(f);
      })(),
    ];
    for (const files of broken) await expect(decodeModelFiles(memoryReader(files))).rejects.toBeInstanceOf(ModelFileError);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('encode refuses what decode would reject', () => {
  const base = () => {
    const config = tinyConfig();
    return { config, tokenizerJson: fakeTokenizer(V), card: '', tensors: randomTensors(config), quantization: 'float32' as const };
  };
  const refuses = async (opts: Parameters<typeof encodeModelFiles>[0], pattern: RegExp) => {
    await expect(encodeModelFiles(opts)).rejects.toThrow(pattern);
    disposeAll(opts.tensors);
  };

  it('missing, unexpected and misshapen tensors', async () => {
    const a = base();
    a.tensors['decoder.head']!.dispose();
    delete a.tensors['decoder.head'];
    await refuses(a, /missing tensor "decoder.head"/);
    const b = base();
    b.tensors['decoder.bogus'] = tf.zeros([2]);
    await refuses(b, /unexpected tensor "decoder.bogus"/);
    const c = base();
    c.tensors['decoder.ln.g']!.dispose();
    c.tensors['decoder.ln.g'] = tf.zeros([31]);
    await refuses(c, /"decoder.ln.g" has shape \[31\] but config needs \[32\]/);
  });

  it('NaN, float16 overflow, vocabulary mismatch, invalid config', async () => {
    const a = base();
    a.tensors['vision.ln.b']!.dispose();
    a.tensors['vision.ln.b'] = tf.fill([16], NaN);
    await refuses(a, /"vision.ln.b" has NaN/);
    const b = base();
    b.tensors['vision.ln.b']!.dispose();
    b.tensors['vision.ln.b'] = tf.fill([16], 70000);
    await refuses({ ...b, quantization: 'float16' }, /beyond float16's range/);
    await refuses({ ...base(), tokenizerJson: fakeTokenizer(V + 1) }, /vocabulary has 41 entries but config says vocabSize 40/);
    await refuses({ ...base(), config: { ...tinyConfig(), heads: 5 } }, /invalid config/);
  });
});

describe('tokenizerVocabSize', () => {
  it('counts Unigram arrays, BPE maps and added tokens beyond the vocab', () => {
    expect(tokenizerVocabSize(fakeTokenizer(12))).toBe(12);
    expect(tokenizerVocabSize({ model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2 } }, added_tokens: [{ id: 4, content: '<x>' }] })).toBe(5);
  });
});

describe('float16 conversion', () => {
  it('rounds to nearest even and handles subnormals, overflow and specials', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
      [Infinity, 0x7c00], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [2 ** -25 * 1.0001, 0x0001], [3 * 2 ** -25, 0x0002],
      [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [0.1, 0x2e66],
    ];
    for (const [x, bits] of cases) expect(float32ToFloat16Bits(x), String(x)).toBe(bits);
    expect(Number.isNaN(float16BitsToNumber(float32ToFloat16Bits(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h++) expect(float32ToFloat16Bits(float16BitsToNumber(h))).toBe(h);
  });
});
