/**
 * The grounding loss: one decoder attention head is taught to look at the target. Where a
 * thought names the target's region ("… is in the upper left") or a box on the global view gives
 * its coordinates, the head's attention from the position that predicts the region word or the
 * coordinate must fall on the global view's image tokens that cover a target. Without it, the decoder of recipes v1–v6 never learnt to find an object by its
 * description: its region words and first boxes stayed at the prior (README, "Recipe v7").
 * A supervised head carries the target's content and grid position into the residual stream,
 * from where the region word and the box coordinates are a readout.
 */
import * as tf from '../model/tf';
import type { SquintTokenizer } from '../model/tokenizer';
import { toolCallText } from '../agent/format';
import { type PixelBox, type Size, pixelToView, VIEW_GRID } from '../world/boxes';

/** Decoder layer whose head GROUND_HEAD is supervised: layer 1, after layer 0 gathered the question (the last, in a shallower model). */
export const groundLayer = (layers: number) => Math.min(1, layers - 1);
export const GROUND_HEAD = 0;

/** One supervised query: the position whose attention is taught, and the positions it should attend. */
export interface GroundingQuery {
  readonly query: number;
  readonly keys: readonly number[];
}

/** First words of the region names after "in the" (src/world/regions.ts). */
const REGION_WORDS = [' upper', ' lower', ' left', ' right', ' centre', ' top', ' bottom'];

/** Indices (row-major on the side × side token grid) of the image tokens whose cells a target overlaps. */
export function targetTokens(targets: readonly PixelBox[], size: Size, side: number): number[] {
  const cells = new Set<number>();
  for (const t of targets) {
    const v = pixelToView(t, size); // 0..VIEW_GRID on the letterboxed view
    const cell = (g: number) => Math.min(side - 1, Math.max(0, Math.floor((g / VIEW_GRID) * side)));
    // a box edge exactly on a cell border does not reach into the next cell
    const [x0, y0, x1, y1] = [cell(v[0]), cell(v[1]), cell(Math.max(v[0], v[2] - 1e-6)), cell(Math.max(v[1], v[3] - 1e-6))];
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) cells.add(y * side + x);
  }
  return [...cells].sort((a, b) => a - b);
}

/**
 * The supervised queries of a token sequence, pointed at `tokens` of the image block starting at
 * `imageStart`: every trained " in the <region word>" (the query is " the", which predicts the
 * region word) and every coordinate of a trained box on the global view (the query is the token
 * before it: the tool call's opening, or a comma).
 */
export function groundingQueries(tok: SquintTokenizer, ids: readonly number[], weights: readonly number[], imageStart: number, tokens: readonly number[]): GroundingQuery[] {
  const [inId] = tok.encode(' in');
  const [theId] = tok.encode(' the');
  const [commaId] = tok.encode(',');
  const boxOpening = tok.encode(toolCallText([0, 0, 0, 0], 'view'))[1]; // '{"name":…,"bbox_view":['
  const regionIds = new Set(REGION_WORDS.map((w) => tok.encode(w)).filter((ids) => ids.length === 1).map(([id]) => id));
  const keys = tokens.map((k) => imageStart + k);
  const out: GroundingQuery[] = [];
  const trained = (t: number) => t + 1 < ids.length && weights[t + 1] > 0;
  for (let t = 1; t + 1 < ids.length; t++) {
    if (ids[t] === theId && ids[t - 1] === inId && regionIds.has(ids[t + 1]) && trained(t)) out.push({ query: t, keys });
    if (ids[t] === boxOpening && trained(t)) {
      // the opening predicts x1; the commas two, four and six tokens on predict y1, x2, y2
      for (const q of [t, t + 2, t + 4, t + 6]) if ((q === t || ids[q] === commaId) && trained(q)) out.push({ query: q, keys });
    }
  }
  return out;
}

/**
 * Mean over supervised queries of −log(attention mass on the target tokens), for one head.
 * attention [B, H, T, T]; mask [B, T, T] with 1 at (sequence, query, target key); queries [B, T]
 * with 1 at supervised queries (at least one).
 */
export function groundingLoss(attention: tf.Tensor4D, mask: tf.Tensor3D, queries: tf.Tensor2D, head = GROUND_HEAD): tf.Scalar {
  const [B, , T, Tk] = attention.shape;
  const probs = attention.slice([0, head, 0, 0], [B, 1, T, Tk]).reshape([B, T, Tk]);
  const mass = probs.mul(mask).sum(-1); // [B, T]
  // clamp: an untrained head may put (numerically) nothing on the targets
  const nll = mass.maximum(1e-6).log().neg().mul(queries);
  return nll.sum().div(queries.sum().maximum(1)) as tf.Scalar;
}
