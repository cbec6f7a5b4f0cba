/**
 * Security: the built app runs under its Content-Security-Policy (and the policy is enforced),
 * nothing leaves the page's origin during a whole session, and text from the model or from an
 * imported trace is rendered as text (also in the HTML export).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, newPuzzle, openApp, setLimits, test } from './fixtures';

const EVIL = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">';

async function download(page: Page, button: string, path: string): Promise<string> {
  const d = page.waitForEvent('download');
  await page.getByRole('button', { name: button }).click();
  await (await d).saveAs(path);
  return readFile(path, 'utf8');
}

async function importFile(page: Page, path: string) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import trace…' }).click();
  await (await chooser).setFiles(path);
}

/** Records CSP violations seen by the document, and console lines about refused loads (page and workers). */
async function watchCsp(page: Page): Promise<{ violations: () => Promise<string[]>; console: string[] }> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const lines: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) lines.push(m.text());
  });
  page.on('worker', (w) => w.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && lines.push(`[worker] ${m.text()}`)));
  return { violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), console: lines };
}

test('the built app works under its Content-Security-Policy, which is sent and enforced', async ({ page }) => {
  const csp = await watchCsp(page);
  const response = await page.goto('/?backend=wasm');
  const header = response!.headers()['content-security-policy'] ?? '';
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval' blob:", "object-src 'none'"]) expect(header).toContain(directive);
  expect(header).not.toMatch(/'unsafe-inline'|'unsafe-eval'|https?:|\*/);
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute('content', /default-src 'self'/);

  // the model loads, a puzzle is generated, an episode runs, a trace exports: no violation
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 30_000 });
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await setLimits(page, { maxTurns: 3, maxTokens: 48 });
  await newPuzzle(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 40_000 });
  await expect(page.getByTestId('step').first()).toBeVisible();
  expect(await csp.violations()).toEqual([]);
  expect(csp.console).toEqual([]);

  // …and it is enforced: an injected inline script does not run, and is reported
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
  });
  expect(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline)).toBeUndefined();
  await expect.poll(() => csp.violations()).toContainEqual(expect.stringMatching(/^script-src/));
});

test('a whole session (load, puzzle, run, compare, export, import) makes requests only to the page origin', async ({ page, baseURL }, testInfo) => {
  const requests: string[] = [];
  page.context().on('request', (r) => requests.push(r.url()));
  await openApp(page, 'wasm');
  await setLimits(page, { maxTurns: 3, maxTokens: 48, compare: true });
  await newPuzzle(page);
  await page.getByRole('button', { name: 'Run both', exact: true }).click();
  await expect(page.getByTestId('episode').first()).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('episode').last()).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  const json = await download(page, 'Export JSON', testInfo.outputPath('session.json'));
  await download(page, 'Export HTML', testInfo.outputPath('session.html'));
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await importFile(page, testInfo.outputPath('session.json'));
  await expect(page.getByRole('textbox', { name: 'Question' })).toHaveValue(JSON.parse(json).question);

  const origin = new URL(baseURL!).origin;
  const foreign = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin);
  expect(foreign).toEqual([]);
  // the recording saw the session: the page, the worker, the WASM binary and the model files
  const paths = new Set(requests.filter((u) => u.startsWith(origin)).map((u) => new URL(u).pathname));
  expect([...paths].some((p) => /\.wasm$/.test(p))).toBe(true);
  expect([...paths].some((p) => /^\/models\/default\/model\.json$/.test(p))).toBe(true);
  expect([...paths].some((p) => /\.bin$/.test(p))).toBe(true);
  await testInfo.attach('requests.txt', { body: [...paths].sort().join('\n'), contentType: 'text/plain' });
});

test('model output is rendered as text: markup the model writes (mocked at the worker boundary) never becomes DOM', async ({ page }) => {
  // Capture the agent worker and the id of each run the page starts, before the app's scripts run.
  await page.addInitScript(() => {
    const w = window as unknown as { __agent?: Worker; __runs: number[] };
    w.__runs = [];
    const Original = window.Worker;
    window.Worker = class extends Original {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        if (options?.name === 'squint-agent' || /agent/.test(String(url))) w.__agent = this;
      }
      postMessage(message: unknown, transfer?: unknown) {
        const m = message as { type?: string; runId?: number };
        if (m?.type === 'run' && typeof m.runId === 'number') w.__runs.push(m.runId);
        return super.postMessage(message, transfer as Transferable[]);
      }
    } as typeof Worker;
  });
  await openApp(page, 'wasm');
  await setLimits(page, { maxTurns: 1, maxTokens: 1 });
  await newPuzzle(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  // the "model" now writes markup: a streamed token, a step's thought and text, the answer
  await page.evaluate((evil) => {
    const w = window as unknown as { __agent: Worker; __runs: number[] };
    const runId = w.__runs.at(-1)!;
    const send = (data: unknown) => w.__agent.dispatchEvent(new MessageEvent('message', { data }));
    send({ type: 'token', runId, turn: 1, piece: evil });
    send({
      type: 'step', runId,
      step: {
        turn: 1, kind: 'answer', text: `<think>${evil}</think><answer>${evil}</answer>`, thought: `I see ${evil} here`, box: null, requestedBox: null,
        crop: null, error: null, answer: evil, tokens: 3, timings: { generateMs: 1, cropMs: 0, encodeMs: 0 },
      },
    });
    send({ type: 'answer', runId, answer: evil, reading: 0 });
  }, EVIL);
  await expect(page.getByText(`I see ${EVIL} here`)).toBeVisible();
  await expect(page.getByTestId('answer')).toHaveText(EVIL);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('an imported Squint trace with markup in every text field is rendered as text, and its HTML export stays inert', async ({ page, context }, testInfo) => {
  await openApp(page, 'wasm');
  await setLimits(page, { maxTurns: 2, maxTokens: 24 });
  await newPuzzle(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  const trace = JSON.parse(await download(page, 'Export JSON', testInfo.outputPath('clean.json')));
  // every string the viewer shows, replaced by markup
  trace.question = `Q ${EVIL}`;
  type Step = { thought: string; text: string; answer?: string | null };
  for (const episode of trace.episodes as { steps: Step[]; otherReadingSteps?: Step[][]; readings?: string[]; answer?: string }[]) {
    for (const step of [...episode.steps, ...(episode.otherReadingSteps ?? []).flat()]) {
      step.thought = `T ${EVIL}`;
      step.text = `<think>T ${EVIL}</think>`;
      if (step.answer !== null && step.answer !== undefined) step.answer = `A ${EVIL}`;
    }
    if ('answer' in episode) episode.answer = `A ${EVIL}`;
    if (episode.readings) episode.readings = episode.readings.map(() => `R ${EVIL}`);
  }
  // the run read on several framings (the default), so every reading's steps are in the trace too
  expect(trace.episodes[0].otherReadingSteps.length).toBeGreaterThan(0);
  const evilPath = testInfo.outputPath('evil.json');
  await writeFile(evilPath, JSON.stringify(trace));
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await importFile(page, evilPath);
  await expect(page.getByRole('textbox', { name: 'Question' })).toHaveValue(`Q ${EVIL}`);
  await expect(page.getByText(`T ${EVIL}`).first()).toBeVisible();
  await expect(page.getByTestId('reading-tab').first()).toHaveText(`Reading 1: R ${EVIL}`);
  await page.getByTestId('reading-tab').last().click(); // a later reading's steps, shown
  await expect(page.getByTestId('reading-tab').last()).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

  // the self-contained HTML export of the imported trace: escaped text, no script, no remote source
  const html = await download(page, 'Export HTML', testInfo.outputPath('evil.html'));
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toContain('<img src=x');
  const viewer = await context.newPage();
  await viewer.setContent(html);
  await expect(viewer.getByRole('heading', { level: 1 })).toHaveText(`Q ${EVIL}`);
  await expect(viewer.locator('img[src="x"]')).toHaveCount(0);
  expect(await viewer.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await viewer.close();
});
