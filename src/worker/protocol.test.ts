import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RUN_SETTINGS, MAX_DECODE_PIXELS, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, type WorkerEvent, type WorkerRequest, assertNever,
  downscaleNotice, isBackendPreference, sanitizeSettings, sizeVerdict, transferablesOf,
} from './protocol';

/** Type-level check that every event type is handled: adding one breaks compilation here. */
function describeEvent(e: WorkerEvent): string {
  switch (e.type) {
    case 'backend': return `backend ${e.backend}`;
    case 'progress': return `progress ${e.loadedBytes}/${e.totalBytes}`;
    case 'loaded': return 'loaded';
    case 'notice': return e.message;
    case 'started': return `started ${e.runId}`;
    case 'token': return e.piece;
    case 'step': return e.step.kind;
    case 'reading': return `reading ${e.index + 1} of ${e.count}: ${e.answer}`;
    case 'answer': return e.answer;
    case 'done': return e.endReason;
    case 'puzzle': return e.info.question;
    case 'selfTest': return e.backend;
    case 'error': return e.message;
    default: return assertNever(e, 'event');
  }
}

describe('protocol', () => {
  it('handles every event type exhaustively, and assertNever rejects unknown ones at run time', () => {
    expect(describeEvent({ type: 'answer', runId: 1, answer: '7', reading: 0 })).toBe('7');
    expect(describeEvent({ type: 'reading', runId: 1, index: 1, count: 3, answer: '6' })).toBe('reading 2 of 3: 6');
    expect(describeEvent({ type: 'done', runId: 1, endReason: 'stopped', totalMs: 0, formatValid: false, tokens: 0 })).toBe('stopped');
    expect(() => describeEvent({ type: 'bogus' } as unknown as WorkerEvent)).toThrow(/Unhandled event: "bogus"/);
  });

  it('transfers the image of a run and nothing else', () => {
    const image = { close() {} } as unknown as ImageBitmap;
    expect(transferablesOf({ type: 'run', runId: 1, image, question: 'q', settings: DEFAULT_RUN_SETTINGS })).toEqual([image]);
    const others: WorkerRequest[] = [
      { type: 'init', backend: 'auto' }, { type: 'load', url: '/m/' }, { type: 'stop', runId: 1 },
      { type: 'newPuzzle', requestId: 1, seed: 1, difficulty: 0.5 }, { type: 'selfTest', requestId: 2 },
    ];
    for (const r of others) expect(transferablesOf(r)).toEqual([]);
    expect(() => transferablesOf({ type: 'nope' } as unknown as WorkerRequest)).toThrow(/Unhandled request/);
  });

  it('validates backend preferences', () => {
    for (const b of ['auto', 'webgpu', 'wasm', 'cpu']) expect(isBackendPreference(b)).toBe(true);
    for (const b of ['webgl', '', null, 3, 'WASM']) expect(isBackendPreference(b)).toBe(false);
  });

  it('clamps run settings to their bounds and replaces non-finite values', () => {
    const s = sanitizeSettings({ temperature: 9, topP: 0, maxTurns: 99.4, maxTokensPerTurn: Number.NaN, toolEnabled: false, seed: 1.5, framings: 7 });
    expect(s).toEqual({ temperature: 2, topP: 0.05, maxTurns: 10, maxTokensPerTurn: DEFAULT_RUN_SETTINGS.maxTokensPerTurn, toolEnabled: false, seed: DEFAULT_RUN_SETTINGS.seed, framings: 5 });
    expect(sanitizeSettings({ ...DEFAULT_RUN_SETTINGS, framings: 0 }).framings).toBe(1);
    expect(sanitizeSettings({ ...DEFAULT_RUN_SETTINGS, framings: Number.NaN }).framings).toBe(DEFAULT_RUN_SETTINGS.framings);
    expect(sanitizeSettings(DEFAULT_RUN_SETTINGS)).toEqual(DEFAULT_RUN_SETTINGS);
  });
});

describe('image size limits', () => {
  it('accepts images within the limit as they are', () => {
    expect(sizeVerdict(2048, 1536)).toEqual({ kind: 'ok', width: 2048, height: 1536 });
    expect(sizeVerdict(MAX_IMAGE_SIDE, 4000)).toEqual({ kind: 'ok', width: MAX_IMAGE_SIDE, height: 4000 });
  });

  it('downscales a long side over the limit, keeping the aspect ratio', () => {
    const v = sizeVerdict(12000, 600);
    expect(v.kind).toBe('downscale');
    if (v.kind !== 'downscale') return;
    expect(v.width).toBe(MAX_IMAGE_SIDE);
    expect(v.height).toBe(409);
    expect(downscaleNotice(v)).toMatch(/12000×600 px .* downscaled to 8192×409 px/);
  });

  it('downscales by pixel count to at most the pixel limit', () => {
    const v = sizeVerdict(8000, 8000); // 64 MP, sides within limit
    expect(v.kind).toBe('downscale');
    if (v.kind !== 'downscale') return;
    expect(v.width * v.height).toBeLessThanOrEqual(MAX_IMAGE_PIXELS);
    expect(v.width * v.height).toBeGreaterThan(MAX_IMAGE_PIXELS * 0.99);
    expect(Math.abs(v.width / v.height - 1)).toBeLessThan(0.01);
  });

  it('refuses images too large to decode safely, and invalid sizes', () => {
    const big = sizeVerdict(40000, 40000);
    expect(big.kind).toBe('refuse');
    if (big.kind === 'refuse') expect(big.reason).toMatch(/40000×40000 px .* too large to open safely/);
    expect(sizeVerdict(20000, 5001).kind).toBe('refuse'); // 100.02 MP
    expect(sizeVerdict(20000, 5000).kind).toBe('downscale'); // exactly MAX_DECODE_PIXELS
    expect(20000 * 5000).toBe(MAX_DECODE_PIXELS);
    expect(sizeVerdict(0, 10).kind).toBe('refuse');
    expect(sizeVerdict(Number.NaN, 10).kind).toBe('refuse');
  });
});
