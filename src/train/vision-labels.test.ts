import { describe, expect, it } from 'vitest';
import { pixelBox } from '../world/boxes';
import { COLOUR_NAMES, GLYPHS, SHAPES, type Scene, type SceneObject } from '../world/types';
import { AUX_CHANNELS, CENTRE_CHANNEL, visionLabels } from './vision-labels';

const object = (o: Partial<SceneObject>): SceneObject => ({ id: 0, shape: 'circle', colour: 'red', cx: 0, cy: 0, size: 10, rotation: 0, glyph: null, ...o });
const scene = (objects: SceneObject[]): Scene => ({ seed: 1, width: 640, height: 640, background: 'noise', objects, marks: [] });
// 640 px → a 64 px view at 8 px patches: one view px is 10 image px, one patch 80
const labelsOf = (s: Scene) => visionLabels(s, pixelBox(0, 0, 640, 640), 64, 8, 2);
/** Row-major patch (gx, gy) of an 8×8 grid → its index in the merge-contiguous patch order. */
const patchAt = (gx: number, gy: number) => (Math.floor(gy / 2) * 4 + Math.floor(gx / 2)) * 4 + (gy % 2) * 2 + (gx % 2);
const channel = (labels: Float32Array, patch: number, c: number) => labels[patch * AUX_CHANNELS + c];

describe('vision labels', () => {
  it('a speck of 2 view px marks its colour as fully present in its patch, and no shape or glyph', () => {
    const labels = labelsOf(scene([object({ colour: 'blue', cx: 100, cy: 100, size: 20, glyph: 'A' })]));
    const blue = COLOUR_NAMES.indexOf('blue');
    expect(channel(labels, patchAt(1, 1), blue)).toBe(1);
    expect(channel(labels, patchAt(0, 0), blue)).toBe(0);
    for (let c = COLOUR_NAMES.length; c < CENTRE_CHANNEL; c++) expect(channel(labels, patchAt(1, 1), c)).toBe(0);
  });

  it('the centre channel marks the one patch holding each object\'s centre, however many patches it covers', () => {
    // a 20-view-px disc centred at view (36, 20), and a speck at (10, 50)
    const labels = labelsOf(scene([object({ cx: 360, cy: 200, size: 200 }), object({ id: 1, cx: 100, cy: 500, size: 20 })]));
    const centres = [...Array(64).keys()].filter((p) => channel(labels, p, CENTRE_CHANNEL) === 1);
    expect(centres.sort((a, b) => a - b)).toEqual([patchAt(4, 2), patchAt(1, 6)].sort((a, b) => a - b));
    // outside the view: no centre
    expect(visionLabels(scene([object({ cx: 900, cy: 900 })]), pixelBox(0, 0, 640, 640), 64, 8, 2).every((v) => v === 0)).toBe(true);
  });

  it('a large object labels every patch it covers with its colour, and its core with shape and glyph', () => {
    const labels = labelsOf(scene([object({ colour: 'green', shape: 'star', cx: 320, cy: 320, size: 200, glyph: '7' })]));
    const green = COLOUR_NAMES.indexOf('green');
    const covered = [...Array(64).keys()].filter((p) => channel(labels, p, green) === 1);
    expect(covered.length).toBe(16); // the disc spans 20 view px: patches 2..5 in each direction
    const core = patchAt(4, 4);
    expect(channel(labels, core, COLOUR_NAMES.length + SHAPES.indexOf('star'))).toBe(1);
    expect(channel(labels, core, COLOUR_NAMES.length + SHAPES.length + GLYPHS.indexOf('7'))).toBe(1);
  });

  it('an object grazing a patch by less than a quarter of a view pixel does not mark it', () => {
    // disc of radius 3 view px centred 2.96 px left of the x = 16 patch border: its box reaches 0.04 px into patch 2 (0.19 px²)
    const labels = labelsOf(scene([object({ colour: 'pink', cx: 130.4, cy: 200, size: 60 })]));
    const pink = COLOUR_NAMES.indexOf('pink');
    expect(channel(labels, patchAt(1, 2), pink)).toBe(1);
    expect(channel(labels, patchAt(2, 2), pink)).toBe(0);
  });
});
