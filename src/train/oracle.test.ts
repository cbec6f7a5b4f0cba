import { describe, expect, it } from 'vitest';
import { checkBox } from '../agent/crop';
import { parseTurn } from '../agent/parser';
import { toolCallText } from '../agent/format';
import { type PixelBox, centreIn, containsBox, intersectionOverUnion } from '../world/boxes';
import { generateSample } from '../world/generate';
import { MODEL_VIEW_SIZE, viewPixels } from '../world/resolvability';
import { ANSWER_VIEW_PX, DEFAULT_MIX, MAX_CLOSER_LOOKS, MAX_ZOOM, SHAPE_DECOY_VIEW_PX, hueNeighbours, oraclePlan } from './oracle';
import { REGION_ORDER, scanArea, viewScanAreaBox } from '../world/regions';

const side = (b: PixelBox) => Math.max(b[2] - b[0], b[3] - b[1]);

describe('oraclePlan', () => {
  const samples = Array.from({ length: 300 }, (_, i) => generateSample(5000 + i, { families: i % 2 ? ['glyph'] : ['shape', 'colour', 'count', 'relation'] }));
  const plans = samples.map((s, i) => [s, oraclePlan(s, i)] as const);

  it('answers resolvable targets directly and zooms on the others; every kind occurs', () => {
    for (const [s, p] of plans) {
      if (!s.resolvable) expect(p.kind).not.toBe('direct');
      expect(p.turns.at(-1)!.zoom).toBeNull();
      expect(p.answer).toBe(s.answer);
      expect(p.turns.length).toBeLessThanOrEqual(5);
    }
    expect(new Set(plans.map(([, p]) => p.kind))).toEqual(new Set(['direct', 'zoom', 'recover', 'coarse']));
  });

  it('a direct answer first says where the targets are (a count goes region by region, then adds up), then what it sees', () => {
    const regions = ['upper left', 'top', 'upper right', 'left', 'centre', 'right', 'lower left', 'bottom', 'lower right'];
    const regionOf = (b: PixelBox, w: number, h: number) => regions[Math.min(2, Math.floor(((b[1] + b[3]) / 2 / h) * 3)) * 3 + Math.min(2, Math.floor(((b[0] + b[2]) / 2 / w) * 3))];
    const direct = plans.filter(([, p]) => p.kind === 'direct');
    expect(new Set(direct.map(([s]) => s.family))).toEqual(new Set(['glyph', 'shape', 'colour', 'count', 'relation']));
    for (const [s, p] of direct) {
      const thought = p.turns[0].thought;
      const where = s.targets.map((b) => `the ${regionOf(b, s.scene.width, s.scene.height)}`);
      expect(thought.indexOf(where[0]), thought).toBeGreaterThan(0);
      if (s.family === 'count') {
        // every region in reading order, each with the number of targets it holds, then their sum
        const counts = regions.map((r) => where.filter((w) => w === `the ${r}`).length);
        expect(thought).toContain(`area by area: ${regions.map((r, i) => `the ${r} ${counts[i]}`).join(', ')}. I count ${s.answer} of them.`);
        expect(counts.reduce((x, y) => x + y)).toBe(Number(s.answer));
      } else if (s.family === 'relation') {
        expect(thought).toContain(`is in ${where[0]} and `);
        expect(thought).toContain(`is in ${where[1]}, so `);
      }
      // the answer comes after the locating words
      if (s.family !== 'relation') expect(thought.lastIndexOf(s.answer)).toBeGreaterThan(thought.indexOf(where[0]));
    }
  });

  it('each planned box is what the agent loop would crop: parsed on the right frame, accepted by the tool', () => {
    for (const [s, p] of plans) {
      const size = { width: s.scene.width, height: s.scene.height };
      let lastCrop: PixelBox | undefined;
      for (const t of p.turns.filter((t) => t.zoom)) {
        expect(t.zoom!.frame).toBe(lastCrop ? 'crop' : 'view');
        const parsed = parseTurn(toolCallText(t.zoom!.box, t.zoom!.frame), size, lastCrop);
        expect(parsed.kind).toBe('tool');
        const check = checkBox(parsed.kind === 'tool' ? parsed.box : t.zoom!.crop, size);
        expect(check.ok && [...check.box]).toEqual([...t.zoom!.crop]);
        // after a deliberate miss the agent looks at the full image again
        lastCrop = t.imitate ? t.zoom!.crop : undefined;
      }
    }
  });

  it('the final crop contains the target, large enough to answer unless the crop cannot get tighter', () => {
    let magnified = 0;
    for (const [s, p] of plans) {
      const zooms = p.turns.filter((t) => t.zoom && t.imitate);
      if (!zooms.length) continue;
      const last = zooms.at(-1)!.zoom!.crop;
      const target = s.targets[0];
      expect(containsBox(last, target)).toBe(true);
      if ((side(target) * MODEL_VIEW_SIZE) / side(last) >= ANSWER_VIEW_PX[s.family]!) magnified++;
      // no zoom magnifies more than MAX_ZOOM× (a little more where rounding to whole grid units shrank the box)
      let frameSide = Math.max(s.scene.width, s.scene.height);
      for (const z of zooms) {
        expect(frameSide / side(z.zoom!.crop)).toBeLessThan(MAX_ZOOM * 1.15);
        frameSide = side(z.zoom!.crop);
      }
    }
    expect(magnified / plans.filter(([, p]) => p.kind !== 'direct').length).toBeGreaterThan(0.9);
  });

  it('answerViewPx moves the zoom decision: colour zooms below its threshold, and only there', () => {
    const colour = Array.from({ length: 120 }, (_, i) => generateSample(7000 + i, { families: ['colour'] }));
    const viewSide = (s: (typeof colour)[number]) => (side(s.targets[0]) * MODEL_VIEW_SIZE) / Math.max(s.scene.width, s.scene.height);
    const mix = { ...DEFAULT_MIX, recover: 0, zoomResolvable: 0, answerViewPx: { ...ANSWER_VIEW_PX, colour: 10 } };
    let zoomed = 0;
    for (const [i, s] of colour.entries()) {
      expect(oraclePlan(s, i).kind).toBe('direct'); // the default table has no colour entry
      const plan = oraclePlan(s, i, mix);
      expect(plan.kind).toBe(viewSide(s) < 10 ? 'zoom' : 'direct');
      if (plan.kind !== 'direct') {
        zoomed++;
        expect(plan.turns[0].thought).toMatch(/colour/);
        expect(plan.turns.at(-1)!.thought).toMatch(new RegExp(`is ${s.answer}\\.$`));
      }
    }
    expect(zoomed).toBeGreaterThan(20);
    expect(zoomed).toBeLessThan(colour.length - 20);
  });

  it('recovery trajectories start with an un-imitated box that misses the target, then say so', () => {
    const recover = plans.filter(([, p]) => p.kind === 'recover');
    expect(recover.length).toBeGreaterThan(3);
    for (const [s, p] of recover) {
      expect(p.turns[0].imitate).toBe(false);
      expect(s.targets.every((t) => intersectionOverUnion(p.turns[0].zoom!.crop, t) === 0)).toBe(true);
      expect(p.turns[1].thought).toMatch(/not in this crop|missed|do not see/);
      expect(p.turns[1].zoom!.frame).toBe('view');
    }
  });

  it('a decoy miss frames a distractor, of a neighbouring hue where the scene has one, and no target', () => {
    expect(hueNeighbours('red')).toEqual(['pink', 'orange']);
    expect(hueNeighbours('cyan')).toEqual(['green', 'blue']);
    // recovery plans of the glyph and shape samples, and whether a plan's missed box frames a neighbouring hue
    const recoveries = (decoy: number) => plans.filter(([s]) => s.family === 'glyph' || s.family === 'shape')
      .map(([s], i) => [s, oraclePlan(s, i, { ...DEFAULT_MIX, recover: 1, decoy })] as const).filter(([, p]) => p.kind === 'recover');
    const framesNeighbour = ([s, p]: ReturnType<typeof recoveries>[number]) => {
      const colour = s.scene.objects.find((o) => o.id === s.targetIds[0])!.colour;
      return s.scene.objects.some((o) => centreIn(o, p.turns[0].zoom!.crop) && hueNeighbours(colour).includes(o.colour));
    };
    const zooming = recoveries(1);
    expect(zooming.length).toBeGreaterThan(30);
    for (const [s, p] of zooming) {
      const crop = p.turns[0].zoom!.crop;
      expect(s.targets.every((t) => intersectionOverUnion(crop, t) === 0)).toBe(true);
      expect(s.scene.objects.filter((o) => centreIn(o, crop)).length).toBeGreaterThan(0);
    }
    const confusable = zooming.filter(framesNeighbour).length;
    // most scenes hold a distractor of a neighbouring hue; random misses frame one far less often
    expect(confusable / zooming.length).toBeGreaterThan(0.6);
    const random = recoveries(0);
    const randomConfusable = random.filter(framesNeighbour).length;
    expect(randomConfusable / random.length).toBeLessThan(confusable / zooming.length - 0.2);
  });

  it('a colour question zoomed on misses first on a distractor large enough to pass for the named shape', () => {
    const mix = { ...DEFAULT_MIX, recover: 1, answerViewPx: { colour: 64 } };
    const colour = plans.filter(([s]) => s.family === 'colour');
    const framesLarge = (decoy: number) => colour.map(([s], i) => [s, oraclePlan(s, i, { ...mix, decoy })] as const)
      .filter(([, p]) => p.kind === 'recover')
      .map(([s, p]) => {
        const crop = p.turns[0].zoom!.crop;
        expect(s.targets.every((t) => intersectionOverUnion(crop, t) === 0)).toBe(true);
        return s.scene.objects.some((o) => centreIn(o, crop) && viewPixels(o.size, s.scene) >= SHAPE_DECOY_VIEW_PX);
      });
    const decoys = framesLarge(1);
    const random = framesLarge(0);
    expect(decoys.length).toBeGreaterThan(20);
    const share = (hits: boolean[]) => hits.filter(Boolean).length / hits.length;
    expect(share(decoys)).toBeGreaterThan(0.9);
    expect(share(random)).toBeLessThan(share(decoys) - 0.2);
  });

  it('without a decoy rate the plans are those of a decoy rate of 0 (earlier recipes replay exactly)', () => {
    for (const [s] of plans.slice(0, 60)) expect(oraclePlan(s, 7, { ...DEFAULT_MIX, recover: 0.5 })).toEqual(oraclePlan(s, 7, { ...DEFAULT_MIX, recover: 0.5, decoy: 0 }));
  });

  it('a missed first zoom is announced like any first zoom: only the crop can tell the model it missed', () => {
    // thought wording with the subject and region taken out
    const wording = (s: (typeof samples)[number], thought: string) => {
      let w = thought.replace(new RegExp(s.subject, 'gi'), '<subject>');
      for (const r of ['upper left', 'upper right', 'lower left', 'lower right', 'top', 'bottom', 'left', 'right', 'centre']) w = w.replace(`the ${r}`, '<region>');
      return w;
    };
    const firstZooms = new Set(plans.filter(([, p]) => p.kind !== 'direct' && p.kind !== 'recover').map(([s, p]) => wording(s, p.turns[0].thought)));
    const missed = plans.filter(([, p]) => p.kind === 'recover').map(([s, p]) => wording(s, p.turns[0].thought));
    expect(missed.length).toBeGreaterThan(3);
    for (const w of missed) expect(firstZooms).toContain(w);
  });

  it('tiny targets take a wide zoom and then a closer one inside the crop', () => {
    const coarse = plans.filter(([, p]) => p.kind === 'coarse');
    expect(coarse.length).toBeGreaterThan(10);
    for (const [, p] of coarse) expect(p.turns.filter((t) => t.zoom?.frame === 'crop').length).toBeGreaterThan(0);
  });
});

describe('oraclePlan for a tool-shy base', () => {
  it('with zoomWhenNeeded 0 it answers every target directly, unresolvable ones included', () => {
    const samples = Array.from({ length: 60 }, (_, i) => generateSample(9000 + i, { families: ['glyph'] }));
    const plans = samples.map((s, i) => oraclePlan(s, i, { recover: 0.12, zoomResolvable: 0, zoomWhenNeeded: 0 }));
    expect(plans.every((p) => p.kind === 'direct')).toBe(true);
    expect(samples.some((s) => !s.resolvable)).toBe(true);
  });
});

describe('oraclePlan for a count that looks closer (countCloser)', () => {
  const counts = Array.from({ length: 200 }, (_, i) => generateSample(11000 + i, { families: ['count'] }));
  const mix = { ...DEFAULT_MIX, countAreas: 'view' as const, countCloser: 0.25 };
  const plans = counts.map((s, i) => [s, oraclePlan(s, i, mix)] as const);
  const held = (s: (typeof counts)[number]) => REGION_ORDER.map((name) => s.targets.filter((t) => scanArea(t, { width: s.scene.width, height: s.scene.height }, 'view') === name).length);

  it('marks ? and zooms on every crowded area (at most two), on some areas holding one, and on no empty one', () => {
    let singlesLooked = 0;
    let singles = 0;
    for (const [s, p] of plans) {
      const n = held(s);
      const closer = p.scan?.closer ?? [];
      const crowded = REGION_ORDER.filter((_, i) => n[i] >= 2);
      for (const name of crowded.slice(0, MAX_CLOSER_LOOKS)) expect(closer).toContain(name);
      for (const name of closer) expect(n[REGION_ORDER.indexOf(name)]).toBeGreaterThan(0);
      expect(closer.length).toBeLessThanOrEqual(MAX_CLOSER_LOOKS);
      singles += n.filter((k) => k === 1).length;
      singlesLooked += closer.filter((name) => n[REGION_ORDER.indexOf(name)] === 1).length;
      expect(p.kind).toBe(closer.length ? 'closer' : 'direct');
      expect(p.answer).toBe(s.answer);
    }
    // about a quarter of the areas holding one, fewer where two crowded areas already took both looks
    expect(singlesLooked / singles).toBeGreaterThan(0.1);
    expect(singlesLooked / singles).toBeLessThan(0.3);
  });

  it('its scan says ? where it looks closer; each crop is that area, counted whole; the numbers add up to the answer', () => {
    const closer = plans.filter(([, p]) => p.kind === 'closer');
    expect(closer.length).toBeGreaterThan(50);
    for (const [s, p] of closer) {
      const size = { width: s.scene.width, height: s.scene.height };
      const n = held(s);
      const looks = p.scan!.closer!;
      expect(p.turns).toHaveLength(looks.length + 1);
      const scan = /area by area: (.*?)\. /.exec(p.turns[0].thought)![1];
      expect(scan).toBe(REGION_ORDER.map((name, i) => `${name} ${looks.includes(name) ? '?' : n[i]}`).join(', '));
      const said = [...scan.matchAll(/ (\d)(?=,|$)/g)].map((m) => Number(m[1]));
      looks.forEach((name, k) => {
        const zoom = p.turns[k].zoom!;
        expect(zoom.frame).toBe('view'); // every closer look is written on the global view
        // the crop is the area (rounded outward to whole grid units): it holds every target counted there
        const area = viewScanAreaBox(name, size);
        expect(containsBox(zoom.crop, area)).toBe(true);
        expect(side(zoom.crop)).toBeLessThan(side(area) + 0.03 * Math.max(size.width, size.height));
        for (const t of s.targets.filter((b) => scanArea(b, size, 'view') === name)) expect(containsBox(zoom.crop, t) || intersectionOverUnion(zoom.crop, t) > 0).toBe(true);
        const shown = Number(/(\d) of them/.exec(p.turns[k + 1].thought)![1]);
        expect(shown).toBe(n[REGION_ORDER.indexOf(name)]);
        said.push(shown);
      });
      expect(p.turns.at(-1)!.thought).toMatch(new RegExp(`So I count ${s.answer} of them\\.$`));
      expect(said.reduce((a, b) => a + b)).toBe(Number(s.answer));
    }
  });

  it('without countCloser, or on thirds, a count never zooms', () => {
    for (const [s, i] of counts.slice(0, 40).map((c, j) => [c, j] as const)) {
      expect(oraclePlan(s, i, { ...DEFAULT_MIX, countAreas: 'view' }).kind).toBe('direct');
      expect(oraclePlan(s, i, { ...DEFAULT_MIX, countCloser: 0.25 }).kind).toBe('direct');
    }
  });
});
