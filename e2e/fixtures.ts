/**
 * Shared e2e fixtures: every test records every request of its browser context (pages and
 * workers) and fails if one leaves the page's origin, or if the page throws.
 */
import { type Page, test as base, expect } from '@playwright/test';
import { MAX_FRAMINGS, answerSettled, majorityAnswer } from '../src/agent/framings';

export { expect };

export const test = base.extend<{ guard: void }>({
  guard: [
    async ({ page, context, baseURL }, use, testInfo) => {
      const origin = new URL(baseURL!).origin;
      const foreign: string[] = [];
      const seen: string[] = [];
      context.on('request', (r) => {
        const url = r.url();
        seen.push(url);
        if (url.startsWith('data:') || url.startsWith('blob:')) return;
        if (new URL(url).origin !== origin) foreign.push(url);
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await use();
      expect(foreign, 'requests that left the page origin').toEqual([]);
      if (testInfo.status !== 'skipped') expect(seen.length, 'requests were recorded').toBeGreaterThan(0);
      expect(errors, 'uncaught page errors').toEqual([]);
    },
    { auto: true },
  ],
});

export type Backend = 'webgpu' | 'wasm';

/** Opens the app on a backend and waits until the model is loaded. */
export async function openApp(page: Page, backend: Backend): Promise<void> {
  await page.goto(`/?backend=${backend}`);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', backend, { timeout: 30_000 });
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
}

/** Sets run limits through the settings panel (and closes it). */
export async function setLimits(page: Page, limits: { maxTurns?: number; maxTokens?: number; temperature?: number; compare?: boolean }): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Settings', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  const panel = page.getByRole('complementary', { name: 'Settings' });
  if (limits.maxTurns !== undefined) await panel.getByLabel('Max turns').fill(String(limits.maxTurns));
  if (limits.maxTokens !== undefined) await panel.getByLabel('Max tokens per turn').fill(String(limits.maxTokens));
  if (limits.temperature !== undefined) await panel.getByLabel('Temperature').fill(String(limits.temperature));
  if (limits.compare !== undefined) await panel.getByLabel(/Compare/).setChecked(limits.compare);
  await panel.getByRole('button', { name: 'Close settings' }).click();
  await expect(panel).toHaveCount(0);
}

/**
 * In the page: presses Run, then Stop as soon as an element matching `trigger` shows, and times
 * how long the episode takes to end (no polling: a WASM run can be over in a second).
 * @returns the trigger's text when Stop was pressed, the episode's end status and the stop latency.
 */
export async function runThenStopAt(page: Page, trigger: string): Promise<{ text: string | null; status: string | null; ms: number }> {
  return page.evaluate(async (selector) => {
    const until = (el: Element, ok: () => boolean) => new Promise<void>((resolve) => {
      if (ok()) return resolve();
      new MutationObserver((_, o) => { if (ok()) { o.disconnect(); resolve(); } }).observe(el, { attributes: true, childList: true, subtree: true });
    });
    const right = document.querySelector('section[aria-label="What the model did"]')!;
    (document.querySelector('form.question-bar button[type=submit]') as HTMLButtonElement).click();
    await until(right, () => !!document.querySelector(selector));
    const text = document.querySelector(selector)!.textContent;
    const episode = document.querySelector('[data-testid=episode]')!;
    const t0 = performance.now();
    (document.querySelector('button[title^="Stop"]') as HTMLButtonElement).click();
    await until(episode, () => !['running', 'queued'].includes(episode.getAttribute('data-status')!));
    return { text, status: episode.getAttribute('data-status'), ms: performance.now() - t0 };
  }, trigger);
}

export async function newPuzzle(page: Page): Promise<string> {
  const original = page.getByTestId('original');
  const before = (await original.count()) ? await original.getAttribute('alt') : null;
  await page.getByRole('button', { name: /New puzzle|Try a puzzle/ }).first().click();
  await expect(page.getByTestId('original')).toBeVisible({ timeout: 20_000 });
  await expect.poll(() => page.getByTestId('original').getAttribute('alt')).not.toBe(before);
  const question = await page.getByRole('textbox', { name: 'Question' }).inputValue();
  expect(question.length).toBeGreaterThan(5);
  return question;
}

/**
 * For every crop shown in the trajectory: cuts its box out of the original as displayed and
 * compares pixels. Returns the number of crops checked and the worst mean absolute difference.
 */
export async function checkCrops(page: Page): Promise<{ crops: number; worst: number; boxes: string[] }> {
  return page.evaluate(async () => {
    const original = document.querySelector<HTMLImageElement>('[data-testid=original]')!;
    await original.decode();
    const crops = [...document.querySelectorAll<HTMLImageElement>('[data-testid=crop]')];
    let worst = 0;
    const boxes: string[] = [];
    for (const crop of crops) {
      await crop.decode();
      const [x1, y1, x2, y2] = crop.dataset.box!.split(',').map(Number) as [number, number, number, number];
      boxes.push(crop.dataset.box!);
      const w = crop.naturalWidth;
      const h = crop.naturalHeight;
      const a = new OffscreenCanvas(w, h).getContext('2d')!;
      a.drawImage(crop, 0, 0);
      const b = new OffscreenCanvas(w, h).getContext('2d')!;
      b.imageSmoothingQuality = 'high';
      b.drawImage(original, x1, y1, x2 - x1, y2 - y1, 0, 0, w, h);
      const pa = a.getImageData(0, 0, w, h).data;
      const pb = b.getImageData(0, 0, w, h).data;
      let sum = 0;
      for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i]! - pb[i]!);
      worst = Math.max(worst, sum / pa.length);
    }
    return { crops: crops.length, worst, boxes };
  });
}

/**
 * The answers a finished run's readings line lists, checked against the default plan (src/agent/framings.ts):
 * up to MAX_FRAMINGS readings, stopping at the first that puts one answer two votes ahead.
 */
export async function settledReadings(page: Page): Promise<(string | null)[]> {
  const text = (await page.getByTestId('readings').textContent()) ?? '';
  const said = /^Read on ([2-5]) framings \([^)]*\): (.*?)\. (The two readings agree|One answer got two votes ahead|No answer got two votes ahead)/.exec(text);
  expect(said, text).not.toBeNull();
  // as the run keeps them: null for a reading that did not answer ("no answer"), which settles nothing
  const answers = said![2]!.split(', ').map((a) => (a === 'no answer' ? null : a));
  expect(answers).toHaveLength(Number(said![1]));
  // the run stops at the first reading that settles the answer, or after the last
  for (let read = 1; read < answers.length; read++) expect(answerSettled(answers.slice(0, read), MAX_FRAMINGS), text).toBe(false);
  expect(answers.length === MAX_FRAMINGS || answerSettled(answers, MAX_FRAMINGS), text).toBe(true);
  return answers;
}

/**
 * The reading picker of a finished run read on several framings: one button per reading, with its
 * answer; pressed, the first reading that gave the run's answer, whose steps end in it. Leaves the
 * first reading shown (its crops are cut from the image as it is, which checkCrops compares).
 */
export async function checkReadingPicker(page: Page, answers: readonly (string | null)[]): Promise<void> {
  const tabs = page.getByTestId('reading-tab');
  await expect(tabs).toHaveText(answers.map((a, i) => `Reading ${i + 1}: ${a ?? 'no answer'}`));
  const chosen = majorityAnswer(answers)?.index ?? 0;
  for (let i = 0; i < answers.length; i++) await expect(tabs.nth(i)).toHaveAttribute('aria-pressed', String(i === chosen));
  await expect(page.locator('ol.steps')).toHaveAttribute('data-reading', String(chosen));
  const last = page.getByTestId('step').last();
  if (answers[chosen] !== null && (await last.getAttribute('data-kind')) === 'answer') {
    await expect(last.locator('.action strong')).toHaveText(await page.getByTestId('answer').innerText());
  }
  await tabs.first().click();
  await expect(tabs.first()).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('ol.steps')).toHaveAttribute('data-reading', '0');
  await expect(page.getByTestId('readings')).toContainText("the steps shown are the first reading's.");
}

/** A PNG made in the page: `w`×`h` with a gradient (so crops are not uniform). */
export async function pagePng(page: Page, w: number, h: number): Promise<Buffer> {
  const b64 = await page.evaluate(async ([w, h]) => {
    const c = new OffscreenCanvas(w!, h!);
    const ctx = c.getContext('2d')!;
    const g = ctx.createLinearGradient(0, 0, w!, h!);
    g.addColorStop(0, '#2a6f97');
    g.addColorStop(1, '#f2b632');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w!, h!);
    ctx.fillStyle = '#c92a2a';
    ctx.beginPath();
    ctx.arc(w! / 2, h! / 2, Math.min(w!, h!) / 4, 0, Math.PI * 2);
    ctx.fill();
    const blob = await c.convertToBlob({ type: 'image/png' });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, [w, h]);
  return Buffer.from(b64, 'base64');
}

/** Dispatches a drop of one file (as a DataTransfer) on the page. */
export async function dropFile(page: Page, name: string, mime: string, data: Buffer): Promise<void> {
  const dt = await page.evaluateHandle(([name, mime, b64]) => {
    const bin = atob(b64!);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name!, { type: mime! }));
    return dt;
  }, [name, mime, data.toString('base64')]);
  await page.dispatchEvent('[data-testid=stage]', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid=stage]', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid=stage]', 'drop', { dataTransfer: dt });
}

/** Dispatches a paste of one file on the document. */
export async function pasteFile(page: Page, name: string, mime: string, data: Buffer): Promise<void> {
  await page.evaluate(([name, mime, b64]) => {
    const bin = atob(b64!);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name!, { type: mime! }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [name, mime, data.toString('base64')]);
}
