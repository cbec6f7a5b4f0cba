/**
 * What a model's relation and count thoughts say, read back from `npm run eval` records: whether
 * a relation thought names both objects, whether the regions it names can decide the answer
 * (they are thirds of the image), and which counts a model answers for each true count. The
 * README's account of why relation rose and count did not comes from here.
 */
import { REGION_ORDER, type RegionName } from '../world/regions';
import type { EpisodeRecord } from './eval';

type Audited = Pick<EpisodeRecord, 'family' | 'truth' | 'answer' | 'correct' | 'thoughts'>;

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
