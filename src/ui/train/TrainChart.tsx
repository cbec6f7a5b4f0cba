/**
 * A live line chart of the training curves. uPlot (≈50 KB, no dependencies, canvas) rather than
 * hand-written SVG: it gives axes, a hover legend with exact values, bands and resizing for free,
 * and it redraws a few thousand points in well under a millisecond, so a long run's history never
 * slows the page. New points reach it through a store subscription into the chart (setData), not
 * through React re-renders.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { StepPoint } from '../../storage/runs';
import { store } from '../store';

export interface ChartSeries {
  readonly label: string;
  readonly colour: string;
  readonly value: (p: StepPoint) => number | null;
  /** Draw as a light band from value − spread to value + spread (reward ± std). */
  readonly spread?: (p: StepPoint) => number;
  readonly dash?: boolean;
}

function dataOf(history: readonly StepPoint[], series: readonly ChartSeries[]): uPlot.AlignedData {
  const x = history.map((p) => p.step);
  const cols: (number | null)[][] = [];
  for (const s of series) {
    const v = history.map((p) => s.value(p));
    cols.push(v);
    if (s.spread) {
      cols.push(history.map((p, i) => (v[i] === null ? null : v[i]! - s.spread!(p))));
      cols.push(history.map((p, i) => (v[i] === null ? null : v[i]! + s.spread!(p))));
    }
  }
  return [x, ...cols] as uPlot.AlignedData;
}

export function TrainChart({ title, series, range, testId }: { title: string; series: readonly ChartSeries[]; range?: [number, number]; testId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const uSeries: uPlot.Series[] = [{ label: 'step' }];
    const bands: uPlot.Band[] = [];
    for (const s of series) {
      const at = uSeries.length;
      uSeries.push({ label: s.label, stroke: s.colour, width: 2, dash: s.dash ? [5, 4] : undefined, spanGaps: true, points: { show: false } });
      if (s.spread) {
        // the band's edges: invisible series, kept out of the legend (CSS .band-edge)
        uSeries.push({ label: `${s.label} − std`, stroke: 'transparent', class: 'band-edge', points: { show: false } });
        uSeries.push({ label: `${s.label} + std`, stroke: 'transparent', class: 'band-edge', points: { show: false } });
        bands.push({ series: [at + 2, at + 1], fill: `${s.colour}22` });
      }
    }
    const opts: uPlot.Options = {
      title, width: Math.max(200, el.clientWidth), height: 170, series: uSeries, bands,
      scales: { x: { time: false }, ...(range ? { y: { range } } : {}) },
      axes: [{ label: 'step', size: 36 }, { size: 44 }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const chart = new uPlot(opts, dataOf(store.getState().history, series), el);
    let last = store.getState().history;
    const unsubscribe = store.subscribe((s) => {
      if (s.history === last) return;
      last = s.history;
      chart.setData(dataOf(s.history, series));
    });
    const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height: 170 }));
    ro.observe(el);
    return () => {
      unsubscribe();
      ro.disconnect();
      chart.destroy();
    };
  }, [title, series, range]);
  return <div className="train-chart" ref={ref} data-testid={testId} />;
}
