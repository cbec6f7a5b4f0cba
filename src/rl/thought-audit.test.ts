import { describe, expect, it } from 'vitest';
import type { RegionName } from '../world/regions';
import { countAnswers, countScanAudit, cropCounts, recoveryAudit, relationAudit, scanCounts } from './thought-audit';

const relation = (truth: string, correct: boolean, thought: string) => ({ family: 'relation' as const, truth, answer: correct ? truth : 'x', correct, thoughts: [thought] });

describe('relationAudit', () => {
  it('counts thoughts naming one object twice, and splits them by whether the named regions decide the asked axis', () => {
    const audit = relationAudit([
      // left/right asked, upper left vs upper right: columns differ → decided
      relation('left', true, 'It is clear: the red object is in the upper left and the blue object is in the upper right, so the red object is to the left of the other one.'),
      // left/right asked, the top vs the bottom: same column → undecided; the same object named twice
      relation('right', false, 'It is clear: the red object is in the top and the red object is in the bottom, so the red object is to the left of the other one.'),
      // above/below asked, the left vs the lower left: rows differ → decided
      relation('above', false, 'It is clear: the red object is in the left and the blue object is in the lower left, so the red object is below the other one.'),
      relation('above', false, 'Something else entirely.'),
      { family: 'count' as const, truth: '2', answer: '2', correct: true, thoughts: [''] },
    ]);
    expect(audit).toEqual({ n: 4, parsed: 3, sameObjectTwice: 1, decided: { n: 2, right: 1 }, undecided: { n: 1, right: 0 } });
  });
});

describe('countAnswers', () => {
  it('tabulates the answered count per true count, with non-counts as "other"', () => {
    const c = (truth: string, answer: string | null) => ({ family: 'count' as const, truth, answer, correct: truth === answer, thoughts: [] });
    const table = countAnswers([c('2', '5'), c('2', '5'), c('2', '2'), c('3', null), c('3', 'red')]);
    expect([...table.get('2')!]).toEqual([['5', 2], ['2', 1]]);
    expect(table.get('3')!.get('other')).toBe(2);
  });
});

describe('countScanAudit', () => {
  const regions = ['the upper left', 'the top', 'the upper right', 'the left', 'the centre', 'the right', 'the lower left', 'the bottom', 'the lower right'];
  const scan = (counts: number[], answer = counts.reduce((a, b) => a + b)) =>
    `It is large enough to see here: I count the red objects area by area: ${regions.map((r, i) => `${r} ${counts[i]}`).join(', ')}. I count ${answer} of them.`;

  it('reads the nine numbers of a scan, and nothing from a thought that is not one', () => {
    expect(scanCounts(scan([0, 1, 0, 0, 2, 0, 0, 0, 1]))).toEqual([0, 1, 0, 0, 2, 0, 0, 0, 1]);
    expect(scanCounts('I see the red objects in the top and the centre. I count 2 of them.')).toBeNull();
    // regions out of order, or a scan cut short, are not a scan
    expect(scanCounts(scan([0, 1, 0, 0, 2, 0, 0, 0, 1]).replace('the top 1', 'the bottom 1'))).toBeNull();
    expect(scanCounts('… area by area: the upper left 0, the top 1.')).toBeNull();
  });

  it("scores each region's number against the objects there: missed, phantom, right", () => {
    const count = (truth: string, answer: string, thought: string, targetRegions?: RegionName[]) =>
      ({ family: 'count' as const, truth, answer, correct: truth === answer, thoughts: [thought], targetRegions });
    const audit = countScanAudit([
      // two in the centre, one in the lower right: all right
      count('3', '3', scan([0, 0, 0, 0, 2, 0, 0, 0, 1]), ['the centre', 'the lower right', 'the centre']),
      // the top's object missed, a phantom in the bottom (the sum comes out right by luck)
      count('2', '2', scan([0, 0, 0, 1, 0, 0, 0, 1, 0]), ['the top', 'the left']),
      // every number right, but the answer is not their sum
      count('1', '4', scan([1, 0, 0, 0, 0, 0, 0, 0, 0], 4), ['the upper left']),
      // an old record without target regions: counted as a scan, not scored
      count('1', '1', scan([1, 0, 0, 0, 0, 0, 0, 0, 0])),
      count('2', '5', 'I see the red objects in the top. I count 5 of them.', ['the top', 'the left']),
    ]);
    expect(audit).toEqual({
      n: 5, scans: 4, answerIsSum: 3, regions: 27, regionsRight: 25, missed: 1, phantom: 1, allRight: 2,
      // regions holding none (22: one phantom), one (4: one missed), two or more (the first scan's centre)
      byObjects: [{ n: 22, right: 21 }, { n: 4, right: 3 }, { n: 1, right: 1 }],
      looked: [{ n: 0, right: 0 }, { n: 0, right: 0 }, { n: 0, right: 0 }],
    });
  });

  it('a count that looks closer: its ? areas are scored by what their crops counted, and the answer is the scan\'s numbers plus the crops\'', () => {
    const marked = (counts: (number | '?')[]) => `I count the red objects area by area: ${regions.map((r, i) => `${r} ${counts[i]}`).join(', ')}. I need a closer look at the top.`;
    expect(scanCounts(marked([0, '?', 0, 0, 1, 0, 0, 0, 0]))).toEqual([0, null, 0, 0, 1, 0, 0, 0, 0]);
    expect(cropCounts(['In the crop there are 2 of them. Now I look at the centre.', 'The crop shows 1 of them. So I count 4 of them.'])).toEqual([2, 1]);
    const record = (answer: string, thoughts: string[]) => ({ family: 'count' as const, truth: '4', answer, correct: answer === '4', thoughts, viewAreas: ['the top', 'the top', 'the centre', 'the lower right'] as RegionName[] });
    const audit = countScanAudit([
      // the top (two) and the centre (one) looked at closer: the top's crop right, the centre's wrong; the lower right missed (in both)
      record('4', [marked([0, '?', 0, 0, '?', 0, 0, 0, 0]), 'In the crop there are 2 of them. Now I look at the centre.', 'In the crop there are 2 of them. So I count 4 of them.']),
      // one look, the scan's number and the crop's add up to 3, but it answers 5
      record('5', [marked([0, '?', 0, 0, 1, 0, 0, 0, 0]), 'The crop shows 2 of them. So I count 5 of them.']),
    ], 'view');
    expect(audit).toMatchObject({
      scans: 2, answerIsSum: 1, regions: 7 + 8, regionsRight: 6 + 7, missed: 2, phantom: 0,
      looked: [{ n: 0, right: 0 }, { n: 1, right: 0 }, { n: 2, right: 2 }],
    });
  });

  it('scores on the view scan areas when asked, where the thirds may place a target elsewhere', () => {
    const thought = scan([0, 0, 0, 1, 0, 0, 0, 0, 0]);
    // by its third the object is in the centre; on the view's token-aligned areas, the left
    const record = { family: 'count' as const, truth: '1', answer: '1', correct: true, thoughts: [thought], targetRegions: ['the centre' as RegionName], viewAreas: ['the left' as RegionName] };
    expect(countScanAudit([record]).regionsRight).toBe(7);
    expect(countScanAudit([record], 'view').regionsRight).toBe(9);
    // records without view areas (before 2026-12-02) are counted as scans but not scored on them
    expect(countScanAudit([{ ...record, viewAreas: undefined }], 'view')).toMatchObject({ scans: 1, regions: 0 });
  });
});

describe('recoveryAudit', () => {
  it('splits zooming episodes by whether the first zoom missed, and counts recovery thoughts after it', () => {
    const ep = (firstZoomHits: boolean | null, correct: boolean, ...thoughts: string[]) => ({ firstZoomHits, correct, thoughts });
    const audit = recoveryAudit([
      ep(false, true, 'I zoom in on the top.', 'The red object is not in this crop. It is in the left of the image; I will zoom there instead.', 'It is a star.'),
      ep(false, false, 'I zoom in on the top.', 'The crop shows it clearly: it is a circle.'),
      ep(true, true, 'I zoom in on the top.', 'Now I can see it clearly: it is a square.'),
      ep(true, false, 'I zoom in on the top.', 'I do not see the red object here, so I zoom on the left instead.', 'It is a star.'),
      // no zoom: in neither group; a first thought is never a recovery
      ep(null, true, 'I do not see it here.'),
    ]);
    expect(audit).toEqual({ missed: { n: 2, saidSo: 1, right: 1 }, hit: { n: 2, saidMissed: 1 } });
  });
});
