/**
 * What the training worker does: a GRPO run as a loop of GrpoTrainer steps, with pause/resume,
 * autosaves to IndexedDB (so a reload can resume), before/after evaluation, named saves, imports
 * and a gallery of recent rollouts. Reports through `emit`; the worker file only dispatches.
 *
 * A named save reads the weights while the run goes on; GrpoTrainer makes the next update wait
 * for that read (and the read wait for an update in progress), so a saved checkpoint is always
 * the weights after a whole update. Evaluations pause the run first.
 */
import { loadGlyphFont } from './glyph-font';
import * as tf from '../model/tf';
import { parameterCount } from '../model/config';
import { loadSquintModel } from '../model/load';
import type { SquintModel } from '../model/squint-model';
import { ModelFileError, decodeModelFiles, fetchFileReader, MODEL_JSON } from '../model/weights';
import { sampleImage } from '../agent/episode-image';
import { type Trajectory, zoomSteps } from '../agent/trajectory';
import type { EvalReport } from '../rl/eval';
import type { RolloutGroup } from '../rl/rollout';
import { type CheckpointMeta, type Db, StorageError, openSquintDb } from '../storage/db';
import { checkName, memoryFileReader, readCheckpointFiles, saveNamedCheckpoint } from '../storage/checkpoints';
import {
  type EvalSummary, type ModelSource, type RunRecord, type StepPoint, OPTIMIZER_BIN, OPTIMIZER_JSON, autosaveRun, clearRun, loadRun, saveRunRecord,
} from '../storage/runs';
import { type Canvas2D, type CreateCanvas } from '../world/canvas';
import type { Sample } from '../world/types';
import { chooseBackend } from './backend';
import { stepMessage } from './engine';
import { GrpoTrainer, decodeOptimizer, type StepReport } from './grpo-trainer';
import type { GalleryItem, ImportFile, TrainEvent, TrainState } from './train-protocol';
import { type TrainSettings, sanitizeTrainSettings } from './train-settings';
import type { BackendPreference } from './protocol';

export type TrainEmit = (event: TrainEvent, transfer?: Transferable[]) => void;

const createOffscreen: CreateCanvas = (w, h) => new OffscreenCanvas(Math.max(1, Math.round(w)), Math.max(1, Math.round(h))) as unknown as Canvas2D;
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Rollouts kept for the gallery (their trajectories hold crops: a bounded number). */
const GALLERY_SIZE = 12;

interface GalleryEntry {
  readonly item: GalleryItem;
  readonly sample: Sample;
  readonly trajectory: Trajectory;
}

interface Run {
  trainer: GrpoTrainer;
  record: RunRecord;
  controller: AbortController | null;
  /** The loop in progress (null when paused). */
  loop: Promise<void> | null;
}

export function summarizeEval(step: number, r: EvalReport): EvalSummary {
  return { step, n: r.n, accuracy: r.accuracy, toolRate: r.toolRate, formatValidity: r.formatValidity, byFamily: r.byFamily };
}

export function stepPoint(r: StepReport): StepPoint {
  const s = r.stats;
  return {
    step: r.step, reward: s.meanReward, rewardStd: s.stdReward, accuracy: s.accuracy, toolRate: s.toolRate,
    formatErrors: s.rollouts ? s.formatErrors / s.rollouts : 0, kl: r.kl, loss: r.loss, rolloutsPerS: r.rolloutsPerS,
    skippedGroups: s.skippedGroups, time: Date.now(),
  };
}

/** From each group its best and worst rollout (the contrast GRPO learns from). */
function galleryPicks(step: number, groups: readonly RolloutGroup[]): GalleryEntry[] {
  const out: GalleryEntry[] = [];
  groups.forEach((g, gi) => {
    if (!g.rollouts.length) return;
    const sorted = g.rollouts.map((r, i) => ({ r, i })).sort((a, b) => b.r.reward.total - a.r.reward.total);
    const picks = sorted.length > 1 && g.informative ? [sorted[0]!, sorted[sorted.length - 1]!] : [sorted[0]!];
    for (const { r, i } of picks) {
      const t = r.trajectory;
      out.push({
        sample: g.sample, trajectory: t,
        item: {
          key: `${step}-${gi}-${i}`, step, family: g.sample.family, question: g.sample.question, truth: g.sample.answer, answer: t.answer,
          reward: r.reward.total, advantage: r.advantage, zooms: zoomSteps(t).length, turns: t.steps.length, formatValid: t.formatValid,
        },
      });
    }
  });
  return out;
}

export class TrainEngine {
  private readonly emit: TrainEmit;
  private readonly assetBase: string;
  private readonly openDb: () => Promise<Db>;
  private db: Promise<Db> | null = null;
  private backendReady: Promise<unknown> | null = null;
  private preference: BackendPreference = 'auto';
  private run: Run | null = null;
  private state: TrainState = 'idle';
  private gallery: GalleryEntry[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** Tensors alive after the first step: later steps must not add to it. */
  private tensorBaseline = -1;

  constructor(emit: TrainEmit, assetBase: string, openDb: () => Promise<Db> = () => openSquintDb()) {
    this.emit = emit;
    this.assetBase = assetBase;
    this.openDb = openDb;
  }

  private database(): Promise<Db> {
    this.db ??= this.openDb().catch((e) => {
      this.db = null;
      throw new StorageError(`The browser's storage (IndexedDB) is not available: ${errorText(e)}`, false, { cause: e });
    });
    return this.db;
  }

  /** Runs `task` after everything queued before it (loads, saves, evaluations never overlap). */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setState(state: TrainState, detail = ''): void {
    this.state = state;
    this.emit({ type: 'state', state, step: this.run?.trainer.step ?? 0, detail });
  }

  init(preference: BackendPreference): void {
    this.preference = preference;
    this.backendReady = null;
  }

  private ensureBackend(): Promise<unknown> {
    this.backendReady ??= chooseBackend(this.preference).then((b) => {
      this.emit({ type: 'backend', backend: b.backend, threads: b.threads, notes: b.notes });
    }).catch((e) => {
      this.backendReady = null;
      throw e;
    });
    return this.backendReady;
  }

  private loadFont(): Promise<void> {
    return loadGlyphFont(this.assetBase);
  }

  /** A model from its source. @throws ModelFileError / StorageError naming what is wrong. */
  private async loadModel(source: ModelSource): Promise<SquintModel> {
    if (source.kind === 'bundled') return loadSquintModel(fetchFileReader(new URL(source.url, this.assetBase).href));
    const { files } = await readCheckpointFiles(await this.database(), source.id);
    return loadSquintModel(memoryFileReader(files));
  }

  private disposeRun(): void {
    this.run?.controller?.abort();
    this.run?.trainer.dispose();
    this.run = null;
    this.gallery = [];
    this.tensorBaseline = -1;
  }

  private announceRun(): void {
    const r = this.run!.record;
    this.emit({ type: 'run', start: r.start, settings: r.settings, history: r.history, evalBefore: r.evalBefore, evalAfter: r.evalAfter });
  }

  /** Pauses the loop and waits until the step in progress has been cut short. */
  private async halt(): Promise<void> {
    const run = this.run;
    if (!run?.loop) return;
    if (this.state === 'running') this.setState('pausing');
    run.controller?.abort();
    await run.loop;
  }

  start(source: ModelSource, rawSettings: TrainSettings, evalBefore: boolean): Promise<void> {
    const settings = sanitizeTrainSettings(rawSettings);
    return this.serial(async () => {
      await this.halt();
      this.disposeRun();
      this.setState('loading', `Loading ${source.name}…`);
      try {
        await Promise.all([this.ensureBackend(), this.loadFont()]);
        const db = await this.database();
        await clearRun(db);
        const model = await this.loadModel(source);
        const trainer = new GrpoTrainer(model, settings, createOffscreen);
        const record: RunRecord = {
          id: 'current', settings, start: source, position: trainer.state, history: [], evalBefore: null, evalAfter: null, checkpointId: null, updatedAt: Date.now(),
        };
        this.run = { trainer, record, controller: null, loop: null };
        this.announceRun();
        if (evalBefore && settings.evalN > 0) await this.evaluateNow('before');
        await this.autosave();
        this.runLoop();
      } catch (e) {
        this.fail('load', e);
      }
    });
  }

  /** Resumes the paused run, or the one stored in IndexedDB from its last autosave. */
  resume(): Promise<void> {
    return this.serial(async () => {
      try {
        if (this.run) {
          if (!this.run.loop) this.runLoop();
          return;
        }
        this.setState('loading', 'Loading the saved run…');
        await Promise.all([this.ensureBackend(), this.loadFont()]);
        const db = await this.database();
        const record = await loadRun(db);
        if (!record?.checkpointId) throw new StorageError('There is no saved run to resume.', false);
        const { files } = await readCheckpointFiles(db, record.checkpointId);
        const model = await loadSquintModel(memoryFileReader(files));
        const specs = JSON.parse(new TextDecoder().decode(files.get(OPTIMIZER_JSON)!)) as unknown;
        const optimizer = decodeOptimizer(files.get(OPTIMIZER_BIN)!, specs);
        const settings = sanitizeTrainSettings(record.settings);
        // the KL term compares with the run's starting model, not with the autosave
        let reference: SquintModel | undefined;
        if (settings.klCoef > 0) {
          reference = await this.loadModel(record.start).catch(() => {
            this.emit({ type: 'notice', level: 'warning', message: `The run's starting model "${record.start.name}" is gone; the KL term now compares with the autosave.` });
            return undefined;
          });
        }
        let trainer: GrpoTrainer;
        try {
          trainer = new GrpoTrainer(model, settings, createOffscreen, { position: record.position, optimizer, reference });
        } finally {
          for (const t of Object.values(optimizer)) t.dispose();
        }
        // the curves go back to the autosave's step: the weights do too
        const history = record.history.filter((p) => p.step <= record.position.step);
        this.run = { trainer, record: { ...record, settings, history }, controller: null, loop: null };
        this.announceRun();
        this.runLoop();
      } catch (e) {
        this.fail('load', e);
      }
    });
  }

  pause(): Promise<void> {
    return this.halt();
  }

  private runLoop(): void {
    const run = this.run!;
    const controller = new AbortController();
    run.controller = controller;
    this.setState('running');
    run.loop = (async () => {
      try {
        while (!controller.signal.aborted) {
          const report = await run.trainer.trainStep(controller.signal);
          if (!report) break;
          this.afterStep(run, report);
          if (report.step % run.record.settings.saveEvery === 0) await this.autosave();
        }
        await this.autosave();
        if (this.run === run) this.setState('paused');
      } catch (e) {
        if (this.run === run) this.fail('train', e);
      } finally {
        run.loop = null;
        run.controller = null;
      }
    })();
  }

  private afterStep(run: Run, report: StepReport): void {
    const point = stepPoint(report);
    run.record = { ...run.record, history: [...run.record.history, point], position: run.trainer.state };
    const picks = galleryPicks(report.step, report.groups);
    this.gallery = [...this.gallery, ...picks].slice(-GALLERY_SIZE);
    this.emit({ type: 'step', point, gallery: picks.map((p) => p.item) });
    if (report.skippedUpdates > 0) {
      this.emit({ type: 'notice', level: 'warning', message: `Step ${report.step}: the loss or gradient was not finite, so the update was skipped (the weights are unchanged).` });
    }
    // the policy's variables and Adam's moments are the only tensors that outlive a step
    const n = tf.memory().numTensors;
    if (this.tensorBaseline < 0) this.tensorBaseline = n;
    else if (n > this.tensorBaseline) {
      this.emit({ type: 'notice', level: 'warning', message: `Memory: ${n - this.tensorBaseline} tensors outlived step ${report.step} (a leak).` });
      this.tensorBaseline = n;
    }
  }

  /** Writes the last good checkpoint (weights + Adam) and the run record together. */
  private async autosave(): Promise<void> {
    const run = this.run;
    if (!run) return;
    try {
      const files = new Map(await run.trainer.modelFiles(this.card(run)));
      const opt = await run.trainer.optimizerFiles();
      files.set(OPTIMIZER_BIN, opt.data);
      files.set(OPTIMIZER_JSON, new TextEncoder().encode(JSON.stringify(opt.specs)));
      run.record = await autosaveRun(await this.database(), { ...run.record, position: run.trainer.state }, files, this.meta(run));
      this.emit({ type: 'autosaved', step: run.trainer.step });
    } catch (e) {
      // encodeModelFiles refuses non-finite weights: a diverged run is never saved
      this.emit({ type: 'notice', level: 'warning', message: `Autosave at step ${run.trainer.step} failed: ${errorText(e)} The last good autosave is kept.` });
    }
  }

  private meta(run: Run, accuracy?: number): CheckpointMeta {
    const p = run.trainer.policy;
    return { from: run.record.start.name, step: run.trainer.step, preset: p.config.preset, parameters: parameterCount(p.config), ...(accuracy === undefined ? {} : { accuracy }) };
  }

  private card(run: Run): string {
    const s = run.record.settings;
    return `# Squint ${run.trainer.policy.config.preset} (GRPO in the browser)\n\n` +
      `Fine-tuned in Squint's Train mode from "${run.record.start.name}" for ${run.trainer.step} steps: ` +
      `families ${s.families.join(', ')}, difficulty ${s.difficulty}, P ${s.promptsPerStep} × G ${s.groupSize}, lr ${s.lr}, ` +
      `temperature ${s.temperature}, reward ${s.rewardAccuracy}/${s.rewardFormat}/${s.rewardTool}, KL ${s.klCoef}.\n`;
  }

  private async evaluateNow(which: 'before' | 'after'): Promise<void> {
    const run = this.run!;
    const n = run.record.settings.evalN;
    if (n <= 0) return;
    this.setState('evaluating', which === 'before' ? 'Measuring the starting model on the held-out set…' : 'Measuring the fine-tuned model on the held-out set…');
    const report = await run.trainer.evaluate(n, undefined, (done) => this.emit({ type: 'evalProgress', which, done, n }));
    const summary = summarizeEval(run.trainer.step, report);
    run.record = which === 'before' ? { ...run.record, evalBefore: summary } : { ...run.record, evalAfter: summary };
    this.emit({ type: 'eval', which, summary });
    if (run.record.checkpointId) await saveRunRecord(await this.database(), run.record).catch(() => undefined);
  }

  /** Pauses, then evaluates the current weights ("after"). */
  evaluate(): Promise<void> {
    return this.serial(async () => {
      await this.halt();
      if (!this.run) return void this.emit({ type: 'notice', level: 'info', message: 'Start or resume a run first.' });
      try {
        await this.evaluateNow('after');
        this.setState('paused');
      } catch (e) {
        this.fail('train', e);
      }
    });
  }

  discard(): Promise<void> {
    return this.serial(async () => {
      await this.halt();
      this.disposeRun();
      try {
        await clearRun(await this.database());
      } catch (e) {
        this.emit({ type: 'notice', level: 'warning', message: `The stored run could not be removed: ${errorText(e)}` });
      }
      this.setState('idle');
    });
  }

  /** Saves the current weights under a name, between two steps (the run keeps going). */
  save(requestId: number, name: string): Promise<void> {
    return this.serial(async () => {
      try {
        const run = this.run;
        if (!run) throw new StorageError('There is no fine-tuned model to save: start or resume a run first.', false);
        const clean = checkName(name);
        const files = await run.trainer.modelFiles(this.card(run));
        const accuracy = run.record.evalAfter?.step === run.trainer.step ? run.record.evalAfter.accuracy : undefined;
        const record = await saveNamedCheckpoint(await this.database(), clean, this.meta(run, accuracy), files);
        this.emit({ type: 'saved', requestId, record });
      } catch (e) {
        this.emit({ type: 'error', scope: 'save', requestId, message: errorText(e) });
      }
    });
  }

  /**
   * Validates an exported model directory (every check the loader makes: manifest, sizes,
   * checksums, shapes, config, tokenizer, finiteness) and only then stores it.
   */
  importFiles(requestId: number, name: string, list: readonly ImportFile[]): Promise<void> {
    return this.serial(async () => {
      try {
        const clean = checkName(name);
        const files = new Map(list.map((f) => [f.name.split(/[\\/]/).pop()!, new Uint8Array(f.data)]));
        if (!files.has(MODEL_JSON)) throw new ModelFileError(MODEL_JSON, 'missing', 'missing: choose every file of the exported model (model.json, its shards, config.json, tokenizer.json)');
        await this.ensureBackend();
        const decoded = await decodeModelFiles(memoryFileReader(files));
        for (const t of Object.values(decoded.tensors)) t.dispose();
        const model = await loadSquintModel(memoryFileReader(files)); // also checks the tokenizer builds
        const meta: CheckpointMeta = { from: `imported files`, step: 0, preset: model.config.preset, parameters: parameterCount(model.config) };
        model.dispose();
        // only what the loader reads (model.json names its shards): stray files are not kept
        const manifest = JSON.parse(new TextDecoder().decode(files.get(MODEL_JSON)!)) as { shards: { path: string }[] };
        const keep = new Map([...files].filter(([f]) => ['model.json', 'config.json', 'tokenizer.json', 'README.md'].includes(f) || manifest.shards.some((s) => s.path === f)));
        const record = await saveNamedCheckpoint(await this.database(), clean, meta, keep);
        this.emit({ type: 'imported', requestId, record });
      } catch (e) {
        const fe = e instanceof ModelFileError ? e : null;
        this.emit({
          type: 'error', scope: 'import', requestId,
          message: fe ? `Import refused: ${fe.file} — ${fe.fault}: ${fe.message}. Nothing was stored.` : `Import refused: ${errorText(e)}`,
          ...(fe ? { file: fe.file, fault: fe.fault } : {}),
        });
      }
    });
  }

  /** One gallery rollout as the playground shows an episode: the scene and every step with its crop. */
  async rollout(requestId: number, key: string): Promise<void> {
    try {
      const entry = this.gallery.find((g) => g.item.key === key);
      if (!entry) throw new Error('That rollout is no longer in memory (the gallery keeps the most recent ones).');
      await this.loadFont();
      const canvas = sampleImage(entry.sample, createOffscreen).canvas as unknown as OffscreenCanvas;
      const png = await canvas.convertToBlob({ type: 'image/png' });
      const steps = await Promise.all(entry.trajectory.steps.map(stepMessage));
      const t = entry.trajectory;
      this.emit({
        type: 'rollout', requestId,
        view: { key, question: t.question, truth: entry.sample.answer, answer: t.answer, endReason: t.endReason, reward: entry.item.reward, totalMs: t.totalMs, png, width: canvas.width, height: canvas.height, steps },
      });
    } catch (e) {
      this.emit({ type: 'error', scope: 'rollout', requestId, message: errorText(e) });
    }
  }

  private fail(scope: 'load' | 'train', e: unknown): void {
    const fe = e instanceof ModelFileError ? e : null;
    const message = fe ? `The model could not be loaded: ${fe.file} — ${fe.fault}: ${fe.message}` : scope === 'load' ? `Training could not start: ${errorText(e)}` : `Training stopped: ${errorText(e)}`;
    this.emit({ type: 'error', scope: scope === 'load' ? 'load' : 'train', message, ...(fe ? { file: fe.file, fault: fe.fault } : {}) });
    this.setState(this.run ? 'paused' : 'error', message);
  }
}
