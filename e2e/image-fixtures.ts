/**
 * Byte-level image fixtures for the bad-input tests, built in the test (no binaries committed):
 * PNGs of any bit depth and colour type, a 2-frame animated GIF, JPEGs (via @napi-rs/canvas)
 * with an EXIF orientation, and truncations.
 */
import { deflateSync } from 'node:zlib';
import { createCanvas } from '@napi-rs/canvas';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Colour types: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA. */
export type PngColour = 0 | 2 | 4 | 6;
const CHANNELS: Record<PngColour, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * A PNG whose sample at (x, y, channel) is `sample(x, y, c)` in 0..1, stored at `depth` bits
 * (8 or 16). No filtering (filter byte 0 on every row).
 */
export function makePng(width: number, height: number, colour: PngColour, depth: 8 | 16, sample: (x: number, y: number, c: number) => number): Buffer {
  const ch = CHANNELS[colour];
  const bytesPer = depth / 8;
  const row = 1 + width * ch * bytesPer;
  const raw = Buffer.alloc(row * height);
  const max = depth === 16 ? 65535 : 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < ch; c++) {
        const v = Math.round(Math.max(0, Math.min(1, sample(x, y, c))) * max);
        const o = y * row + 1 + (x * ch + c) * bytesPer;
        if (depth === 16) raw.writeUInt16BE(v, o);
        else raw[o] = v;
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colour;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Only a PNG signature and IHDR claiming width×height (a decompression bomb's header), then one tiny IDAT. */
export function pngHeaderClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  // a real bomb would follow with a few MB of deflated zeros; the header alone must be refused
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(4096))), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * GIF image data for `pixels` (palette indices 0..3) with LZW minimum code size 2, kept
 * uncompressed-style: a clear code before every two pixels, so every code is 3 bits.
 */
function gifLzw(pixels: number[]): Buffer {
  const codes: number[] = [];
  for (let i = 0; i < pixels.length; i += 2) codes.push(4, ...pixels.slice(i, i + 2));
  codes.push(5);
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const code of codes) {
    acc |= code << bits;
    bits += 3;
    while (bits >= 8) bytes.push(acc & 255), (acc >>>= 8), (bits -= 8);
  }
  if (bits > 0) bytes.push(acc & 255);
  const blocks: number[] = [2];
  for (let i = 0; i < bytes.length; i += 255) {
    const part = bytes.slice(i, i + 255);
    blocks.push(part.length, ...part);
  }
  blocks.push(0);
  return Buffer.from(blocks);
}

/** An animated GIF (looping, 2 frames of width×height: left half red then blue, right half white). */
export function makeAnimatedGif(width: number, height: number): Buffer {
  const le16 = (n: number) => [n & 255, (n >>> 8) & 255];
  const palette = [255, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0]; // red, blue, white, black
  const frame = (colour: number) => {
    const pixels = Array.from({ length: width * height }, (_, i) => (i % width < width / 2 ? colour : 2));
    return Buffer.concat([
      Buffer.from([0x21, 0xf9, 4, 0, ...le16(20), 0, 0]), // graphic control: 200 ms
      Buffer.from([0x2c, ...le16(0), ...le16(0), ...le16(width), ...le16(height), 0]),
      gifLzw(pixels),
    ]);
  };
  return Buffer.concat([
    Buffer.from('GIF89a', 'ascii'),
    Buffer.from([...le16(width), ...le16(height), 0xf1, 0, 0]), // global colour table of 4
    Buffer.from(palette),
    Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0', 'ascii'), 3, 1, 0, 0, 0]), // loop forever
    frame(0),
    frame(1),
    Buffer.from([0x3b]),
  ]);
}

/** A JPEG of width×height: red left half, blue right half (so a rotation is visible). */
export function makeJpeg(width: number, height: number): Buffer {
  const c = createCanvas(width, height);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#d00000';
  ctx.fillRect(0, 0, width / 2, height);
  ctx.fillStyle = '#0030d0';
  ctx.fillRect(width / 2, 0, width - width / 2, height);
  return c.encodeSync('jpeg', 92);
}

/** Inserts an EXIF APP1 segment with only an Orientation tag right after the JPEG's SOI. */
export function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.from([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, IFD at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, (orientation >> 8) & 255, orientation & 255, 0x00, 0x00, // Orientation SHORT
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(payload.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), len, payload, jpeg.subarray(2)]);
}
