/**
 * Which world each training seed draws from. Families that need a zoom (glyph, shape) are
 * over-represented: they carry the skills the model lacks at the start (where to look, reading
 * the crop); the global-view families need fewer examples.
 */
import { createRng, hashSeed } from '../../src/world/rng';
import type { Family, WorldOptions } from '../../src/world/types';

export const FAMILY_WEIGHTS: Record<Family, number> = { glyph: 0.35, shape: 0.25, colour: 0.14, relation: 0.13, count: 0.13 };

/**
 * FAMILY_WEIGHTS with some families' weights replaced: "count=0.3,glyph=0.25" (`--family-weights`).
 * Weights are relative (they need not sum to 1). Throws naming the bad entry.
 */
export function familyWeights(raw: string | undefined): Record<Family, number> {
  const out = { ...FAMILY_WEIGHTS };
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [name, value] = entry.split('=');
    if (!(name in FAMILY_WEIGHTS)) throw new Error(`family weight "${entry}": unknown family "${name}" (allowed: ${Object.keys(FAMILY_WEIGHTS).join(', ')})`);
    const weight = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(weight) || weight < 0) throw new Error(`family weight "${entry}" must be family=weight with a weight ≥ 0`);
    out[name as Family] = weight;
  }
  if (Object.values(out).every((w) => w === 0)) throw new Error('family weights are all zero: no family would be drawn');
  return out;
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
