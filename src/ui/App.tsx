import { useEffect, useRef, useState } from 'react';
import { openImage, startEngine, stop } from './actions';
import { Header, LoadBanner, Messages, type PanelName } from './Chrome';
import { ImageBar, QuestionBar } from './Controls';
import { ModelPanel, SettingsPanel } from './Panels';
import { Stage } from './Stage';
import { Trajectory } from './Trajectory';
import { useSquint } from './store';
import { loadLocalState } from './train/train-actions';
import { TrainView } from './train/TrainView';

/** The first file in a DataTransfer (drop or paste), if any. */
function firstFile(dt: DataTransfer | null): File | null {
  if (!dt) return null;
  if (dt.files.length) return dt.files[0]!;
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind === 'file') {
      const f = item.getAsFile();
      if (f) return f;
    }
  }
  return null;
}

function useGlobalInput(setDragging: (b: boolean) => void) {
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const onEnter = (e: DragEvent) => { if (hasFiles(e)) { depth++; setDragging(true); } };
    const onLeave = (e: DragEvent) => { if (hasFiles(e) && --depth <= 0) { depth = 0; setDragging(false); } };
    const onOver = (e: DragEvent) => { if (hasFiles(e)) e.preventDefault(); };
    const onDrop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const f = firstFile(e.dataTransfer);
      if (f) void openImage(f, 'drop');
    };
    const onPaste = (e: ClipboardEvent) => {
      const f = firstFile(e.clipboardData);
      if (!f) return; // plain text pastes into the question box as usual
      e.preventDefault();
      void openImage(f, 'paste');
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) stop();
    };
    // one signal removes every listener on unmount
    const listeners = new AbortController();
    const { signal } = listeners;
    window.addEventListener('dragenter', onEnter, { signal });
    window.addEventListener('dragleave', onLeave, { signal });
    window.addEventListener('dragover', onOver, { signal });
    window.addEventListener('drop', onDrop, { signal });
    document.addEventListener('paste', onPaste, { signal });
    document.addEventListener('keydown', onKey, { signal });
    return () => listeners.abort();
  }, [setDragging]);
}

export function App() {
  const [panel, setPanel] = useState<PanelName>(null);
  const [dragging, setDragging] = useState(false);
  const largeText = useSquint((s) => s.settings.largeText);
  const compare = useSquint((s) => s.episodes.length > 1);
  const view = useSquint((s) => s.view);
  useGlobalInput(setDragging);
  // Drawers open below the header, which stays usable; its height changes with large text.
  const appRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const header = appRef.current?.querySelector('header.top');
    if (!header) return;
    const ro = new ResizeObserver(() => appRef.current?.style.setProperty('--header-h', `${header.getBoundingClientRect().height}px`));
    ro.observe(header);
    return () => ro.disconnect();
  }, []);
  useEffect(() => startEngine(), []);
  // the model picker lists saved checkpoints; a run stored by an earlier visit shows up
  useEffect(() => loadLocalState(), []);
  useEffect(() => {
    document.documentElement.dataset.largeText = largeText ? 'on' : 'off';
  }, [largeText]);
  return (
    <div className={`app${panel ? ' with-panel' : ''}`} ref={appRef}>
      <a className="skip" href="#question">Skip to the question</a>
      <Header panel={panel} setPanel={setPanel} />
      <LoadBanner />
      <div className="body">
        {view === 'train' ? <TrainView /> : (
        <main className={`layout${compare ? ' compare' : ''}`}>
          <section className="left" aria-label="Image and question">
            <ImageBar />
            <Stage />
            <QuestionBar />
          </section>
          <section className="right" aria-label="What the model did">
            <Trajectory />
          </section>
        </main>
        )}
        {panel === 'settings' && <SettingsPanel onClose={() => setPanel(null)} />}
        {panel === 'model' && <ModelPanel onClose={() => setPanel(null)} />}
      </div>
      <Messages />
      {dragging && <div className="drop-veil" aria-hidden="true"><p>Drop the image to open it</p></div>}
    </div>
  );
}
