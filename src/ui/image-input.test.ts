import { describe, expect, it } from 'vitest';
import { readImageHeader } from './image-input';

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >>> 8) & 255];
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const le24 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];

describe('readImageHeader', () => {
  it('reads PNG, GIF and BMP sizes', () => {
    expect(readImageHeader(bytes([0x89], 'PNG\r\n', [0x1a, 0x0a], be32(13), 'IHDR', be32(50000), be32(40000), [8, 6, 0, 0, 0]))).toEqual({ format: 'png', width: 50000, height: 40000 });
    expect(readImageHeader(bytes('GIF89a', le16(320), le16(200), [0, 0, 0]))).toEqual({ format: 'gif', width: 320, height: 200 });
    expect(readImageHeader(bytes('BM', le32(0), le32(0), le32(54), le32(40), le32(800), le32(-600 >>> 0)))).toEqual({ format: 'bmp', width: 800, height: 600 });
  });

  it('reads WebP (extended and lossless) sizes', () => {
    expect(readImageHeader(bytes('RIFF', le32(100), 'WEBP', 'VP8X', le32(10), [0, 0, 0, 0], le24(4095), le24(2047)))).toEqual({ format: 'webp', width: 4096, height: 2048 });
    const w = 1000 - 1;
    const h = 700 - 1;
    const bits = (w & 0x3fff) | ((h & 0x3fff) << 14);
    expect(readImageHeader(bytes('RIFF', le32(100), 'WEBP', 'VP8L', le32(10), [0x2f], le32(bits), [0, 0, 0, 0, 0]))).toEqual({ format: 'webp', width: 1000, height: 700 });
  });

  it('walks JPEG markers to the frame header', () => {
    const app0 = [0xff, 0xe0, 0, 16, ...bytes('JFIF', [0]), 1, 1, 0, 0, 1, 0, 1, 0, 0];
    const sof = [0xff, 0xc0, 0, 17, 8, ...[0x0b, 0xb8], ...[0x0f, 0xa0], 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
    expect(readImageHeader(new Uint8Array([0xff, 0xd8, ...app0, ...sof]))).toEqual({ format: 'jpeg', width: 4000, height: 3000 });
  });

  it('returns null for text, truncated and damaged data', () => {
    expect(readImageHeader(bytes('hello, this is not an image at all'))).toBeNull();
    expect(readImageHeader(bytes([0x89], 'PNG'))).toBeNull();
    expect(readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 2, 0x12, 0x34, 0, 0, 0, 0]))).toBeNull();
    expect(readImageHeader(new Uint8Array(0))).toBeNull();
  });
});

describe('looksLikeSvg', () => {
  const text = (s: string) => new TextEncoder().encode(s);
  it('knows SVG by type or by content, and nothing else', async () => {
    const { looksLikeSvg } = await import('./image-input');
    expect(looksLikeSvg('image/svg+xml', new Uint8Array(0))).toBe(true);
    expect(looksLikeSvg('image/png', text('  <svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe(true);
    expect(looksLikeSvg('', text('\uFEFF<?xml version="1.0"?>\n<svg width="10"></svg>'))).toBe(true);
    expect(looksLikeSvg('text/plain', text('<?xml version="1.0"?><note/>'))).toBe(false);
    expect(looksLikeSvg('image/png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
  });
});
