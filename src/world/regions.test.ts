import { describe, expect, it } from 'vitest';
import { pixelBox } from './boxes';
import { REGION_ORDER, crossesViewScanBorder, regionName, scanArea, viewScanAreaBox, viewScanAreaCells, viewScanAreaDistance, viewScanBorderDistance } from './regions';

describe('count scan areas', () => {
  it('view areas split the letterboxed view 3 : 2 : 3 along the 8 × 8 token grid: every cell in exactly one area', () => {
    const cells = REGION_ORDER.map((name) => viewScanAreaCells(name, 8));
    expect(cells.map((c) => c.length)).toEqual([9, 6, 9, 6, 4, 6, 9, 6, 9]);
    expect(cells.flat().sort((a, b) => a - b)).toEqual([...Array(64).keys()]);
    expect(viewScanAreaCells('the centre', 8)).toEqual([27, 28, 35, 36]);
  });

  it('view areas place a box by its centre on the view, padding included, where the image\'s thirds may differ', () => {
    const square = { width: 640, height: 640 };
    // view x 23.9 → the left band; 24.1 → the middle one (the border is at 3/8 of 64 px)
    expect(scanArea(pixelBox(229, 310, 249, 330), square, 'view')).toBe('the left');
    expect(scanArea(pixelBox(231, 310, 251, 330), square, 'view')).toBe('the centre');
    // both lie in the image's middle third, which is what `thirds` scans count by
    expect(scanArea(pixelBox(229, 310, 249, 330), square, 'thirds')).toBe('the centre');
    expect(regionName(pixelBox(229, 310, 249, 330), square)).toBe('the centre');
    // a 3 : 1 panorama fills view rows 21.3–42.7: its vertical middle is the centre band, a point near its top edge the top band
    const wide = { width: 900, height: 300 };
    expect(scanArea(pixelBox(440, 140, 460, 160), wide, 'view')).toBe('the centre');
    expect(scanArea(pixelBox(440, 0, 460, 20), wide, 'view')).toBe('the top');
  });

  it('a view area as a box of pixels holds exactly the boxes scanArea places in it, clipped to the image', () => {
    const wide = { width: 900, height: 300 }; // the view's rows 21.3–42.7 are image, the rest padding
    expect([...viewScanAreaBox('the centre', { width: 640, height: 640 })]).toEqual([240, 240, 400, 400]);
    const close = (box: readonly number[], want: number[]) => box.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    close(viewScanAreaBox('the upper left', wide), [0, 0, 337.5, 37.5]);
    close(viewScanAreaBox('the lower right', wide), [562.5, 262.5, 900, 300]);
    for (const name of REGION_ORDER) {
      const [x1, y1, x2, y2] = viewScanAreaBox(name, wide);
      const [cx, cy] = [(x1 + x2) / 2, (y1 + y2) / 2];
      expect(scanArea(pixelBox(cx - 1, cy - 1, cx + 1, cy + 1), wide, 'view')).toBe(name);
    }
  });

  it('a box crosses a view area border when it overlaps two areas, not when it only touches one', () => {
    const square = { width: 640, height: 640 }; // the view's area borders lie at 240 and 400 px
    expect(crossesViewScanBorder(pixelBox(300, 300, 340, 340), square)).toBe(false); // inside the centre
    expect(crossesViewScanBorder(pixelBox(200, 300, 240, 340), square)).toBe(false); // ends on the border
    expect(crossesViewScanBorder(pixelBox(220, 300, 260, 340), square)).toBe(true); // the left and the centre
    expect(crossesViewScanBorder(pixelBox(380, 380, 420, 420), square)).toBe(true); // four areas at a corner
  });

  it('measures how far a box\'s centre lies from the nearest view area border, in view px, on either axis', () => {
    const square = { width: 640, height: 640 }; // 10 original px a view px; borders at 240 and 400
    expect(viewScanBorderDistance(pixelBox(300, 300, 340, 340), square)).toBeCloseTo(8); // centre 320: 80 px from both
    expect(viewScanBorderDistance(pixelBox(225, 300, 245, 340), square)).toBeCloseTo(0.5); // x 235, 5 px left of 240
    expect(viewScanBorderDistance(pixelBox(300, 395, 340, 415), square)).toBeCloseTo(0.5); // y 405, 5 px below 400
    const wide = { width: 1280, height: 640 }; // letterboxed: 20 original px a view px, the view's top 16 px padding
    expect(viewScanBorderDistance(pixelBox(480, 300, 500, 340), wide)).toBeCloseTo(0.5); // x 490 → view 24.5; y 320 → view 16 + 16 = 32
  });

  it('measures how far a box\'s centre lies outside a view area, in view px (0 inside)', () => {
    const square = { width: 640, height: 640 }; // the centre area spans 240–400 px
    expect(viewScanAreaDistance(pixelBox(300, 300, 340, 340), square, 'the centre')).toBe(0);
    expect(viewScanAreaDistance(pixelBox(225, 300, 245, 340), square, 'the centre')).toBeCloseTo(0.5); // x 235, 5 px left of it
    expect(viewScanAreaDistance(pixelBox(200, 200, 220, 220), square, 'the centre')).toBeCloseTo(Math.hypot(3, 3)); // its upper left corner
  });
});
