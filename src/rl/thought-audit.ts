/**
 * What a model's thoughts say, read back from `npm run eval` records: whether a relation thought
 * names both objects, whether the regions it names can decide the answer (they are thirds of the
 * image), which counts a model answers for each true count, how a count's region-by-region scan
 * goes wrong, and whether it notices a zoom that missed. The README's account of relation, count
 * and recovery comes from here.
 */
import { REGION_ORDER, type RegionName, type ScanAreas } from '../world/regions';
import type { EpisodeRecord } from './eval';

type Audited = Pick<EpisodeRecord, 'family' | 'truth' | 'answer' | 'correct' | 'thoughts' | 'targetRegions' | 'viewAreas'>;

/** A thought saying the crop missed, in the oracle's words (src/train/oracle.ts, missThought). */
export const SAYS_MISS = /not in this crop|this crop missed|do not see/i;

export interface RecoveryAudit {
  /** Episodes whose first zoom missed the target; how many then said so, and how many ended right. */
  readonly missed: { readonly n: number; readonly saidSo: number; readonly right: number };
  /** Episodes whose first zoom held the target, and how many said it had missed (false alarms). */
  readonly hit: { readonly n: number; readonly saidMissed: number };
}

/** Does the model notice when its first zoom misses? A recovery thought is any after the first. */
export function recoveryAudit(records: readonly Pick<EpisodeRecord, 'firstZoomHits' | 'thoughts' | 'correct'>[]): RecoveryAudit {
  const saysMiss = (r: { thoughts: readonly string[] }) => r.thoughts.slice(1).some((t) => SAYS_MISS.test(t));
  const missed = records.filter((r) => r.firstZoomHits === false);
  const hit = records.filter((r) => r.firstZoomHits === true);
  return {
    missed: { n: missed.length, saidSo: missed.filter(saysMiss).length, right: missed.filter((r) => r.correct).length },
    hit: { n: hit.length, saidMissed: hit.filter(saysMiss).length },
  };
}

export interface RelationAudit {
  readonly n: number;
  /** Thoughts in the oracle's form ("the A object is in R1 and the B object is in R2, so …"). */
  readonly parsed: number;
  /** …that name the same object twice. */
  readonly sameObjectTwice: number;
  /** …whose two regions differ along the asked axis, so they decide the answer; and how many of those are right. */
  readonly decided: { readonly n: number; readonly right: number };
  /** …whose two regions share the asked axis's third: the regions cannot decide. */
  readonly undecided: { readonly n: number; readonly right: number };
}

const RELATION_THOUGHT = /: the (\w+) object is in (the [a-z ]+?) and the (\w+) object is in (the [a-z ]+?), so/;

/** Column and row (0–2) of a region name. */
function cell(name: string): [number, number] | null {
  const i = REGION_ORDER.indexOf(name as RegionName);
  return i < 0 ? null : [i % 3, Math.floor(i / 3)];
}

export function relationAudit(records: readonly Audited[]): RelationAudit {
  const rs = records.filter((r) => r.family === 'relation');
  let parsed = 0;
  let sameObjectTwice = 0;
  const decided = { n: 0, right: 0 };
  const undecided = { n: 0, right: 0 };
  for (const r of rs) {
    const m = RELATION_THOUGHT.exec(r.thoughts[r.thoughts.length - 1] ?? '');
    const [a, b] = [cell(m?.[2] ?? ''), cell(m?.[4] ?? '')];
    if (!m || !a || !b) continue;
    parsed++;
    if (m[1] === m[3]) sameObjectTwice++;
    const axis = r.truth === 'left' || r.truth === 'right' ? 0 : 1;
    const bucket = a[axis] === b[axis] ? undecided : decided;
    bucket.n++;
    if (r.correct) bucket.right++;
  }
  return { n: rs.length, parsed, sameObjectTwice, decided, undecided };
}

/** For each true count, how many episodes answered each count (answers that are not a count under "other"). */
export function countAnswers(records: readonly Audited[]): Map<string, Map<string, number>> {
  const table = new Map<string, Map<string, number>>();
  for (const r of records.filter((x) => x.family === 'count')) {
    const row = table.get(r.truth) ?? new Map<string, number>();
    const said = r.answer !== null && /^\d+$/.test(r.answer) ? r.answer : 'other';
    row.set(said, (row.get(said) ?? 0) + 1);
    table.set(r.truth, row);
  }
  return table;
}

export interface CountScanAudit {
  readonly n: number;
  /** Count thoughts that go over all nine regions in order, each with its number (src/train/oracle.ts, countScan). */
  readonly scans: number;
  /** …whose answer is the sum of the scan's numbers. */
  readonly answerIsSum: number;
  /** Regions scanned (nine a scan) in records that know their targets' regions, and how many of them the scan got right. */
  readonly regions: number;
  readonly regionsRight: number;
  /** Regions whose number was below the objects there (missed) or above (phantom). */
  readonly missed: number;
  readonly phantom: number;
  /** Scans whose every number is right. */
  readonly allRight: number;
  /** Scored regions by the objects they hold (0, 1, 2 = two or more): how many, and how many the scan got right. */
  readonly byObjects: readonly [RegionTally, RegionTally, RegionTally];
  /** Areas the scan marked "?" and looked closer at, by the objects they hold: how many, and how many its crop's count got right. */
  readonly looked: readonly [RegionTally, RegionTally, RegionTally];
}

export interface RegionTally {
  readonly n: number;
  readonly right: number;
}

const SCAN_ENTRY = /(the [a-z ]+?) (\d+|\?)(?=[,.])/g;

/**
 * The nine numbers of a count scan ("…area by area: the upper left 0, the top 1, …"), null for an
 * area marked "?" (one the count looks closer at); null when the thought is not a scan.
 */
export function scanCounts(thought: string): (number | null)[] | null {
  const at = thought.indexOf('area by area:');
  if (at < 0) return null;
  const entries = [...thought.slice(at).matchAll(SCAN_ENTRY)].slice(0, REGION_ORDER.length);
  if (entries.length < REGION_ORDER.length || entries.some((m, i) => m[1] !== REGION_ORDER[i])) return null;
  return entries.map((m) => (m[2] === '?' ? null : Number(m[2])));
}

const CROP_COUNT = /(?:there (?:is|are)|crop shows) (\d+) of them/;

/** What each closer look's crop counted ("In the crop there are 2 of them", "The crop shows 1 of them"), in order. */
export function cropCounts(thoughts: readonly string[]): number[] {
  return thoughts.flatMap((t) => {
    const m = CROP_COUNT.exec(t);
    return m ? [Number(m[1])] : [];
  });
}

/** `areas`: which split the scans are scored on, the image's thirds or the view's token-aligned areas (src/world/regions.ts). */
export function countScanAudit(records: readonly Audited[], areas: ScanAreas = 'thirds'): CountScanAudit {
  const rs = records.filter((r) => r.family === 'count');
  type Tally = { n: number; right: number };
  const tallies = (): [Tally, Tally, Tally] => [{ n: 0, right: 0 }, { n: 0, right: 0 }, { n: 0, right: 0 }];
  const [byObjects, looked] = [tallies(), tallies()];
  const out = { n: rs.length, scans: 0, answerIsSum: 0, regions: 0, regionsRight: 0, missed: 0, phantom: 0, allRight: 0, byObjects, looked };
  for (const r of rs) {
    // the scan is the first thought of a count that looks closer, the only one of one that does not
    const at = r.thoughts.findIndex((t) => scanCounts(t));
    if (at < 0) continue;
    const counts = scanCounts(r.thoughts[at])!;
    const crops = cropCounts(r.thoughts.slice(at + 1));
    out.scans++;
    if (r.answer === String([...counts, ...crops].reduce<number>((a, b) => a + (b ?? 0), 0))) out.answerIsSum++;
    const areaOfTarget = areas === 'view' ? r.viewAreas : r.targetRegions;
    if (!areaOfTarget) continue;
    let right = 0;
    let look = 0;
    counts.forEach((said, i) => {
      const there = areaOfTarget.filter((name) => name === REGION_ORDER[i]).length;
      if (said === null) {
        const tally = looked[Math.min(there, 2)];
        tally.n++;
        if (crops[look++] === there) tally.right++;
        return;
      }
      const tally = byObjects[Math.min(there, 2)];
      tally.n++;
      if (said === there) {
        right++;
        tally.right++;
      } else if (said < there) out.missed++;
      else out.phantom++;
    });
    const scored = counts.filter((c) => c !== null).length;
    out.regions += scored;
    out.regionsRight += right;
    if (right === scored) out.allRight++;
  }
  return out;
}
