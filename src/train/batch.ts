/** Padded training tensors from token sequences (built in JS, moved to the backend once). */
import * as tf from '../model/tf';
import type { TrainBatch } from '../model/vlm';
import { FINE_SUBCELLS } from '../model/config';
import { AUX_CHANNELS } from './vision-labels';
import type { DetectKey, FineDetectTensors, GroundingQuery, GroundingTensors } from './grounding';

export interface SequenceLike {
  readonly ids: readonly number[];
  /** Weight of the loss for predicting ids[t] (0 = not trained). */
  readonly weights: readonly number[];
  readonly images: readonly Float32Array[];
  /** Optional dense vision targets per image, [patches · AUX_CHANNELS] each. */
  readonly auxLabels?: readonly Float32Array[];
  /** Optional grounding queries (positions in this sequence; src/train/grounding.ts). */
  readonly grounding?: readonly GroundingQuery[];
}

export interface LossBatch extends TrainBatch {
  /** Next-token targets [B·T] (ids shifted left by one). */
  readonly targets: tf.Tensor1D;
  /** Loss weights [B·T] aligned with targets. */
  readonly lossWeights: tf.Tensor1D;
  /** Tokens with a non-zero weight (for tokens/s). */
  readonly trainedTokens: number;
  readonly totalTokens: number;
  /** [N, patches, channels] when every sequence carries aux labels, else null. */
  readonly auxLabels: tf.Tensor3D | null;
  /** Grounding targets (src/train/grounding.ts); null when no sequence has a query. */
  readonly ground: GroundingTensors | null;
}

/** What the count detector is taught at each key (src/train/grounding.ts, DetectKey): 1 at the counted centres, or each key's share of the counted objects. */
export type DetectTargets = 'centre' | 'share';

/** The detectors' readings: the token detector's (default centre) and the fine detector's on the 4-px cells (default share). */
export interface DetectTeaching {
  readonly detect?: DetectTargets;
  readonly fine?: DetectTargets;
}

/**
 * Pads to the longest sequence. Image blocks are runs of K `imageId`s; each block takes the
 * next of the sequence's images.
 * @throws when a sequence's image runs and images disagree.
 */
export function makeBatch(seqs: readonly SequenceLike[], imageId: number, tokensPerImage: number, padId: number, patchShape: [number, number], teaching: DetectTeaching = {}): LossBatch {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.ids.length));
  const N = seqs.reduce((n, s) => n + s.images.length, 0);
  const K = tokensPerImage;
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const weights = new Float32Array(B * T);
  const placement = N > 0 ? new Float32Array(B * T * N * K) : null;
  const patches = N > 0 ? new Float32Array(N * patchShape[0] * patchShape[1]) : null;
  let imageIndex = 0;
  let trained = 0;
  for (let b = 0; b < B; b++) {
    const s = seqs[b];
    let ownImage = 0;
    let runLength = 0; // position inside the current run of image ids
    for (let t = 0; t < s.ids.length; t++) {
      ids[b * T + t] = s.ids[t];
      if (t + 1 < s.ids.length) {
        targets[b * T + t] = s.ids[t + 1];
        weights[b * T + t] = s.weights[t + 1];
        if (s.weights[t + 1] > 0) trained++;
      }
      if (s.ids[t] !== imageId) {
        runLength = 0;
        continue;
      }
      const k = runLength++ % K;
      if (k === 0) {
        // first token of an image block: its patches go into the batch's image list
        const img = s.images[ownImage++];
        if (!img) throw new Error(`sequence ${b} has more image blocks than images`);
        patches!.set(img, imageIndex * patchShape[0] * patchShape[1]);
        imageIndex++;
      }
      placement![(b * T + t) * N * K + (imageIndex - 1) * K + k] = 1;
    }
    if (ownImage !== s.images.length) throw new Error(`sequence ${b} has ${s.images.length} images but ${ownImage} image blocks`);
  }
  const withAux = N > 0 && seqs.every((s) => s.auxLabels?.length === s.images.length);
  const ground = seqs.some((s) => s.grounding?.length) ? groundingTensors(seqs, T, teaching) : null;
  // aux labels are per encoder patch, which with the conv stem is not per input row
  const auxPatches = withAux ? seqs.find((s) => s.images.length)!.auxLabels![0].length / AUX_CHANNELS : 0;
  return {
    auxLabels: withAux ? tf.tensor3d(concatFloat(seqs.flatMap((s) => s.auxLabels!)), [N, auxPatches, AUX_CHANNELS]) : null,
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    patches: patches ? tf.tensor3d(patches, [N, patchShape[0], patchShape[1]]) : null,
    placement: placement ? tf.tensor2d(placement, [B * T, N * K]) : null,
    targets: tf.tensor1d(targets, 'int32'),
    lossWeights: tf.tensor1d(weights),
    trainedTokens: trained,
    totalTokens: seqs.reduce((n, s) => n + s.ids.length, 0),
    ground,
  };
}

function groundingTensors(seqs: readonly SequenceLike[], T: number, { detect: detectTargets = 'centre', fine: fineTargets = 'share' }: DetectTeaching): LossBatch['ground'] {
  const B = seqs.length;
  // two objects' shares in one cell can pass 1, which a sigmoid cannot reach
  const reading = (targets: DetectTargets, d: DetectKey) => (targets === 'share' ? Math.min(1, d.share) : d.centre ? 1 : 0);
  const mask = new Float32Array(B * T * T);
  const queries = new Float32Array(B * T);
  const sink = new Float32Array(B * T);
  const split = new Float32Array(B * T);
  const detectValues = new Float32Array(B * T * T);
  const detectQueries = new Float32Array(B * T);
  seqs.forEach((s, b) => {
    for (const q of s.grounding ?? []) {
      queries[b * T + q.query] = 1;
      for (const k of q.keys) mask[(b * T + q.query) * T + k] = 1;
      sink[b * T + q.query] = q.sink ?? 0;
      split[b * T + q.query] = q.split ?? 0;
      if (q.detect) {
        detectQueries[b * T + q.query] = 1;
        for (const d of q.detect) detectValues[(b * T + q.query) * T + d.key] = reading(detectTargets, d);
      }
    }
  });
  const unlessZero = (values: Float32Array) => (values.some((v) => v !== 0) ? tf.tensor2d(values, [B, T]) : null);
  const detect = detectQueries.some((v) => v !== 0)
    ? {
      targets: tf.tensor3d(detectValues, [B, T, T]), queries: tf.tensor2d(detectQueries, [B, T]),
      fine: cellRows(seqs, T, (q) => q.detectFine?.map((d): [number, number] => [d.key, reading(fineTargets, d)])),
    }
    : null;
  const aimRows = cellRows(seqs, T, (q) => q.aim?.map((key): [number, number] => [key, 1]), (q) => (q.aimTrusted === false ? 0 : 1));
  const aim = aimRows && { rows: aimRows.rows, targets: aimRows.targets, queries: aimRows.queries, trusted: aimRows.flags!, distrusted: distrustedPositions(seqs, T) };
  return { mask: tf.tensor3d(mask, [B, T, T]), queries: tf.tensor2d(queries, [B, T]), sink: unlessZero(sink), split: unlessZero(split), detect, aim };
}

/**
 * Targets on the 4-px cells at the rows of the queries `values` picks (their [column, value]
 * pairs; undefined leaves the query out), Q rows per sequence: [B, T, 4T] would be 4× the token
 * detector's targets. With `flag`, also one number per picked row, [B, Q]. Null when no query is picked.
 */
function cellRows(seqs: readonly SequenceLike[], T: number, values: (q: GroundingQuery) => readonly [number, number][] | undefined, flag?: (q: GroundingQuery) => number): (FineDetectTensors & { flags?: tf.Tensor2D }) | null {
  const B = seqs.length;
  const entries = seqs.map((s) => (s.grounding ?? []).flatMap((q) => { const v = values(q); return v ? [{ q, v }] : []; }));
  const Q = Math.max(0, ...entries.map((e) => e.length));
  if (Q === 0) return null;
  const width = FINE_SUBCELLS * T;
  const rows = new Float32Array(B * Q * T);
  const targets = new Float32Array(B * Q * width);
  const queries = new Float32Array(B * Q);
  const flags = new Float32Array(B * Q);
  entries.forEach((list, b) => list.forEach(({ q, v }, i) => {
    rows[(b * Q + i) * T + q.query] = 1;
    queries[b * Q + i] = 1;
    if (flag) flags[b * Q + i] = flag(q);
    for (const [key, value] of v) targets[(b * Q + i) * width + key] = value;
  }));
  const picked = { rows: tf.tensor3d(rows, [B, Q, T]), targets: tf.tensor3d(targets, [B, Q, width]), queries: tf.tensor2d(queries, [B, Q]) };
  return flag ? { ...picked, flags: tf.tensor2d(flags, [B, Q]) } : picked;
}

/**
 * [B, T]: 1 at every written position of a sequence none of whose aimed queries is trusted (by
 * default a colour or count question: OracleMix.aimDistrusted): the aim's trust is taught 0 all along it, since
 * the grounding head's look at any position reaches the later ones.
 */
function distrustedPositions(seqs: readonly SequenceLike[], T: number): tf.Tensor2D {
  const out = new Float32Array(seqs.length * T);
  seqs.forEach((s, b) => {
    const aimed = (s.grounding ?? []).filter((q) => q.aim);
    if (!aimed.length || aimed.some((q) => q.aimTrusted !== false)) return;
    // lossWeights[t] trains the token after position t: the positions that write
    for (let t = 0; t + 1 < s.ids.length; t++) if (s.weights[t + 1] > 0) out[b * T + t] = 1;
  });
  return tf.tensor2d(out, [seqs.length, T]);
}

function disposeRows(r: (FineDetectTensors & { trusted?: tf.Tensor2D; distrusted?: tf.Tensor2D }) | null | undefined): void {
  r?.rows.dispose(), r?.targets.dispose(), r?.queries.dispose(), r?.trusted?.dispose(), r?.distrusted?.dispose();
}

export function disposeBatch(batch: LossBatch): void {
  for (const t of [batch.ids, batch.patches, batch.placement, batch.targets, batch.lossWeights, batch.auxLabels, batch.ground?.mask, batch.ground?.queries, batch.ground?.sink, batch.ground?.split, batch.ground?.detect?.targets, batch.ground?.detect?.queries]) t?.dispose();
  disposeRows(batch.ground?.detect?.fine);
  disposeRows(batch.ground?.aim);
}

function concatFloat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

/**
 * Splits a pool of examples into batches of `batchSize` by length (less padding), leaving out any
 * longer than the model's context: a rare oracle trajectory (a recovery with long thoughts and two
 * crops, in the 64-token-per-image `fine` preset) can exceed it, and one such sequence would
 * otherwise abort the run mid-way. The last batch may be short; none is empty.
 */
export function lengthSortedBatches<T extends { readonly ids: readonly number[] }>(pool: readonly T[], batchSize: number, maxSeq: number): { batches: T[][]; dropped: number } {
  const kept = pool.filter((e) => e.ids.length <= maxSeq).sort((a, b) => a.ids.length - b.ids.length);
  const batches: T[][] = [];
  for (let i = 0; i < kept.length; i += batchSize) batches.push(kept.slice(i, i + batchSize));
  return { batches, dropped: pool.length - kept.length };
}
