import { useEffect, useRef, useState } from 'react';
import { newPuzzle, openImage } from './actions';
import { type EpisodeView, type Highlight, useSquint, visibleSteps } from './store';
import { boxColour } from './trace';

/** Fits a w×h image into the element's box; returns the display size. */
function useFit(ref: React.RefObject<HTMLDivElement | null>, w: number, h: number) {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const cw = el.clientWidth;
      const ch = el.clientHeight;
      const k = Math.min(cw / w, ch / h);
      setSize({ width: Math.max(1, Math.floor(w * k)), height: Math.max(1, Math.floor(h * k)) });
    };
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, w, h]);
  return size;
}

interface OverlayBox {
  readonly key: string;
  readonly episodeId: string;
  readonly step: number;
  readonly zoom: number;
  readonly box: readonly number[];
  readonly kind: 'zoom' | 'error';
}

function overlayBoxes(episodes: readonly EpisodeView[], replayStep: number | null): OverlayBox[] {
  const out: OverlayBox[] = [];
  for (const e of episodes) {
    let zoom = 0;
    visibleSteps(e, replayStep).forEach((s, i) => {
      if (s.kind === 'zoom' && s.box) out.push({ key: `${e.id}-${i}`, episodeId: e.id, step: i, zoom: zoom++, box: s.box, kind: 'zoom' });
      else if (s.kind === 'error' && s.requestedBox) out.push({ key: `${e.id}-${i}`, episodeId: e.id, step: i, zoom: -1, box: s.requestedBox, kind: 'error' });
    });
  }
  return out;
}

const same = (h: Highlight | null, b: OverlayBox) => h?.episodeId === b.episodeId && h.step === b.step;

function Overlay({ width, height, scale }: { width: number; height: number; scale: number }) {
  const episodes = useSquint((s) => s.episodes);
  const replayStep = useSquint((s) => s.replayStep);
  const highlight = useSquint((s) => s.highlight);
  const setHighlight = useSquint((s) => s.setHighlight);
  const boxes = overlayBoxes(episodes, replayStep);
  const font = 15 / scale;
  return (
    <svg className="overlay" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true">
      {boxes.map((b) => {
        const [x1, y1, x2, y2] = b.box as [number, number, number, number];
        const colour = b.kind === 'zoom' ? boxColour(b.zoom) : '#c92a2a';
        const hi = same(highlight, b);
        return (
          <g key={b.key} className={`box ${b.kind}${hi ? ' highlighted' : ''}`} data-testid="overlay-box" data-box={b.box.map(Math.round).join(',')}
            onMouseEnter={() => setHighlight({ episodeId: b.episodeId, step: b.step })} onMouseLeave={() => setHighlight(null)}>
            <rect x={x1} y={y1} width={Math.max(0, x2 - x1)} height={Math.max(0, y2 - y1)} style={{ stroke: colour, fill: hi ? `${colour}26` : 'transparent' }} />
            {b.kind === 'zoom' && (
              // a shifted reading's box may start in its margin, off the image: its tag stays on it
              <g transform={`translate(${Math.max(0, x1)} ${Math.max(0, y1)})`}>
                <rect className="tag" width={font * 1.5} height={font * 1.4} style={{ fill: colour }} />
                <text x={font * 0.75} y={font * 1.05} fontSize={font} textAnchor="middle">{b.zoom + 1}</text>
              </g>
            )}
          </g>
        );
      })}
    </svg>
  );
}

function EmptyStage() {
  const busy = useSquint((s) => s.puzzleBusy);
  const inputRef = useRef<HTMLInputElement>(null);
  return (
    <div className="empty">
      <p className="empty-title">Give Squint an image and a question</p>
      <p className="empty-hint">Drop an image anywhere, paste one (Ctrl+V), or</p>
      <div className="empty-actions">
        <button type="button" className="primary" onClick={() => void newPuzzle()} disabled={busy}>{busy ? 'Generating…' : 'Try a puzzle'}</button>
        <button type="button" onClick={() => inputRef.current?.click()}>Choose a file…</button>
        <input ref={inputRef} type="file" accept="image/*" hidden onChange={(e) => { const f = e.target.files?.[0]; if (f) void openImage(f, 'file'); e.target.value = ''; }} />
      </div>
      <p className="empty-note">
        The model is tiny and was trained only on a procedural world of shapes, colours and glyphs — puzzles like the ones the button makes.
        On real photos it will be wrong.
      </p>
    </div>
  );
}

export function Stage() {
  const image = useSquint((s) => s.image);
  const ref = useRef<HTMLDivElement>(null);
  const size = useFit(ref, image?.width ?? 1, image?.height ?? 1);
  return (
    <div className="stage" ref={ref} data-testid="stage">
      {image ? (
        <div className="frame" style={{ width: size.width, height: size.height }}>
          <img src={image.url} alt={`The image: ${image.name}, ${image.width}×${image.height} pixels`} data-testid="original" draggable={false} />
          <Overlay width={image.width} height={image.height} scale={size.width / image.width || 1} />
        </div>
      ) : (
        <EmptyStage />
      )}
    </div>
  );
}
