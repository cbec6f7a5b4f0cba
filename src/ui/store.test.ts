import { describe, expect, it } from 'vitest';
import type { StepMessage, WorkerEvent } from '../worker/protocol';
import { applyEvent } from './bridge';
import {
  DEFAULT_SETTINGS, type EpisodeView, type Settings, type SettingsStorage, createSquintStore, restoreSettings, shownSteps, visibleSteps,
} from './store';
import { TokenStreams } from './tokens';

function memoryStorage(initial: unknown = null): SettingsStorage & { saved: Settings[] } {
  const saved: Settings[] = [];
  return { saved, load: () => initial, save: (s) => saved.push(s) };
}

const episode = (runId: number, extra: Partial<EpisodeView> = {}): EpisodeView => ({
  id: `run-${runId}`, runId, label: 'With the zoom tool', toolEnabled: true, question: 'q', status: 'queued', steps: [],
  answer: null, endReason: null, totalMs: 0, tokens: 0, error: null, imported: false, readings: [], readingSteps: [], shownReading: 0, framings: 1, ...extra,
});

const step = (turn: number, kind: StepMessage['kind'], extra: Partial<StepMessage> = {}): StepMessage => ({
  turn, kind, text: '<think>x</think>', thought: 'x', box: null, requestedBox: null, crop: null, error: null, answer: null, tokens: 3,
  timings: { generateMs: 1, cropMs: 0, encodeMs: 0 }, ...extra,
});

describe('settings slice', () => {
  it('restores only valid fields from storage', () => {
    const s = restoreSettings({ temperature: 0.7, topP: 5, maxTurns: 3, maxTokensPerTurn: 12.5, toolEnabled: 'yes', backend: 'wasm', compare: true, largeText: true, difficulty: 2, seed: 9 });
    expect(s).toEqual({ ...DEFAULT_SETTINGS, temperature: 0.7, maxTurns: 3, backend: 'wasm', compare: true, largeText: true, seed: 9 });
    expect(restoreSettings('garbage')).toEqual(DEFAULT_SETTINGS);
    expect(restoreSettings({ backend: 'webgl' }).backend).toBe('auto');
    // readings on shifted framings: at most 1 to 5, whole
    expect(DEFAULT_SETTINGS.framings).toBe(5);
    expect(restoreSettings({ framings: 1 }).framings).toBe(1);
    expect(restoreSettings({ framings: 3 }).framings).toBe(3);
    for (const bad of [0, 6, 2.5, '3']) expect(restoreSettings({ framings: bad }).framings).toBe(DEFAULT_SETTINGS.framings);
  });

  it('persists every valid update and ignores invalid values', () => {
    const storage = memoryStorage({ maxTurns: 4 });
    const store = createSquintStore(storage);
    expect(store.getState().settings.maxTurns).toBe(4);
    store.getState().updateSettings({ maxTurns: 2, temperature: -1 });
    expect(store.getState().settings.maxTurns).toBe(2);
    expect(store.getState().settings.temperature).toBe(DEFAULT_SETTINGS.temperature);
    expect(storage.saved.at(-1)!.maxTurns).toBe(2);
    store.getState().resetSettings();
    expect(store.getState().settings).toEqual(DEFAULT_SETTINGS);
  });
});

describe('playground slice', () => {
  it('adds steps to the episode of their run only, and replay shows a prefix', () => {
    const store = createSquintStore(memoryStorage());
    const s = store.getState();
    s.setEpisodes([episode(1), episode(2, { toolEnabled: false })]);
    const tokens = new TokenStreams();
    applyEvent(store, tokens, { type: 'step', runId: 2, step: step(0, 'none') });
    applyEvent(store, tokens, { type: 'step', runId: 1, step: step(0, 'error', { error: 'Error: the box is too small' }) });
    applyEvent(store, tokens, { type: 'step', runId: 1, step: step(1, 'answer', { answer: '7' }) });
    const [a, b] = store.getState().episodes;
    expect(a!.steps.map((x) => x.kind)).toEqual(['error', 'answer']);
    expect(b!.steps.map((x) => x.kind)).toEqual(['none']);
    expect(visibleSteps(a!, null)).toHaveLength(2);
    s.setReplayStep(1);
    expect(visibleSteps(store.getState().episodes[0]!, store.getState().replayStep)).toHaveLength(1);
  });

  it('keeps each reading\'s answer and steps as it lands; the answer event then carries the majority\'s', () => {
    const store = createSquintStore(memoryStorage());
    const tokens = new TokenStreams();
    store.getState().setEpisodes([episode(3, { framings: 3 }), episode(4)]);
    applyEvent(store, tokens, { type: 'reading', runId: 3, index: 0, count: 3, answer: '6' });
    expect(store.getState().episodes[0]!.readings).toEqual(['6']);
    applyEvent(store, tokens, { type: 'reading', runId: 3, index: 1, count: 3, answer: null });
    applyEvent(store, tokens, { type: 'reading', runId: 3, index: 2, count: 3, answer: '5' });
    applyEvent(store, tokens, { type: 'answer', runId: 3, answer: '6', reading: 0 });
    const [framed, other] = store.getState().episodes;
    expect(framed!.readings).toEqual(['6', null, '5']);
    expect(framed!.answer).toBe('6');
    expect(other!.readings).toEqual([]);
  });

  it('shows the steps of the first reading that gave the answer, and of any reading asked for', () => {
    const store = createSquintStore(memoryStorage());
    const tokens = new TokenStreams();
    store.getState().setEpisodes([episode(5, { framings: 5 })]);
    // the first reading streams its steps; the later ones bring theirs
    applyEvent(store, tokens, { type: 'step', runId: 5, step: step(0, 'answer', { answer: 'red' }) });
    applyEvent(store, tokens, { type: 'reading', runId: 5, index: 0, count: 5, answer: 'red' });
    const zoom = step(0, 'zoom', { box: [-18, 4, 100, 120] });
    applyEvent(store, tokens, { type: 'reading', runId: 5, index: 1, count: 5, answer: 'blue', steps: [zoom, step(1, 'answer', { answer: 'blue' })] });
    applyEvent(store, tokens, { type: 'reading', runId: 5, index: 2, count: 5, answer: 'blue', steps: [step(0, 'answer', { answer: 'blue' })] });
    applyEvent(store, tokens, { type: 'reading', runId: 5, index: 3, count: 5, answer: 'blue', steps: [step(0, 'answer', { answer: 'blue' })] });
    const id = 'run-5';
    let e = store.getState().episodes[0]!;
    expect(e.readingSteps.map((steps) => steps.length)).toEqual([1, 2, 1, 1]);
    expect(e.readingSteps[0]).toBe(e.steps);
    expect(shownSteps(e)).toBe(e.steps); // the first reading's while the run goes on
    applyEvent(store, tokens, { type: 'answer', runId: 5, answer: 'blue', reading: 1 });
    e = store.getState().episodes[0]!;
    expect(e.shownReading).toBe(1);
    expect(shownSteps(e).map((x) => x.kind)).toEqual(['zoom', 'answer']);
    expect(shownSteps(e)[0]!.box).toEqual([-18, 4, 100, 120]);
    expect(shownSteps(e).at(-1)!.answer).toBe(e.answer);
    // picking a reading shows its steps and starts the replay over
    store.getState().setReplayStep(1);
    store.getState().showReading(id, 0);
    e = store.getState().episodes[0]!;
    expect(visibleSteps(e, store.getState().replayStep).map((x) => x.answer)).toEqual(['red']);
    expect(store.getState().replayStep).toBeNull();
    // a reading that is not there changes nothing
    for (const bad of [-1, 4, 9]) store.getState().showReading(id, bad);
    expect(store.getState().episodes[0]!.shownReading).toBe(0);
  });

  it('follows a run through started, tokens, answer and done', () => {
    const store = createSquintStore(memoryStorage());
    const tokens = new TokenStreams();
    store.getState().setEpisodes([episode(7)]);
    const events: WorkerEvent[] = [
      { type: 'started', runId: 7, width: 100, height: 50 },
      { type: 'token', runId: 7, turn: 0, piece: '<think>' },
      { type: 'token', runId: 7, turn: 0, piece: 'hm' },
    ];
    for (const e of events) applyEvent(store, tokens, e);
    expect(store.getState().episodes[0]!.status).toBe('running');
    expect(tokens.text(7, 0)).toBe('<think>hm');
    expect(tokens.lastTurn(7)).toBe(0);
    // tokens never touch the store
    const before = store.getState().episodes;
    applyEvent(store, tokens, { type: 'token', runId: 7, turn: 1, piece: 'x' });
    expect(store.getState().episodes).toBe(before);
    applyEvent(store, tokens, { type: 'answer', runId: 7, answer: 'blue', reading: 0 });
    applyEvent(store, tokens, { type: 'done', runId: 7, endReason: 'answer', totalMs: 120, formatValid: true, tokens: 3 });
    expect(store.getState().episodes[0]).toMatchObject({ status: 'done', answer: 'blue', endReason: 'answer', totalMs: 120, tokens: 3 });
    applyEvent(store, tokens, { type: 'done', runId: 99, endReason: 'stopped', totalMs: 1, formatValid: false, tokens: 0 });
    expect(store.getState().episodes[0]!.status).toBe('done');
  });

  it('marks stopped and failed runs', () => {
    const store = createSquintStore(memoryStorage());
    const tokens = new TokenStreams();
    store.getState().setEpisodes([episode(1), episode(2)]);
    applyEvent(store, tokens, { type: 'done', runId: 1, endReason: 'stopped', totalMs: 5, formatValid: false, tokens: 1 });
    applyEvent(store, tokens, { type: 'error', scope: 'run', runId: 2, message: 'The run failed: boom' });
    applyEvent(store, tokens, { type: 'done', runId: 2, endReason: 'error', totalMs: 0, formatValid: false, tokens: 0 });
    expect(store.getState().episodes.map((e) => e.status)).toEqual(['stopped', 'error']);
    expect(store.getState().episodes[1]!.error).toContain('boom');
    expect(store.getState().messages.map((m) => m.level)).toEqual(['error']);
  });

  it('a failed worker ends the runs in progress', () => {
    const store = createSquintStore(memoryStorage());
    store.getState().setEpisodes([episode(1, { status: 'running' }), episode(2, { status: 'done' })]);
    applyEvent(store, new TokenStreams(), { type: 'error', scope: 'protocol', message: 'The agent worker failed: out of memory' });
    expect(store.getState().episodes.map((e) => e.status)).toEqual(['error', 'done']);
    expect(store.getState().episodes[0]!.error).toContain('out of memory');
  });

  it('keeps at most five messages, without repeats, and dismisses by id', () => {
    const store = createSquintStore(memoryStorage());
    const s = store.getState();
    for (let i = 0; i < 7; i++) s.notify('info', `m${i}`);
    s.notify('error', 'm6');
    expect(store.getState().messages.map((m) => m.text)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    expect(store.getState().messages.at(-1)!.level).toBe('error');
    store.getState().dismiss(store.getState().messages[0]!.id);
    expect(store.getState().messages).toHaveLength(4);
  });

  it('a new image clears the episodes, the highlight and the replay position', () => {
    const store = createSquintStore(memoryStorage());
    const s = store.getState();
    s.setEpisodes([episode(1)]);
    s.setHighlight({ episodeId: 'run-1', step: 0 });
    s.setReplayStep(0);
    s.setImage({ url: 'blob:x', width: 10, height: 10, name: 'a.png', source: 'file', blob: new Blob(), downscaled: false });
    expect(store.getState()).toMatchObject({ episodes: [], highlight: null, replayStep: null, puzzle: null });
  });

  it('re-setting the same highlight does not notify subscribers', () => {
    const store = createSquintStore(memoryStorage());
    let calls = 0;
    store.subscribe(() => calls++);
    store.getState().setHighlight({ episodeId: 'a', step: 1 });
    store.getState().setHighlight({ episodeId: 'a', step: 1 });
    expect(calls).toBe(1);
  });
});

describe('engine slice', () => {
  it('tracks per-file load progress and reports a load error with file and fault', () => {
    const store = createSquintStore(memoryStorage());
    const tokens = new TokenStreams();
    store.getState().startLoading();
    applyEvent(store, tokens, { type: 'backend', backend: 'wasm', preference: 'auto', threads: 2, notes: ['WebGPU skipped'] });
    applyEvent(store, tokens, { type: 'progress', file: 'weights.shard1of2.bin', fileLoadedBytes: 50, fileTotalBytes: 100, loadedBytes: 60, totalBytes: 220, source: 'network' });
    applyEvent(store, tokens, { type: 'progress', file: 'weights.shard2of2.bin', fileLoadedBytes: 100, fileTotalBytes: 100, loadedBytes: 160, totalBytes: 220, source: 'cache' });
    const st = store.getState();
    expect(st.backend).toEqual({ name: 'wasm', preference: 'auto', threads: 2, notes: ['WebGPU skipped'] });
    expect(st.loadProgress.loaded).toBe(160);
    expect(Object.keys(st.loadProgress.files)).toEqual(['weights.shard1of2.bin', 'weights.shard2of2.bin']);
    applyEvent(store, tokens, { type: 'error', scope: 'load', message: 'weights.shard1of2.bin: sha256 mismatch', file: 'weights.shard1of2.bin', fault: 'checksum' });
    expect(store.getState().modelStatus).toBe('error');
    expect(store.getState().loadError).toEqual({ message: 'weights.shard1of2.bin: sha256 mismatch', file: 'weights.shard1of2.bin', fault: 'checksum' });
    const model = { url: '/m/', preset: 'default', parameters: 1, imageSize: 64, maxSeq: 320, quantization: 'float16', bytes: 10, card: '' };
    applyEvent(store, tokens, { type: 'loaded', model, fromCache: true, ms: 12 });
    expect(store.getState()).toMatchObject({ modelStatus: 'ready', loadError: null, modelFromCache: true });
  });
});
