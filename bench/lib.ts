/**
 * Shared pieces of the Node benchmarks: backend set-up, timing statistics, the machine's
 * description, a matmul reference measured in the same run, and the JSON result file.
 *
 * Benchmarks are measurements, not tests: they assert nothing. Absolute numbers depend on the
 * machine and on whatever else it runs; compare ratios taken within one run.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '../src/model/tf';

export type NodeBackend = 'wasm' | 'cpu';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** @throws when the backend cannot initialise. */
export async function useBackend(name: NodeBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
}

/** Backends from argv (`--backends wasm,cpu`), default both. */
export function backendsArg(defaults: NodeBackend[] = ['wasm', 'cpu']): NodeBackend[] {
  const i = process.argv.indexOf('--backends');
  if (i < 0) return defaults;
  const list = (process.argv[i + 1] ?? '').split(',').filter(Boolean);
  for (const b of list) if (b !== 'wasm' && b !== 'cpu') throw new Error(`unknown backend ${b} (wasm, cpu)`);
  return list as NodeBackend[];
}

/** A numeric argv flag (`--n 30`). */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

export const quick = process.argv.includes('--quick');

export function machine() {
  const c = cpus();
  return {
    description: '2-core x86 VM, no GPU',
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    tfjs: tf.version_core,
    /** 1-minute load average when the benchmark started: > 1 means another process shared the cores. */
    loadAverageAtStart: +loadavg()[0].toFixed(2),
    note: 'the CPU is shared with other work (a training run) on this machine: compare ratios within one run, not absolute numbers across runs',
  };
}

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

export const median = (xs: readonly number[]) => percentile(xs, 0.5);
export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
export const round = (x: number, digits = 2) => (Number.isFinite(x) ? +x.toFixed(digits) : x);

/**
 * GFLOP/s of an n×n×n matMul (2n³ FLOPs) on the current backend: the median of `reps` timed
 * runs after a warm-up, each ending with a read-back so the work has finished.
 */
export async function matmulGflops(n: number, reps = 5): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    const ms = performance.now() - t0;
    c.dispose();
    return ms;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/** Writes bench/results/<name>.json and prints where. */
export async function writeResult(name: string, data: object): Promise<string> {
  const path = join(BENCH_DIR, 'results', `${name}.json`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: machine(), ...data }, null, 2) + '\n');
  console.log(`wrote ${path}`);
  return path;
}

/** Pads a table for the console. */
export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padStart(widths[i])).join('  ')).join('\n');
}
