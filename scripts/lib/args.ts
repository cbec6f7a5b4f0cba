/** Tiny CLI argument helper over node:util parseArgs: typed options, usage on error. */
import { parseArgs } from 'node:util';

type Spec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; help: string }>;

/** Parses argv; prints usage and exits with code 2 on unknown or malformed arguments. */
export function cliArgs<S extends Spec>(command: string, spec: S): { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string } {
  const usage = () =>
    `usage: ${command} [options]\n` +
    Object.entries(spec).map(([k, v]) => `  --${k}${v.type === 'string' ? ' <value>' : ''}  ${v.help}${v.default !== undefined ? ` (default: ${v.default})` : ''}`).join('\n');
  try {
    const { values } = parseArgs({ options: spec as never, strict: true, allowPositionals: false });
    if ((values as Record<string, unknown>).help) {
      console.log(usage());
      process.exit(0);
    }
    return values as never;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage()}`);
    process.exit(2);
  }
}

/** An option that must be given; exits with code 2 and "--name is required" without it. */
export function requiredArg(name: string, raw: string | undefined): string {
  if (!raw) {
    console.error(`--${name} is required`);
    process.exit(2);
  }
  return raw;
}

/** An option parsed by `parse`, which throws on bad input; exits with code 2 and "--name: why" instead. */
export function parsedArg<T>(name: string, raw: string | undefined, parse: (raw: string | undefined) => T): T {
  try {
    return parse(raw);
  } catch (e) {
    console.error(`--${name}: ${(e as Error).message}`);
    process.exit(2);
  }
}

/** Parses a numeric option; exits with a clear message when it is not a number in range. */
export function numberArg(name: string, raw: string, min = -Infinity, max = Infinity): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number in [${min}, ${max}] (got "${raw}")`);
    process.exit(2);
  }
  return v;
}

/** A model directory's name for output files: its own, or its run's for a `checkpoint` directory. */
export function modelName(dir: string): string {
  const parts = dir.split('/').filter(Boolean);
  const last = parts.at(-1) ?? dir;
  return last === 'checkpoint' && parts.length > 1 ? parts[parts.length - 2] : last;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "name=factor,name=factor" → { name: factor }; exits with a clear message on a bad entry. */
export function parseLrScale(raw: string | undefined): Record<string, number> {
  return parseNamedNumbers('lr-scale', raw, 0);
}

/** `--option name=number,name=number` → { name: number }, each at least `min`; exits with a clear message on a bad entry. */
export function parseNamedNumbers(option: string, raw: string | undefined, min = -Infinity): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of (raw ?? '').split(',').filter(Boolean)) {
    const [name, value] = entry.split('=');
    if (!name || value === undefined) {
      console.error(`--${option} entry "${entry}" must be name=number`);
      process.exit(2);
    }
    out[name] = numberArg(`${option} ${name}`, value, min);
  }
  return out;
}

/** An option that must be one of `allowed`; exits with a clear message otherwise. */
export function choiceArg<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  const choice = allowed.find((a) => a === raw);
  if (!choice) {
    console.error(`--${name} must be ${allowed.join(' or ')} (got "${raw}")`);
    process.exit(2);
  }
  return choice;
}

/** A comma-separated option's items, trimmed, empty ones dropped ([] when absent): paths, prefixes. */
export function commaList(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** A comma-separated option whose items must be among `allowed` (undefined when absent); exits with a clear message otherwise. */
export function listArg<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (!raw) return undefined;
  const items = raw.split(',').map((s) => s.trim());
  const bad = items.filter((i) => !allowed.includes(i as T));
  if (bad.length) {
    console.error(`--${name}: unknown ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
    process.exit(2);
  }
  return items as T[];
}

/** "LO,HI" → [LO, HI] with LO < HI; "none" (or nothing) → null. Exits with a message otherwise. */
export function bandArg(name: string, raw: string | undefined): [number, number] | null {
  if (!raw || raw === 'none') return null;
  const parts = raw.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] < 0 || parts[0] >= parts[1]) {
    console.error(`--${name} must be LO,HI with 0 ≤ LO < HI (view px), or none; got "${raw}"`);
    process.exit(2);
  }
  return [parts[0], parts[1]];
}
