/**
 * Which world each training seed draws from. Families that need a zoom (glyph, shape) are
 * over-represented: they carry the skills the model lacks at the start (where to look, reading
 * the crop); the global-view families need fewer examples.
 */
import { createRng, hashSeed } from '../../src/world/rng';
import { FAMILIES, type Family, type WorldOptions } from '../../src/world/types';
import { ANSWER_VIEW_PX } from '../../src/train/oracle';
import { MODEL_VIEW_SIZE } from '../../src/world/resolvability';

export const FAMILY_WEIGHTS: Record<Family, number> = { glyph: 0.35, shape: 0.25, colour: 0.14, relation: 0.13, count: 0.13 };

/**
 * A "family=number,…" list ("count=0.3,glyph=0.25") → the entries it sets; `what` names the list
 * in errors, and `valid`/`rule` say which numbers it takes. Throws naming the bad entry.
 */
function familyEntries(raw: string | undefined, what: string, valid: (n: number) => boolean, rule: string): Partial<Record<Family, number>> {
  const out: Partial<Record<Family, number>> = {};
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [name, value] = entry.split('=');
    if (!(FAMILIES as readonly string[]).includes(name)) throw new Error(`${what} "${entry}": unknown family "${name}" (allowed: ${FAMILIES.join(', ')})`);
    const n = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(n) || !valid(n)) throw new Error(`${what} "${entry}" must be ${rule}`);
    out[name as Family] = n;
  }
  return out;
}

/** FAMILY_WEIGHTS with some families' weights replaced (`--family-weights`). Weights are relative (they need not sum to 1). */
export function familyWeights(raw: string | undefined): Record<Family, number> {
  const out = { ...FAMILY_WEIGHTS, ...familyEntries(raw, 'family weight', (w) => w >= 0, 'family=weight with a weight ≥ 0') };
  if (Object.values(out).every((w) => w === 0)) throw new Error('family weights are all zero: no family would be drawn');
  return out;
}

/**
 * ANSWER_VIEW_PX with some families' thresholds replaced: "shape=16,colour=9" (`--answer-view`).
 * A family's target is then zoomed on until it spans that many px of the view; a family not in
 * the table is answered from the global view.
 */
export function answerViewPx(raw: string | undefined): Partial<Record<Family, number>> {
  return { ...ANSWER_VIEW_PX, ...familyEntries(raw, 'answer view', (px) => px > 0 && px <= MODEL_VIEW_SIZE, `family=px with 0 < px ≤ ${MODEL_VIEW_SIZE}`) };
}

export function pickWorld(seed: number, base: WorldOptions, weights: Record<Family, number> = FAMILY_WEIGHTS): WorldOptions {
  const rng = createRng(hashSeed(seed, 31));
  const allowed = (base.families ?? (Object.keys(weights) as Family[]));
  const total = allowed.reduce((s, f) => s + weights[f], 0);
  let r = rng.next() * total;
  let family = allowed[allowed.length - 1];
  for (const f of allowed) {
    r -= weights[f];
    if (r <= 0 && weights[f] > 0) { family = f; break; }
  }
  return { ...base, families: [family], difficulty: base.difficulty ?? rng.float(0, 1) };
}
