/**
 * Which world each training seed draws from. Families that need a zoom (glyph, shape) are
 * over-represented: they carry the skills the model lacks at the start (where to look, reading
 * the crop); the global-view families need fewer examples.
 */
import { createRng, hashSeed } from '../../src/world/rng';
import type { Family, WorldOptions } from '../../src/world/types';

export const FAMILY_WEIGHTS: Record<Family, number> = { glyph: 0.35, shape: 0.25, colour: 0.14, relation: 0.13, count: 0.13 };

export function pickWorld(seed: number, base: WorldOptions): WorldOptions {
  const rng = createRng(hashSeed(seed, 31));
  const allowed = (base.families ?? (Object.keys(FAMILY_WEIGHTS) as Family[]));
  const total = allowed.reduce((s, f) => s + FAMILY_WEIGHTS[f], 0);
  let r = rng.next() * total;
  let family = allowed[allowed.length - 1];
  for (const f of allowed) {
    r -= FAMILY_WEIGHTS[f];
    if (r <= 0) { family = f; break; }
  }
  return { ...base, families: [family], difficulty: base.difficulty ?? rng.float(0, 1) };
}
