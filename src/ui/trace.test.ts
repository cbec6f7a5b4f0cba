import { describe, expect, it } from 'vitest';
import {
  type SquintTrace, TraceImportError, conversationSteps, escapeHtml, parseTraceText, readingsText, traceToHtml,
} from './trace';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function trace(extra: Partial<SquintTrace> = {}): SquintTrace {
  return {
    format: 'squint-trace', version: 1, createdAt: '2025-01-01T00:00:00Z', question: 'What is written on the red circle?',
    image: { dataUrl: PNG, width: 640, height: 480 },
    model: { preset: 'default', parameters: 796224, quantization: 'float16' },
    episodes: [{
      label: 'With the zoom tool', toolEnabled: true, answer: '7', endReason: 'answer', totalMs: 1234,
      steps: [
        { turn: 0, kind: 'zoom', text: '<think>look</think><tool_call>…</tool_call>', thought: 'look', box: [10, 20, 110, 120], requestedBox: [10, 20, 110, 120], error: null, answer: null, tokens: 12, crop: { dataUrl: PNG, width: 100, height: 100 } },
        { turn: 1, kind: 'answer', text: '<think>it is 7</think><answer>7</answer>', thought: 'it is 7', box: null, requestedBox: null, error: null, answer: '7', tokens: 8, crop: null },
      ],
    }],
    ...extra,
  };
}

describe('Squint traces', () => {
  it('round-trips through JSON', () => {
    const t = trace();
    const parsed = parseTraceText(JSON.stringify(t));
    expect(parsed).toEqual({ kind: 'squint', trace: t });
  });

  it('says why the readings stopped: two that agree, one answer two votes ahead, or neither', () => {
    expect(readingsText(['7', 'the 7'])).toMatch(/: 7, the 7\. The two readings agree, so reading stopped;/);
    expect(readingsText(['7', '1', '7', '7'])).toMatch(/^Read on 4 framings .*: 7, 1, 7, 7\. One answer got two votes ahead, so reading stopped;/);
    expect(readingsText(['7', null, '1', '7', '1'])).toMatch(/: 7, no answer, 1, 7, 1\. No answer got two votes ahead, so the answer is what most readings say;/);
  });

  it('keeps the readings of a run on several framings, and the HTML page says what they were', () => {
    const base = trace();
    const t = trace({ episodes: [{ ...base.episodes[0]!, readings: ['7', '1', '7'] }] });
    expect(parseTraceText(JSON.stringify(t))).toEqual({ kind: 'squint', trace: t });
    expect(traceToHtml(t)).toContain('Read on 3 framings');
    expect(traceToHtml(t)).toContain(': 7, 1, 7.');
    expect(traceToHtml(t)).toContain('No answer got two votes ahead');
    expect(traceToHtml(base)).not.toContain('framings');
    expect(() => parseTraceText(JSON.stringify(trace({ episodes: [{ ...base.episodes[0]!, readings: ['1', '2', '3', '4', '5', '6'] }] })))).toThrow(/more than 5 readings/);
  });

  it('keeps every reading\'s steps and which were shown; the HTML page shows those and says whose they are', () => {
    const base = trace().episodes[0]!;
    const second = [{ ...base.steps[0]!, box: [-18, 0, 90, 100] as [number, number, number, number], thought: 'the other framing' }, { ...base.steps[1]!, answer: '1' }];
    const t = trace({ episodes: [{ ...base, answer: '1', readings: ['7', '1', '1'], otherReadingSteps: [second, [base.steps[1]!]], shownReading: 1 }] });
    expect(parseTraceText(JSON.stringify(t))).toEqual({ kind: 'squint', trace: t });
    const html = traceToHtml(t);
    expect(html).toContain('the other framing');
    expect(html).not.toContain('>look<');
    expect(html).toContain('the steps shown are the second reading&#39;s');
    expect(readingsText(['7', '7'])).toMatch(/the steps shown are the first reading's\.$/);
    // a trace whose readings' steps do not add up is refused, saying why
    const bad = (ep: object) => () => parseTraceText(JSON.stringify(trace({ episodes: [{ ...base, ...ep }] })));
    expect(bad({ readings: ['7', '1'], otherReadingSteps: [second, second] })).toThrow(/steps of more readings than it lists answers for/);
    expect(bad({ otherReadingSteps: [second] })).toThrow(/steps of more readings than it lists answers for/);
    expect(bad({ readings: ['7', '1'], otherReadingSteps: [second], shownReading: 2 })).toThrow(/shows a reading whose steps it does not hold/);
    expect(bad({ readings: ['7', '1'], shownReading: 1 })).toThrow(/shows a reading whose steps it does not hold/);
    expect(bad({ readings: ['7', '1'], otherReadingSteps: [second], shownReading: -1 })).toThrow(/shownReading/);
  });

  it('refuses malformed traces with a message that says what is wrong', () => {
    const bad = (v: unknown) => () => parseTraceText(typeof v === 'string' ? v : JSON.stringify(v));
    expect(bad('{not json')).toThrow(TraceImportError);
    expect(bad('{not json')).toThrow(/not valid JSON/);
    expect(bad({ ...trace(), version: 2 })).toThrow(/malformed: version/);
    expect(bad({ ...trace(), episodes: [] })).toThrow(/has no episodes/);
    expect(bad({ ...trace(), image: { dataUrl: 'https://evil.example/x.png', width: 1, height: 1 } })).toThrow(/data:image/);
    const noKind = trace();
    (noKind.episodes[0]!.steps[0] as { kind: string }).kind = 'explode';
    expect(bad(noKind)).toThrow(/episodes\.0\.steps\.0\.kind/);
    expect(bad({ ...trace(), question: 'x'.repeat(5000) })).toThrow(/longer than 2000/);
    expect(bad([1, 2, 3])).toThrow(/neither a Squint trace nor a DeepEyes conversation/);
  });
});

describe('DeepEyes conversations', () => {
  const conversation = [
    { role: 'system', content: 'You are a helpful assistant. # Tools …' },
    { role: 'user', content: [{ type: 'image', image: PNG }, { type: 'text', text: '<image>\nWhat is the number on the sign?' }] },
    { role: 'assistant', content: '<think>The sign is small; zoom.</think>\n<tool_call>\n{"name": "image_zoom_in_tool", "arguments": {"bbox_2d": [100, 50, 300, 200], "label": "sign"}}\n</tool_call>' },
    { role: 'user', content: [{ type: 'text', text: '<tool_response>' }, { type: 'image', image: 'crop.png' }, { type: 'text', text: '</tool_response>' }] },
    { role: 'assistant', content: '<think>Closer.</think><tool_call>{"name": "image_zoom_in_tool", "arguments": {"bbox_2d": [700, 500, 800, 600]}}</tool_call>' },
    { role: 'user', content: '<tool_response>Error: the box lies outside the image</tool_response>' },
    { role: 'assistant', content: '<think>It reads 42.</think><answer>42</answer>' },
  ];

  it('reads the question, the embedded image and the assistant turns', () => {
    const parsed = parseTraceText(JSON.stringify({ messages: conversation }));
    expect(parsed.kind).toBe('deepeyes');
    if (parsed.kind !== 'deepeyes') return;
    expect(parsed.conversation.question).toBe('What is the number on the sign?');
    expect(parsed.conversation.imageDataUrl).toBe(PNG);
    expect(parsed.conversation.turns).toHaveLength(3);
  });

  it('replays the turns as zoom, error and answer steps on the image', () => {
    const parsed = parseTraceText(JSON.stringify(conversation));
    if (parsed.kind !== 'deepeyes') throw new Error('expected deepeyes');
    const { steps, answer, endReason } = conversationSteps(parsed.conversation.turns, { width: 640, height: 480 });
    expect(steps.map((s) => s.kind)).toEqual(['zoom', 'error', 'answer']);
    expect(steps[0]!.box).toEqual([100, 50, 300, 200]);
    expect(steps[0]!.thought).toBe('The sign is small; zoom.');
    expect(steps[1]!.error).toMatch(/outside the 640×480 image/);
    expect(answer).toBe('42');
    expect(endReason).toBe('answer');
  });

  it('replays a box below the minimum crop as the widened zoom the tool now makes', () => {
    const tiny = '<think>Closer.</think><tool_call>{"name": "image_zoom_in_tool", "arguments": {"bbox_2d": [10, 10, 20, 20]}}</tool_call>';
    const { steps } = conversationSteps([tiny, '<answer>42</answer>'], { width: 640, height: 480 });
    expect(steps.map((s) => s.kind)).toEqual(['zoom', 'answer']);
    expect(steps[0]!.requestedBox).toEqual([10, 10, 20, 20]);
    expect(steps[0]!.box).toEqual([0, 0, 31, 31]);
  });

  it('accepts ShareGPT-style messages and ignores non-data image links', () => {
    const parsed = parseTraceText(JSON.stringify({ conversations: [
      { from: 'human', value: '<image>How many stars?' },
      { from: 'gpt', value: '<think>two</think><answer>2</answer>' },
    ], images: ['https://example.com/a.png'] }));
    expect(parsed).toEqual({ kind: 'deepeyes', conversation: { question: 'How many stars?', imageDataUrl: null, turns: ['<think>two</think><answer>2</answer>'] } });
  });

  it('refuses conversations without a question or assistant turns', () => {
    expect(() => parseTraceText(JSON.stringify([{ role: 'assistant', content: 'a' }, { role: 'assistant', content: 'b' }]))).toThrow(/no user message/);
    expect(() => parseTraceText(JSON.stringify([{ role: 'user', content: 'q?' }, { role: 'system', content: 'b' }]))).toThrow(/no assistant turns/);
  });
});

describe('HTML export', () => {
  it('escapes every piece of text, embeds no scripts and loads nothing from elsewhere', () => {
    const evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const t = trace({ question: evil });
    (t.episodes[0]!.steps[0] as { thought: string }).thought = evil;
    (t.episodes[0] as { answer: string }).answer = `"><b>${evil}`;
    const html = traceToHtml(t);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toContain("default-src 'none'; img-src data:");
    expect(html.match(/src="([^"]+)"/g)!.every((m) => m.startsWith('src="data:image/'))).toBe(true);
    expect(html).toContain('viewBox="0 0 640 480"');
    expect(html).toMatch(/<rect class="b0-0" x="10" y="20" width="100" height="100"/);
  });

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
