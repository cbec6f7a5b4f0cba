/** Traces: export (JSON, self-contained HTML), import (Squint, DeepEyes), replay, refusals. */
import { readFile, writeFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { checkCrops, checkReadingPicker, expect, newPuzzle, openApp, pagePng, setLimits, settledReadings, test } from './fixtures';

async function importFile(page: Page, path: string) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import trace…' }).click();
  await (await chooser).setFiles(path);
}

async function download(page: Page, button: string, path: string): Promise<string> {
  const d = page.waitForEvent('download');
  await page.getByRole('button', { name: button }).click();
  await (await d).saveAs(path);
  return readFile(path, 'utf8');
}

test('a finished run exports as JSON and as self-contained HTML, and the JSON imports back for step-through replay', async ({ page, context }, testInfo) => {
  await openApp(page, 'wasm');
  await setLimits(page, { maxTurns: 3, maxTokens: 64 });
  const question = await newPuzzle(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('final')).toBeVisible({ timeout: 40_000 });
  // the run read the image on shifted framings (the default): the trace keeps every reading's answer and steps
  const answers = await settledReadings(page);
  await checkReadingPicker(page, answers); // the first reading's steps shown, as `steps` below
  const steps = await page.getByTestId('step').count();
  const final = await page.getByTestId('final').textContent();
  const readings = await page.getByTestId('readings').textContent();

  const json = JSON.parse(await download(page, 'Export JSON', testInfo.outputPath('trace.json')));
  expect(json).toMatchObject({ format: 'squint-trace', version: 1, question });
  expect(json.image.dataUrl).toMatch(/^data:image\/png;base64,/);
  expect(json.episodes[0].steps).toHaveLength(steps);
  expect(json.episodes[0].readings).toEqual(answers);
  expect(json.episodes[0].otherReadingSteps).toHaveLength(answers.length - 1);
  expect(json.episodes[0].shownReading).toBe(0);
  for (const s of json.episodes[0].steps) if (s.kind === 'zoom') expect(s.crop.dataUrl).toMatch(/^data:image\/png;base64,/);

  const html = await download(page, 'Export HTML', testInfo.outputPath('trace.html'));
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/(src|href)="(?!data:)/);
  const viewer = await context.newPage();
  await viewer.setContent(html);
  await expect(viewer.getByRole('heading', { level: 1 })).toHaveText(question);
  await expect(viewer.locator('li.step')).toHaveCount(steps);
  await viewer.screenshot({ path: testInfo.outputPath('exported-trace.png'), fullPage: true });
  await viewer.close();

  // A fresh page: import the JSON and step through it.
  await page.reload();
  await importFile(page, testInfo.outputPath('trace.json'));
  await expect(page.getByTestId('message').filter({ hasText: 'Imported a Squint trace' })).toBeVisible();
  await expect(page.getByText('Imported', { exact: true })).toBeVisible();
  await expect(page.getByTestId('step')).toHaveCount(steps);
  await expect(page.getByTestId('final')).toHaveText(final!);
  await expect(page.getByTestId('readings')).toHaveText(readings!);
  // every reading's steps came back: the second's are a click away
  await expect(page.getByTestId('reading-tab')).toHaveCount(answers.length);
  await page.getByTestId('reading-tab').nth(1).click();
  await expect(page.getByTestId('step')).toHaveCount(json.episodes[0].otherReadingSteps[0].length);
  await page.getByTestId('reading-tab').first().click();
  await expect(page.getByRole('textbox', { name: 'Question' })).toHaveValue(question);
  await expect(page.getByTestId('original')).toBeVisible();

  await page.getByRole('button', { name: 'First step' }).click();
  await expect(page.getByTestId('replay-position')).toHaveText(`Step 0 of ${steps}`);
  await expect(page.getByTestId('step')).toHaveCount(0);
  await page.getByRole('button', { name: 'Next step' }).press('ArrowRight');
  await expect(page.getByTestId('step')).toHaveCount(1);
  await page.getByRole('button', { name: 'Last step' }).click();
  await expect(page.getByTestId('step')).toHaveCount(steps);
  await expect(page.getByTestId('final')).toBeVisible();
});

test('a DeepEyes conversation replays with crops cut from its image; a step highlights its box; its text stays text', async ({ page }, testInfo) => {
  await openApp(page, 'wasm');
  const png = await pagePng(page, 640, 480);
  const evil = '<img src=x onerror="window.__pwned=1">';
  const conversation = {
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: [{ type: 'image', image: `data:image/png;base64,${png.toString('base64')}` }, { type: 'text', text: '<image>\nWhat colour is the circle?' }] },
      { role: 'assistant', content: `<think>The circle is in the middle ${evil}; zoom in.</think>\n<tool_call>\n{"name": "image_zoom_in_tool", "arguments": {"bbox_2d": [200, 120, 440, 360], "label": "circle"}}\n</tool_call>` },
      { role: 'user', content: [{ type: 'text', text: '<tool_response>' }, { type: 'image', image: 'crop' }, { type: 'text', text: '</tool_response>' }] },
      { role: 'assistant', content: '<think>Closer still.</think><tool_call>{"name": "image_zoom_in_tool", "arguments": {"bbox_2d": [700, 500, 800, 600]}}</tool_call>' },
      { role: 'user', content: '<tool_response>Error: the box lies outside the image</tool_response>' },
      { role: 'assistant', content: '<think>It is red.</think><answer><b>red</b></answer>' },
    ],
  };
  const file = testInfo.outputPath('deepeyes.json');
  await writeFile(file, JSON.stringify(conversation));
  await importFile(page, file);
  await expect(page.getByTestId('message').filter({ hasText: 'Imported a DeepEyes conversation' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Question' })).toHaveValue('What colour is the circle?');

  const steps = page.getByTestId('step');
  await expect(steps).toHaveCount(3);
  expect(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['zoom', 'error', 'answer']);
  const crops = await checkCrops(page);
  expect(crops).toMatchObject({ crops: 1, boxes: ['200,120,440,360'] });
  expect(crops.worst).toBeLessThan(1);
  await expect(steps.nth(1)).toContainText('lies outside the 640×480 image');

  // Imported text is rendered as text.
  await expect(page.locator('.thought').first()).toHaveText(`The circle is in the middle ${evil}; zoom in.`);
  await expect(page.getByTestId('answer')).toHaveText('<b>red</b>');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);

  // Focus (keyboard) or hover on a step highlights its box on the image, and back.
  const zoomBox = page.locator('[data-testid=overlay-box].zoom');
  await steps.first().focus();
  await expect(zoomBox).toHaveClass(/highlighted/);
  await expect(steps.first()).toHaveClass(/highlighted/);
  await steps.nth(2).hover();
  await expect(zoomBox).not.toHaveClass(/highlighted/);
  await zoomBox.locator('rect').first().hover({ position: { x: 30, y: 30 } });
  await expect(steps.first()).toHaveClass(/highlighted/);
  await page.screenshot({ path: testInfo.outputPath('deepeyes-import.png') });
});

test('malformed trace files are refused with a message and change nothing', async ({ page }, testInfo) => {
  await openApp(page, 'wasm');
  const message = page.getByTestId('message');
  const write = async (name: string, text: string) => { const p = testInfo.outputPath(name); await writeFile(p, text); return p; };

  await importFile(page, await write('broken.json', '{"format": "squint-trace", "version": 1, "question": '));
  await expect(message.filter({ hasText: 'The file is not valid JSON' })).toBeVisible();

  await importFile(page, await write('partial.json', JSON.stringify({ format: 'squint-trace', version: 1, question: 'q', createdAt: 'now', image: null })));
  await expect(message.filter({ hasText: /This Squint trace is malformed: .*episodes/ })).toBeVisible();

  await importFile(page, await write('remote.json', JSON.stringify({ messages: [
    { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'text', text: 'What?' }] },
    { role: 'assistant', content: '<answer>x</answer>' },
  ] })));
  await expect(message.filter({ hasText: 'carries no embedded image' })).toBeVisible();

  await importFile(page, await write('other.json', JSON.stringify({ hello: 'world' })));
  await expect(message.filter({ hasText: 'neither a Squint trace nor a DeepEyes conversation' })).toBeVisible();
  await expect(page.getByTestId('episode')).toHaveCount(0);
  await expect(page.getByTestId('original')).toHaveCount(0);
});
