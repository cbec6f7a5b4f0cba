/**
 * Turning a dropped, pasted or chosen file into an image the app can use, with clear refusals:
 * not an image, corrupt, or too large. The size is read from the file header first, so an
 * oversized image is downscaled while decoding (or refused) before it can exhaust memory.
 */
import { downscaleNotice, sizeVerdict } from '../worker/protocol';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

const u32be = (b: Uint8Array, o: number) => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const u16be = (b: Uint8Array, o: number) => (b[o]! << 8) + b[o + 1]!;
const u16le = (b: Uint8Array, o: number) => b[o]! + (b[o + 1]! << 8);
const u24le = (b: Uint8Array, o: number) => b[o]! + (b[o + 1]! << 8) + (b[o + 2]! << 16);
const i32le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));

/** Bytes of the file head that readImageHeader needs (JPEG SOF markers can sit after large EXIF blocks). */
export const HEADER_BYTES = 256 * 1024;

/**
 * The format and pixel size from the first bytes of a file, or null when the bytes are not a
 * known image format (or too damaged to say). Pure: no decoding.
 */
export function readImageHeader(b: Uint8Array): ImageHeader | null {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR') {
    return { format: 'png', width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    return { format: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  if (b.length >= 30 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8X') return { format: 'webp', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
      return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    }
    return null;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the JPEG markers to the first start-of-frame.
    let o = 2;
    while (o + 9 < b.length) {
      if (b[o] !== 0xff) return null;
      const marker = b[o + 1]!;
      if (marker === 0xff) { o++; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { o += 2; continue; }
      const length = u16be(b, o + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { format: 'jpeg', width: u16be(b, o + 7), height: u16be(b, o + 5) };
      if (length < 2) return null;
      o += 2 + length;
    }
    return null;
  }
  return null;
}

/**
 * True for SVG: by MIME type, or by content (an XML or <svg> start) when the type is missing or
 * wrong. Browsers decode SVG only with a size and a document around it, and the model needs
 * pixels, so SVG is refused with its own message rather than as "corrupt".
 */
export function looksLikeSvg(type: string, head: Uint8Array): boolean {
  if (type === 'image/svg+xml') return true;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg')) || (text.startsWith('<!doctype svg'));
}

export interface LoadedImage {
  readonly bitmap: ImageBitmap;
  /** Size of the bitmap (after any downscale): the pixel space of every box. */
  readonly width: number;
  readonly height: number;
  /** Set when the image was downscaled to the limit. */
  readonly notice: string | null;
}

/** A refusal with a message meant for the person who chose the file. */
export class ImageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

const kb = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${Math.round(n / 1e3)} kB` : `${n} bytes`);

/**
 * Decodes a file into an ImageBitmap within the size limit.
 * @throws ImageInputError when the file is not an image, is corrupt, or is too large to open safely.
 */
export async function loadImageFile(file: Blob & { name?: string }): Promise<LoadedImage> {
  const name = file.name ? `"${file.name}"` : 'The pasted data';
  if (file.size === 0) throw new ImageInputError(`${name} is empty.`);
  const head = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
  const header = readImageHeader(head);
  if (!header && looksLikeSvg(file.type, head)) {
    throw new ImageInputError(`${name} is an SVG (vector) image. Squint works on pixels: export it as PNG or JPEG first.`);
  }
  if (!header && !file.type.startsWith('image/')) {
    throw new ImageInputError(`${name} is not an image (${file.type || 'unknown type'}, ${kb(file.size)}). Use a PNG, JPEG, WebP, GIF or BMP file.`);
  }
  let notice: string | null = null;
  let options: ImageBitmapOptions | undefined;
  if (header) {
    const verdict = sizeVerdict(header.width, header.height);
    if (verdict.kind === 'refuse') throw new ImageInputError(verdict.reason);
    if (verdict.kind === 'downscale') {
      notice = downscaleNotice(verdict);
      options = { resizeWidth: verdict.width, resizeHeight: verdict.height, resizeQuality: 'high' };
    }
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { ...options, imageOrientation: 'from-image' });
  } catch {
    throw new ImageInputError(
      header
        ? `${name} looks like a ${header.format.toUpperCase()} image but could not be decoded: the file is corrupt or truncated.`
        : `${name} could not be decoded as an image: it is corrupt or in a format this browser cannot read.`,
    );
  }
  // Formats without a readable header (e.g. AVIF): check the decoded size after the fact.
  const verdict = sizeVerdict(bitmap.width, bitmap.height);
  if (verdict.kind === 'refuse') {
    bitmap.close();
    throw new ImageInputError(verdict.reason);
  }
  if (verdict.kind === 'downscale') {
    const resized = await createImageBitmap(bitmap, { resizeWidth: verdict.width, resizeHeight: verdict.height, resizeQuality: 'high' });
    bitmap.close();
    bitmap = resized;
    notice = downscaleNotice(verdict);
  }
  return { bitmap, width: bitmap.width, height: bitmap.height, notice };
}
