/**
 * The grounding loss: one decoder attention head is taught to look at the target. Where a
 * thought names the target's region ("… is in the upper left") or a box gives its coordinates,
 * the head's attention from the position that predicts the region word or the coordinate must
 * fall on the image tokens that cover a target, in the view the words or the box refer to. Without it, the decoder of recipes v1–v6 never learnt to find an object by its
 * description: its region words and first boxes stayed at the prior (docs/recipes.md, "Recipe v7").
 * A supervised head carries the target's content and grid position into the residual stream,
 * from where the region word and the box coordinates are a readout.
 */
import * as tf from '../model/tf';
import { FINE_SUBCELLS, GROUND_HEAD } from '../model/config';
import type { SquintTokenizer } from '../model/tokenizer';
import { toolCallText } from '../agent/format';
import { type PixelBox, type Size, letterbox, pixelBox, pixelToView, VIEW_GRID } from '../world/boxes';
import { REGION_ORDER, type RegionName, regionBox, regionName, viewScanAreaCells } from '../world/regions';
import type { CountScan } from './oracle';

export { GROUND_HEAD, groundLayer } from '../model/config';

/** What a query's next word is: a region name, a colour naming targets, a count's number for a region, a box coordinate (on the view or a crop), the answer. */
export type GroundingKind = 'region' | 'colour' | 'count' | 'view box' | 'crop box' | 'answer';

/** One supervised query: the position whose attention is taught, and the positions it should attend. */
export interface GroundingQuery {
  readonly query: number;
  readonly keys: readonly number[];
  /** Optional so hand-made queries in tests need not say; groundingQueries always sets it. */
  readonly kind?: GroundingKind;
  /**
   * The share of the attention that belongs on the sequence's first token, the rest on `keys`
   * (omitted: 0). A counting query of a countMass model looks at each of the n objects and at
   * this "sink" equally, sink 1/(n+1), so the mass it puts on the image tells n.
   */
  readonly sink?: number;
  /**
   * Set when the attention belongs on each key equally rather than anywhere among them, with the
   * weight of that term (1 from groundingQueries; train:sft --split-weight scales it): a count's
   * scan entry of a countPeaks model looks at every counted object's centre alike, so the number
   * of its attention's peaks tells how many there are (the union's −log(mass) lets one object take
   * it all: probe:count found one peak for two and three).
   */
  readonly split?: number;
  /**
   * A countDetector model's count scan entry: every image key a target counted in its area covers
   * or centres on (empty for an area holding none), sorted by key. The detector is taught one of
   * two readings (train:sft --detect-targets): 1 at the centres, or each key's share of its objects.
   */
  readonly detect?: readonly DetectKey[];
  /**
   * A fineDetector model's count entries: the same targets on the 4-px cells, `key` the column
   * of the fine detector's scores (4·position + the cell's place in its token, row then column).
   * Always taught shares: on the finer grid an object covers several cells (docs/recipes.md, probe:tally).
   */
  readonly detectFine?: readonly DetectKey[];
  /**
   * A fineAim model's target on the 4-px cells: the columns of the aim's distribution (as
   * detectFine's keys) of every cell the query's targets overlap; where the query looks at whole
   * tokens instead (a count's entries, a closer look's boxes), their four cells each. The aim
   * steers the grounding head, so it is taught wherever the head is.
   */
  readonly aim?: readonly number[];
  /**
   * False where the aim's trust is taught 0 whatever the aim does (aimTrust): where the query
   * looks at whole tokens (a count's entries) or at several places, and where the question names
   * its target by shape (src/train/data.ts), which a colour matcher on 4-px cells finds far less
   * often than the grounding head does. Omitted: taught whether the aim is right.
   */
  readonly aimTrusted?: boolean;
}

/** One image key of a count scan entry's detector targets. */
export interface DetectKey {
  readonly key: number;
  /** Whether a counted target's centre lies in this key's cell. */
  readonly centre: boolean;
  /** The counted targets' area in this key's cell, each as a share of its whole box: they sum to the count. */
  readonly share: number;
}

/** What a count's scan entries teach besides the grounding head's attention (the model's count pathways). */
export interface CountTeaching {
  /** countMass: look at each counted centre and the first token equally. */
  readonly sink?: boolean;
  /** countPeaks: look at each counted centre equally. */
  readonly split?: boolean;
  /** countDetector: teach the detector its targets. */
  readonly detect?: boolean;
  /** fineDetector: teach the fine detector its targets on the 4-px cells too. */
  readonly fine?: boolean;
}

/** Region names, longest first: a text starting with one names the first that matches ("the left" is no prefix of "the lower left"). */
const REGIONS_LONGEST_FIRST = [...REGION_ORDER].sort((a, b) => b.length - a.length);

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

/** The token grid cells of one image block that cover a target: where a query about it should look. */
export interface BlockTargets {
  /** Position of the block's first image token in the sequence. */
  readonly start: number;
  /** Indices of its grid cells covering a target (empty when none is in view). */
  readonly tokens: readonly number[];
  /**
   * The global view only: the cells of the targets lying in each named region. A region word
   * looks at the targets in the region it names, so a relation's two regions, or a count's list,
   * each point at their own objects rather than all targets at once.
   */
  readonly byRegion?: ReadonlyMap<RegionName, readonly number[]>;
  /** The global view only: the cells of the targets of each colour ("the red object" looks at the red targets). */
  readonly byColour?: ReadonlyMap<string, readonly number[]>;
  /**
   * The global view only: where each entry of a count's scan looks. On `thirds` (recipes ≤ v24),
   * the cells of the targets in the region, or the whole region when it holds none; on `view`
   * areas, the centre cell of each target counted there (the cell that places it in its area), or
   * the whole area.
   */
  readonly countCells?: ReadonlyMap<RegionName, readonly number[]>;
  /** The global view only: the cell holding each target's centre, per scan area, one entry per target (a countMass model looks at one key per object). */
  readonly centresByArea?: ReadonlyMap<RegionName, readonly number[]>;
  /** The global view only: per scan area, the targets counted there (cells, centres, each cell's share of them, and the same on the 4-px cells): what the detectors are taught. */
  readonly countedByArea?: ReadonlyMap<RegionName, CountedTargets>;
  /** The same targets as `tokens` on the 4-px cells (fineOffset's numbering), for the aim pathway; absent without it. */
  readonly fine?: readonly number[];
  /** The global view only, with the aim pathway: `byRegion` and `byColour` on the 4-px cells. */
  readonly fineByRegion?: ReadonlyMap<RegionName, readonly number[]>;
  readonly fineByColour?: ReadonlyMap<string, readonly number[]>;
  /** The global view of a count that looks closer: per zoom, in order, where its box's coordinates look (its area's countCells). */
  readonly lookCells?: readonly (readonly number[])[];
  /** A closer look's crop: the targets it counts (those of its area), as cells, their centres' cells and each cell's share of them. */
  readonly counted?: CountedTargets;
}

/** Where a count of some targets looks (`cells`) and what the count detector is taught there. */
export interface CountedTargets {
  readonly cells: readonly number[];
  readonly centres: readonly number[];
  readonly shares: ReadonlyMap<number, number>;
  /** The same on the 4-px cell grid, each cell numbered by its place in the fine detector's scores (fineOffset), for the fine detector. */
  readonly fine?: CountedTargets;
}

/** `CountedTargets` of `targets` in a view of `size` (their boxes in that view's pixels); with `fine`, also on the grid of twice the side. */
export function countedTargets(targets: readonly PixelBox[], size: Size, side: number, fine = false): CountedTargets {
  const shares = new Map<number, number>();
  for (const t of targets) for (const [k, share] of coverageShares(t, size, side)) shares.set(k, (shares.get(k) ?? 0) + share);
  const counted = { cells: targetTokens(targets, size, side), centres: centreTokens(targets, size, side), shares };
  if (!fine) return counted;
  const onCells = countedTargets(targets, size, 2 * side);
  const offset = (cell: number) => fineOffset(cell, side);
  return { ...counted, fine: { cells: onCells.cells.map(offset), centres: onCells.centres.map(offset), shares: new Map([...onCells.shares].map(([k, share]) => [offset(k), share])) } };
}

/**
 * A cell of the 4-px grid (row-major, twice the token grid's `side`) → its place among its image
 * block's fine detector scores: 4·(its token in the block) + its place in the token (row, then
 * column). The block's first score column is 4·(the block's start).
 */
export function fineOffset(cell: number, side: number): number {
  const [y, x] = [Math.floor(cell / (2 * side)), cell % (2 * side)];
  return FINE_SUBCELLS * ((y >> 1) * side + (x >> 1)) + (y & 1) * 2 + (x & 1);
}

/** `targetTokens` of the targets grouped by `key` (their region, their colour…). */
export function groupedTargetTokens<K>(targets: readonly PixelBox[], keys: readonly K[], size: Size, side: number): Map<K, number[]> {
  const groups = new Map<K, PixelBox[]>();
  targets.forEach((t, i) => groups.set(keys[i], [...(groups.get(keys[i]) ?? []), t]));
  return new Map([...groups].map(([key, group]) => [key, targetTokens(group, size, side)]));
}

/** The cell holding each target's centre (row-major on the side × side grid), one per target. */
export function centreTokens(targets: readonly PixelBox[], size: Size, side: number): number[] {
  return targets.map((t) => {
    const [cx, cy] = [(t[0] + t[2]) / 2, (t[1] + t[3]) / 2];
    return targetTokens([pixelBox(cx, cy, cx, cy)], size, side)[0];
  });
}

/**
 * Each cell a target overlaps, with the share of the target's box that lies in it (summing to 1;
 * a box of no area is all in its centre's cell). A detector taught these shares can say "one
 * object" however the object straddles cell borders, which a 0/1 centre mark cannot.
 */
export function coverageShares(target: PixelBox, size: Size, side: number): Map<number, number> {
  // the box on the token grid, in cells, unrounded (pixelToView rounds to whole view units, which
  // would move a small box's shares across a border)
  const { scale, offsetX, offsetY } = letterbox(size);
  const [x0, y0, x1, y1] = [(target[0] * scale + offsetX) * side, (target[1] * scale + offsetY) * side, (target[2] * scale + offsetX) * side, (target[3] * scale + offsetY) * side];
  const area = (x1 - x0) * (y1 - y0);
  if (area <= 0) return new Map(centreTokens([target], size, side).map((k) => [k, 1]));
  const shares = new Map<number, number>();
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(side, Math.ceil(y1)); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(side, Math.ceil(x1)); x++) {
      const overlap = (Math.min(x1, x + 1) - Math.max(x0, x)) * (Math.min(y1, y + 1) - Math.max(y0, y));
      if (overlap > 0) shares.set(y * side + x, overlap / area);
    }
  }
  return shares;
}

/** `targetTokens` on the 4-px cells of a token grid of `side`, numbered as fineOffset numbers them (the aim's targets). */
export function fineTargetCells(targets: readonly PixelBox[], size: Size, side: number): number[] {
  return targetTokens(targets, size, 2 * side).map((cell) => fineOffset(cell, side));
}

/** `viewTargetTokens` on the 4-px cells, numbered as fineOffset numbers them. */
export function viewFineTargetCells(targets: readonly PixelBox[], view: PixelBox, side: number): number[] {
  return viewTargetTokens(targets, view, 2 * side).map((cell) => fineOffset(cell, side));
}

/**
 * The global view's block, with its targets grouped by region and (when `colours` are given) by
 * colour, and (for a count, `scan`) where each scan entry looks; with `aim`, the same on the 4-px cells.
 */
export function globalBlock(start: number, targets: readonly PixelBox[], colours: readonly string[], size: Size, side: number, scan?: CountScan, aim = false): BlockTargets {
  const regions = targets.map((t) => regionName(t, size));
  const byRegion = groupedTargetTokens(targets, regions, size, side);
  const byColours = colours.length === targets.length;
  const onFineCells = (groups: Map<string, number[]>) => new Map([...groups].map(([key, cells]) => [key, cells.map((cell) => fineOffset(cell, side))]));
  const block = {
    start,
    tokens: targetTokens(targets, size, side),
    byRegion,
    byColour: byColours ? groupedTargetTokens(targets, colours, size, side) : undefined,
    ...(aim
      ? {
        fine: fineTargetCells(targets, size, side),
        fineByRegion: onFineCells(groupedTargetTokens(targets, regions, size, 2 * side)) as Map<RegionName, number[]>,
        fineByColour: byColours ? onFineCells(groupedTargetTokens(targets, colours, size, 2 * side)) : undefined,
      }
      : {}),
  };
  if (!scan) return block;
  const countedByArea = new Map(REGION_ORDER.map((name) => [name, countedTargets(targets.filter((_, i) => scan.ofTargets[i] === name), size, side, true)]));
  const centresByArea = new Map(REGION_ORDER.map((name) => [name, countedByArea.get(name)!.centres]));
  const countCells = new Map(REGION_ORDER.map((name): [RegionName, readonly number[]] => {
    if (scan.areas === 'view') return [name, centresByArea.get(name)!.length ? [...new Set(centresByArea.get(name))].sort((a, b) => a - b) : viewScanAreaCells(name, side)];
    return [name, byRegion.get(name) ?? targetTokens([regionBox(name, size)], size, side)];
  }));
  const lookCells = scan.closer?.map((name) => countCells.get(name)!);
  return { ...block, countCells, centresByArea, countedByArea, ...(lookCells ? { lookCells } : {}) };
}

/** targetTokens for the view cut at `view` (original pixels): targets outside it are left out. */
export function viewTargetTokens(targets: readonly PixelBox[], view: PixelBox, side: number): number[] {
  const local = targets
    .filter((t) => t[0] < view[2] && t[2] > view[0] && t[1] < view[3] && t[3] > view[1])
    .map((t) => pixelBox(Math.max(t[0], view[0]) - view[0], Math.max(t[1], view[1]) - view[1], Math.min(t[2], view[2]) - view[0], Math.min(t[3], view[3]) - view[1]));
  return targetTokens(local, { width: view[2] - view[0], height: view[3] - view[1] }, side);
}

/**
 * The supervised queries of a token sequence. `blocks`: its image blocks in order (the global
 * view first, then each crop), each with the cells covering a target. Queries:
 *   - every trained region name after " in", "," or " and" (the query is " the", which predicts
 *     the region word), pointed at the global view's targets in that region (all its targets
 *     when none lies there, or `byRegion` is not given);
 *   - every number of a count's scan ("the top 2"; the query is the region name's last
 *     token), pointed at the targets in that region, or at the whole region when it holds none;
 *     with `count.sink`, at each target's centre cell and the first token equally (sink 1/(n+1));
 *     with `count.split`, at each counted target's centre cell equally (a region holding none as without);
 *     with `count.detect`, also giving the count detector its targets in the area (`detect`, and
 *     with `count.fine` the fine detector's on the 4-px cells, `detectFine`); an
 *     entry marked " ?" (an area the count looks closer at) the same;
 *   - a closer look's count ("In the crop there are 2 …"; the query is the word before the
 *     number), pointed at the crop's counted targets, the detector taught them too;
 *   - every trained colour word naming targets in a thought before the first crop ("the red
 *     object", "the red objects"; the query is " the"), pointed at the global view's targets of
 *     that colour: a relation's thought names its second object by looking at it;
 *   - every coordinate of a trained box (the query is the token before it: the tool call's
 *     opening, or a comma), pointed at the view the box is written on: the global view for
 *     `bbox_view`, the latest crop for `bbox_crop`; a count's closer look at the area it zooms on;
 *   - the answer as the last thought states it ("… and it is yellow": the query predicts
 *     " yellow"), pointed at the latest view: the head that found the target also brings its
 *     colour, shape or glyph to the word that decides the episode (the answer itself only copies
 *     it); a count that looked closer, at the global view.
 * A query whose view shows no target is left out, except a count's with the sink (all on the sink).
 */
export function groundingQueries(tok: SquintTokenizer, ids: readonly number[], weights: readonly number[], blocks: readonly BlockTargets[], count: CountTeaching = {}): GroundingQuery[] {
  const { sink: countSink = false, split: countSplit = false, detect: countDetect = false, fine: fineDetect = false } = count;
  if (blocks.length === 0) return [];
  const [theId] = tok.encode(' the');
  const [commaId] = tok.encode(',');
  const viewOpening = tok.encode(toolCallText([0, 0, 0, 0], 'view'))[1]; // '{"name":…,"bbox_view":['
  const cropOpening = tok.encode(toolCallText([0, 0, 0, 0], 'crop'))[1];
  const [thinkId, answerId, answerEndId] = [tok.special('<think>'), tok.special('<answer>'), tok.special('</answer>')];
  const regionIds = new Set(REGION_WORDS.map((w) => tok.encode(w)).filter((ids) => ids.length === 1).map(([id]) => id));
  const digitIds = new Set([...'0123456789'].map((d) => tok.encode(` ${d}`)).filter((ids) => ids.length === 1).map(([id]) => id));
  const unsure = tok.encode(' ?'); // a scan entry the count looks closer at
  const unsureAt = (t: number) => unsure.every((id, i) => ids[t + i] === id);
  // the word before a closer look's number ("there are 2", "there is 1", "the crop shows 2")
  const croppedCountIds = new Set([' is', ' are', ' shows'].map((w) => tok.encode(w)).filter((ids) => ids.length === 1).map(([id]) => id));
  // " and" is spelt in characters by this vocabulary, so the text before the query is compared
  const listed = (t: number) => /( in|,| and)$/.test(tok.decode(ids.slice(Math.max(0, t - 3), t)));
  // the region named from position t (" the upper left…"): the longest name the text starts with
  const regionAt = (t: number): RegionName | undefined => {
    const text = tok.decode(ids.slice(t, t + 3));
    return REGIONS_LONGEST_FIRST.find((name) => text.startsWith(` ${name}`));
  };
  // the global view's targets narrowed to a group's cells (and its 4-px cells, for the aim), or all of them when the group has none
  const narrowed = (cells: readonly number[] | undefined, fine?: readonly number[]): BlockTargets => (cells?.length ? { ...blocks[0], tokens: cells, fine } : blocks[0]);
  const firstCrop = blocks[1]?.start ?? ids.length;
  const colourAt = (t: number): string | undefined => {
    const m = /^ the (\w+) (object|shape)s?$/.exec(tok.decode(ids.slice(t, t + 3)));
    return m && blocks[0].byColour?.has(m[1]) ? m[1] : undefined;
  };
  const keysOf = (b: BlockTargets) => b.tokens.map((k) => b.start + k);
  const latestBlock = (t: number) => [...blocks].reverse().find((b) => b.start < t) ?? blocks[0];
  const out: GroundingQuery[] = [];
  // a fineAim model's aim target (the global view has `fine` then): the block's 4-px cells, or each key's four
  const aimOf = (keys: readonly number[], block?: BlockTargets): Pick<GroundingQuery, 'aim' | 'aimTrusted'> => {
    if (!blocks[0].fine) return {};
    if (block?.fine?.length) return { aim: block.fine.map((k) => FINE_SUBCELLS * block.start + k) };
    return { aim: keys.flatMap((k) => Array.from({ length: FINE_SUBCELLS }, (_, cell) => FINE_SUBCELLS * k + cell)), aimTrusted: false };
  };
  const add = (query: number, block: BlockTargets, kind: GroundingKind) => {
    if (block.tokens.length) out.push({ query, keys: keysOf(block), kind, ...aimOf(keysOf(block), block) });
  };
  const trained = (t: number) => t + 1 < ids.length && weights[t + 1] > 0;
  const detectKeys = (centreCells: readonly number[], shares: ReadonlyMap<number, number>, column: (cell: number) => number): DetectKey[] => {
    const centres = new Set(centreCells);
    return [...new Set([...centres, ...shares.keys()])].sort((a, b) => a - b).map((k) => ({ key: column(k), centre: centres.has(k), share: shares.get(k) ?? 0 }));
  };
  // a count entry's detector targets: on the tokens, and with the fine detector on the 4-px cells
  const detection = (block: BlockTargets, counted: CountedTargets) => {
    if (!countDetect) return {};
    const detect = detectKeys(counted.centres, counted.shares, (k) => block.start + k);
    if (!fineDetect || !counted.fine) return { detect };
    return { detect, detectFine: detectKeys(counted.fine.centres, counted.fine.shares, (k) => FINE_SUBCELLS * block.start + k) };
  };
  // a count's scan entry: with the sink, one key per target's centre; else the region's targets, or the whole region
  const countQuery = (region: RegionName, query: number): GroundingQuery | null => {
    const centres = blocks[0].centresByArea?.get(region) ?? [];
    const centreKeys = () => [...new Set(centres)].sort((a, b) => a - b).map((k) => blocks[0].start + k);
    if (countSink) return { query, keys: centreKeys(), kind: 'count', sink: 1 / (centres.length + 1) };
    if (countSplit && centres.length) return { query, keys: centreKeys(), kind: 'count', split: 1 };
    const cells = blocks[0].countCells?.get(region);
    if (!cells?.length) return null;
    const keys = keysOf({ ...blocks[0], tokens: cells });
    return { query, keys, kind: 'count', ...detection(blocks[0], blocks[0].countedByArea!.get(region)!), ...aimOf(keys) };
  };
  let viewBoxes = 0; // view boxes seen so far: a closer look's k-th box looks at its k-th area
  for (let t = 1; t + 1 < ids.length; t++) {
    const region = ids[t] === theId && regionIds.has(ids[t + 1]) ? regionAt(t) : undefined;
    // a count's scan entry ("…, the upper left 2"): the name is fixed by the order, the number is not
    const nameEnd = region ? t + tok.encode(` ${region}`).length - 1 : -1;
    if (region && (digitIds.has(ids[nameEnd + 1]) || unsureAt(nameEnd + 1))) {
      const query = trained(nameEnd) ? countQuery(region, nameEnd) : null;
      if (query) out.push(query);
    } else if (region && listed(t) && trained(t)) add(t, narrowed(blocks[0].byRegion?.get(region), blocks[0].fineByRegion?.get(region)), 'region');
    if (ids[t] === theId && t < firstCrop && trained(t)) {
      const colour = colourAt(t);
      if (colour) add(t, narrowed(blocks[0].byColour?.get(colour), blocks[0].fineByColour?.get(colour)), 'colour');
    }
    const crop = t >= firstCrop && croppedCountIds.has(ids[t]) && digitIds.has(ids[t + 1]) && trained(t) ? latestBlock(t) : undefined;
    if (crop?.counted) {
      const keys = keysOf({ ...crop, tokens: crop.counted.cells });
      out.push({ query: t, keys, kind: 'count', ...detection(crop, crop.counted), ...aimOf(keys) });
    }
    const look = ids[t] === viewOpening ? blocks[0].lookCells?.[viewBoxes++] : undefined;
    if ((ids[t] === viewOpening || ids[t] === cropOpening) && trained(t)) {
      const block = ids[t] === viewOpening ? (look ? narrowed(look) : blocks[0]) : latestBlock(t);
      // the opening predicts x1; the commas two, four and six tokens on predict y1, x2, y2
      for (const q of [t, t + 2, t + 4, t + 6]) if ((q === t || ids[q] === commaId) && trained(q)) add(q, block, ids[t] === viewOpening ? 'view box' : 'crop box');
    }
    if (ids[t] === answerId && trained(t)) {
      const end = ids.indexOf(answerEndId, t);
      const [said] = tok.encode(` ${tok.decode(ids.slice(t + 1, end < 0 ? undefined : end))}`);
      for (let q = t - 2; q > 0 && ids[q] !== thinkId; q--) {
        if (ids[q + 1] === said) {
          if (trained(q)) add(q, blocks[0].lookCells ? blocks[0] : latestBlock(t), 'answer');
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Loss weights with every token a grounding query predicts (a region word, a coordinate, the
 * stated answer) raised to at least `weight`. These few words decide the episode; at weight 1
 * they are a sliver of the loss, and a pathway that only they need (the pointer, the readout)
 * gets gradients dominated by every other position's noise.
 */
export function emphasiseGrounded(weights: readonly number[], grounding: readonly GroundingQuery[], weight: number): number[] {
  const out = [...weights];
  for (const { query } of grounding) if (out[query + 1] > 0) out[query + 1] = Math.max(out[query + 1], weight);
  return out;
}

/**
 * Mean over supervised queries of −log(attention mass on the target tokens), for one head; a
 * query with a sink share f instead pays −[(1−f)·log(mass on targets) + f·log(mass on the first
 * token)], least when the two masses are 1−f and f; a split query of weight w pays −w·mean over
 * its keys of log(attention there), least when each key has 1/n. attention [B, H, T, T].
 */
export function groundingLoss(attention: tf.Tensor4D, ground: GroundingTensors, head = GROUND_HEAD): tf.Scalar {
  const { mask, queries, sink, split } = ground;
  const [B, , T, Tk] = attention.shape;
  const probs = attention.slice([0, head, 0, 0], [B, 1, T, Tk]).reshape([B, T, Tk]);
  // clamp: an untrained head may put (numerically) nothing on the targets
  let ll = probs.mul(mask).sum(-1).maximum(1e-6).log(); // [B, T]
  // the sink starts near 1e-15 (nothing taught the head to look at the first token), so its clamp
  // sits far lower: at 1e-6 it had no gradient, and 300 steps left the sink untouched
  if (sink) ll = ll.mul(tf.scalar(1).sub(sink)).add(probs.slice([0, 0, 0], [B, T, 1]).reshape([B, T]).maximum(1e-30).log().mul(sink));
  if (split) {
    // the mean of log p over the keys (cross-entropy against an even split, least at 1/n each),
    // times its weight, in place of the union's term
    const evenly = probs.maximum(1e-6).log().mul(mask).sum(-1).div(mask.sum(-1).maximum(1));
    ll = ll.mul(tf.scalar(1).sub(split.minimum(1))).add(evenly.mul(split));
  }
  return ll.neg().mul(queries).sum().div(queries.sum().maximum(1)) as tf.Scalar;
}

/**
 * The count detector's loss: at each count scan entry, the binary cross-entropy of its score for
 * every image token against "a counted target's centre is here", summed over the tokens and
 * averaged over entries. detection [B, T, Tk] (zero at text keys); targets [B, T, Tk] with 1 at
 * the centres (or soft: each key's share of the counted objects, where BCE is least at p = share); queries [B, T] with 1 at the entries; imageKeys [B, Tk], 1 at image positions.
 * Summed rather than averaged over tokens: each wrong token moves the count by its whole score.
 * `positiveWeight` scales the centres' term: with one or two centres among 64 tokens, plain BCE
 * is met cheaply by scoring everything low, and a count needs each centre near 1.
 */
export function detectionLoss(detection: tf.Tensor3D, ground: NonNullable<GroundingTensors['detect']>, imageKeys: tf.Tensor2D, positiveWeight = 1): tf.Scalar {
  const { targets, queries } = ground;
  const [B, , Tk] = detection.shape;
  const p = detection.clipByValue(1e-6, 1 - 1e-6);
  const perKey = targets.mul(p.log()).mul(positiveWeight).add(tf.scalar(1).sub(targets).mul(tf.scalar(1).sub(p).log())); // [B, T, Tk]
  const perEntry = perKey.mul(imageKeys.reshape([B, 1, Tk])).sum(-1); // only image keys count
  return perEntry.neg().mul(queries).sum().div(queries.sum().maximum(1)) as tf.Scalar;
}

/**
 * The count gate's loss (countGate): binary cross-entropy of each position's gate against "a
 * count scan's number is written here", the scan entries' mean and every other written
 * position's mean added, so that nine entries a count are not outweighed by hundreds of other
 * tokens. gate [B, T, 1]; entries [B, T] with 1 at the scan entries (null: the batch has none);
 * written [B, T] with 1 where a token is trained.
 */
export function gateLoss(gate: tf.Tensor3D, entries: tf.Tensor2D | null, written: tf.Tensor2D): tf.Scalar {
  const [B, T] = written.shape;
  const g = gate.reshape([B, T]).clipByValue(1e-6, 1 - 1e-6);
  const isEntry = entries ?? tf.zerosLike(written);
  const others = written.mul(tf.scalar(1).sub(isEntry));
  const shut = tf.scalar(1).sub(g).log().mul(others).sum().div(others.sum().maximum(1));
  const open = g.log().mul(isEntry).sum().div(isEntry.sum().maximum(1));
  return shut.add(open).neg() as tf.Scalar;
}

/**
 * The aim pathway's loss (fineAim): at each aimed query, −log(the aim's mass on the 4-px cells its
 * targets overlap), averaged over the queries: the grounding loss's union term on the finer grid.
 * aim [B, T, 4T] (the nowhere share left out, so a position looking nowhere pays for it).
 */
export function aimLoss(aim: tf.Tensor3D, entries: FineDetectTensors): tf.Scalar {
  const { rows, targets, queries } = entries;
  const mass = (tf.matMul(rows, aim) as tf.Tensor3D).mul(targets).sum(-1); // [B, Q]
  return mass.maximum(1e-6).log().neg().mul(queries).sum().div(queries.sum().maximum(1)) as tf.Scalar;
}

/**
 * The aim's trust loss (aimTrust): at each aimed query, the binary cross-entropy of the trust
 * [B, T, 1] against whether to steer there: 1 where the aim's most likely cell is one of the
 * query's target cells (a label read off the aim [B, T, 4T], which no gradient flows through) and
 * the query is trusted (GroundingQuery.aimTrusted), averaged over the queries; plus its
 * cross-entropy against 0 at the `distrusted` positions, averaged over them.
 */
export function trustLoss(aim: tf.Tensor3D, trust: tf.Tensor3D, entries: AimTensors): tf.Scalar {
  const { rows, targets, queries, trusted } = entries;
  const atRows = tf.matMul(rows, aim) as tf.Tensor3D; // [B, Q, 4T]
  const right = tf.oneHot(atRows.argMax(-1), atRows.shape[2]).toFloat().mul(targets).sum(-1).mul(trusted); // [B, Q], 1 or 0
  const p = (tf.matMul(rows, trust) as tf.Tensor3D).squeeze([2]).clipByValue(1e-6, 1 - 1e-6); // [B, Q]
  const ll = right.mul(p.log()).add(tf.scalar(1).sub(right).mul(tf.scalar(1).sub(p).log()));
  const atQueries = ll.neg().mul(queries).sum().div(queries.sum().maximum(1));
  const [B, T] = entries.distrusted.shape;
  const shut = tf.scalar(1).sub(trust.reshape([B, T]).clipByValue(1e-6, 1 - 1e-6)).log(); // log(1 − trust)
  return atQueries.add(shut.mul(entries.distrusted).sum().neg().div(entries.distrusted.sum().maximum(1))) as tf.Scalar;
}

/** A batch's grounding targets (batch.ts builds them from the sequences' queries). */
export interface GroundingTensors {
  /** [B, T, T]: 1 at (sequence, query, target key). */
  readonly mask: tf.Tensor3D;
  /** [B, T]: 1 at supervised queries. */
  readonly queries: tf.Tensor2D;
  /** [B, T]: each query's sink share; null when no query has one. */
  readonly sink: tf.Tensor2D | null;
  /** [B, T]: the weight of the even-split term where the attention belongs on each key equally; null when no query splits. */
  readonly split: tf.Tensor2D | null;
  /**
   * The count detector's targets [B, T, T] (1 at counted centres, or each key's share of them) and
   * entries [B, T]; with the fine detector its entries too (FineDetectTensors). Null when no query has `detect`.
   */
  readonly detect?: { readonly targets: tf.Tensor3D; readonly queries: tf.Tensor2D; readonly fine?: FineDetectTensors | null } | null;
  /** The aim's queries on the 4-px cells, one row each (targets 1 at their cells); null when no query has `aim`. */
  readonly aim?: AimTensors | null;
}

/**
 * The aim's queries (FineDetectTensors' rows), `trusted` [B, Q]: 0 where the trust is taught 0
 * whatever the aim does (GroundingQuery.aimTrusted), and `distrusted` [B, T]: 1 at every written
 * position of a sequence none of whose queries is trusted, where the trust is taught 0 too.
 */
export interface AimTensors extends FineDetectTensors {
  readonly trusted: tf.Tensor2D;
  readonly distrusted: tf.Tensor2D;
}

/**
 * The fine detector's entries (or the aim's queries), Q rows per sequence (the most any sequence has): `rows` [B, Q, T]
 * picks each entry's position (one-hot; zero for padding), `targets` [B, Q, 4T] its 4-px cells'
 * shares, `queries` [B, Q] 1 for a real entry. Only the entries' rows: a [B, T, 4T] target and
 * its loss terms ran the WASM heap out of memory.
 */
export interface FineDetectTensors {
  readonly rows: tf.Tensor3D;
  readonly targets: tf.Tensor3D;
  readonly queries: tf.Tensor2D;
}
