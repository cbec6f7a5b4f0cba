import { describe, expect, it } from 'vitest';
import { createSquintStore } from '../store';
import { applyTrainEvent } from './train-bridge';
import { DEFAULT_TRAIN_SETTINGS, sanitizeTrainSettings } from '../../worker/train-settings';
import type { StepPoint } from '../../storage/runs';

const memory = { load: () => null, save: () => undefined };
const point = (step: number, reward: number): StepPoint => ({
  step, reward, rewardStd: 0.1, accuracy: 0.5, toolRate: 0.2, formatErrors: 0, kl: null, loss: 0.01, rolloutsPerS: 3, skippedGroups: 0, time: step,
});
const start = { kind: 'bundled' as const, name: 'default', url: '/models/default/' };

describe('training slice and bridge', () => {
  it('a run, its steps, evaluations and state land in the store; the gallery keeps the newest first', () => {
    const store = createSquintStore(memory);
    applyTrainEvent(store, { type: 'run', start, settings: DEFAULT_TRAIN_SETTINGS, history: [point(1, 0.1)], evalBefore: null, evalAfter: null });
    applyTrainEvent(store, { type: 'state', state: 'running', step: 1, detail: '' });
    const item = (key: string) => ({ key, step: 2, family: 'colour', question: 'q', truth: 'red', answer: 'red', reward: 0.8, advantage: 1, zooms: 0, turns: 1, formatValid: true });
    applyTrainEvent(store, { type: 'step', point: point(2, 0.4), gallery: [item('a'), item('b')] });
    applyTrainEvent(store, { type: 'step', point: point(3, 0.5), gallery: [item('c')] });
    applyTrainEvent(store, { type: 'eval', which: 'after', summary: { step: 3, n: 4, accuracy: 0.5, toolRate: 0, formatValidity: 1, byFamily: {} } });
    const s = store.getState();
    expect(s.trainState).toBe('running');
    expect(s.history.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(s.trainStep).toBe(3);
    expect(s.gallery.map((g) => g.key)).toEqual(['c', 'a', 'b']);
    expect(s.evalAfter?.accuracy).toBe(0.5);
  });

  it('a stored run shows its curves up to its autosave, and its settings become the form', () => {
    const store = createSquintStore(memory);
    store.getState().setStoredRun({
      id: 'current', settings: { ...DEFAULT_TRAIN_SETTINGS, lr: 3e-4 }, start, position: { step: 2, dataCursor: 4, adamStep: 2 },
      history: [point(1, 0.1), point(2, 0.2), point(3, 0.3)], evalBefore: null, evalAfter: null, checkpointId: 'ck', updatedAt: 5,
    });
    const s = store.getState();
    expect(s.storedRun).toEqual({ start, step: 2, updatedAt: 5 });
    expect(s.history.map((p) => p.step)).toEqual([1, 2]);
    expect(s.draft.lr).toBe(3e-4);
  });

  it('errors with a request id are left to the caller; others become messages', () => {
    const store = createSquintStore(memory);
    applyTrainEvent(store, { type: 'error', scope: 'save', requestId: 3, message: 'full' });
    expect(store.getState().messages).toHaveLength(0);
    applyTrainEvent(store, { type: 'error', scope: 'train', message: 'Training stopped: x' });
    expect(store.getState().messages.map((m) => m.text)).toEqual(['Training stopped: x']);
  });
});

describe('sanitizeTrainSettings', () => {
  it('keeps valid fields and defaults the rest', () => {
    const s = sanitizeTrainSettings({ lr: 2e-4, groupSize: 1, temperature: Number.NaN, maxTurns: 2.5, families: ['glyph', 'nope'], difficulty: 'weird', scenePool: 3 });
    expect(s.lr).toBe(2e-4);
    expect(s.groupSize).toBe(DEFAULT_TRAIN_SETTINGS.groupSize); // G ≥ 2
    expect(s.temperature).toBe(DEFAULT_TRAIN_SETTINGS.temperature);
    expect(s.maxTurns).toBe(DEFAULT_TRAIN_SETTINGS.maxTurns);
    expect(s.families).toEqual(['glyph']);
    expect(s.difficulty).toBe(DEFAULT_TRAIN_SETTINGS.difficulty);
    expect(s.scenePool).toBe(3);
    expect(sanitizeTrainSettings(null)).toEqual(DEFAULT_TRAIN_SETTINGS);
  });
});
