import { createRequire } from 'node:module';
import type { PdfDocument } from './pdf';

/**
 * Images for OCR: PDF pages rendered to PNG, and deposited images checked (and converted when tesseract cannot
 * read them). Sizes are read from the file header before anything is decoded, so a decompression bomb (a few
 * KB announcing 100000 × 100000 pixels, 40 GB once decoded) is refused without allocating it.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** Bytes a decoder holds per pixel: channels × bytes per sample (16-bit PNG samples take two). */
  bytesPerPixel: number;
}

export interface ImageLimits {
  /** ~40 MP: an A4 page at 600 dpi is 35 MP. */
  maxPixels: number;
  maxSide: number;
  /**
   * Width × height × bytes per pixel. 160 MB is a 40 MP image at 4 bytes a pixel (8-bit RGBA); a 10000 × 4000
   * 16-bit RGBA PNG (311 KB on disk) needs 320 MB decoded and is refused from its header.
   */
  maxDecodedBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxPixels: 40_000_000,
  maxSide: 10_000,
  maxDecodedBytes: 160_000_000,
};
/**
 * Rendered pages are capped lower: A3 at 200 dpi is 7.8 MP, and every pixel sent to tesseract stays in its
 * worker's WebAssembly heap, which never shrinks (ocr-notes.md §3d).
 */
export const DEFAULT_RENDER_LIMITS: ImageLimits = {
  maxPixels: 16_000_000,
  maxSide: 10_000,
  maxDecodedBytes: 64_000_000,
};
/** ocr-notes.md §5.3: 200 dpi reads as well as 300 dpi with less memory, and rescued noisy scans. */
export const DEFAULT_RENDER_DPI = 200;

export type ImageErrorCode = 'IMAGE_UNREADABLE' | 'IMAGE_TOO_LARGE';

export class ImageError extends Error {
  /** Format and size from the header, when it could be read. */
  readonly info: ImageInfo | undefined;

  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown; info?: ImageInfo },
  ) {
    super(message, options);
    this.name = 'ImageError';
    this.info = options?.info;
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Format and dimensions from the header alone; null when the bytes are not a PNG, JPEG or GIF we can size. */
export function readImageHeader(bytes: Uint8Array): ImageInfo | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 24 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) {
    // PNG spec §5.2-5.3: IHDR is the first chunk; width and height are its first two 4-byte big-endian fields.
    if (buf.toString('latin1', 12, 16) !== 'IHDR') return null;
    // Then bit depth and colour type (PNG spec §11.2.2): 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.
    const bitDepth = buf[24] ?? 8;
    const channels = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }[buf[25] ?? 6] ?? 4;
    // A palette expands to RGB; samples below 8 bits are unpacked to bytes.
    const bytesPerSample = buf[25] === 3 ? 1 : Math.max(1, bitDepth / 8);
    return {
      format: 'png',
      width: buf.readUInt32BE(16),
      height: buf.readUInt32BE(20),
      bytesPerPixel: channels * bytesPerSample,
    };
  }
  if (buf.length >= 10 && /^GIF8[79]a$/.test(buf.toString('latin1', 0, 6))) {
    // GIF89a §18: logical screen width and height, little-endian, right after the signature. It is redrawn on an
    // RGBA canvas.
    return { format: 'gif', width: buf.readUInt16LE(6), height: buf.readUInt16LE(8), bytesPerPixel: 4 };
  }
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8) return readJpegSize(buf);
  return null;
}

/** Walks the JPEG markers (ITU T.81 Annex B) up to the first start-of-frame, which holds the frame size. */
function readJpegSize(buf: Buffer): ImageInfo | null {
  let offset = 2;
  while (offset + 4 <= buf.length) {
    if (buf[offset] !== 0xff) return null;
    const marker = buf[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan data before any frame header
    const length = buf.readUInt16BE(offset + 2);
    if (length < 2) return null;
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      if (offset + 10 > buf.length) return null;
      // Frame header (T.81 B.2.2): precision, height, width, then the number of components (1 grey, 3 YCbCr, 4 CMYK).
      const bytesPerSample = (buf[offset + 4] ?? 8) > 8 ? 2 : 1;
      return {
        format: 'jpeg',
        height: buf.readUInt16BE(offset + 5),
        width: buf.readUInt16BE(offset + 7),
        bytesPerPixel: Math.max(1, buf[offset + 9] ?? 3) * bytesPerSample,
      };
    }
    offset += 2 + length;
  }
  return null;
}

/** Throws IMAGE_UNREADABLE for an unknown or empty header, IMAGE_TOO_LARGE beyond the limits. */
export function checkImage(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): ImageInfo {
  const info = readImageHeader(bytes);
  if (!info) throw new ImageError('IMAGE_UNREADABLE', 'Not a PNG, JPEG or GIF image, or its header is damaged');
  if (info.width === 0 || info.height === 0) {
    throw new ImageError('IMAGE_UNREADABLE', `Image has an empty size (${info.width} × ${info.height})`);
  }
  const pixels = info.width * info.height;
  if (
    info.width > limits.maxSide ||
    info.height > limits.maxSide ||
    pixels > limits.maxPixels ||
    pixels * info.bytesPerPixel > limits.maxDecodedBytes
  ) {
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `Image of ${info.width} × ${info.height} pixels at ${info.bytesPerPixel} bytes a pixel exceeds the limits ` +
        `(${limits.maxSide} px a side, ${limits.maxPixels} pixels, ${limits.maxDecodedBytes} bytes decoded)`,
      { info },
    );
  }
  return info;
}

/**
 * The image as tesseract should receive it: PNG and JPEG as they are (tesseract decodes them itself, after
 * `checkImage` bounded their size); GIF redrawn to PNG, since tesseract's image reader has no GIF support.
 */
export async function imageForOcr(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<Buffer> {
  const info = checkImage(bytes, limits);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (info.format !== 'gif') return buffer;
  const canvasModule = loadCanvasModule();
  let image: CanvasImage;
  try {
    image = await canvasModule.loadImage(buffer);
  } catch (error) {
    throw new ImageError('IMAGE_UNREADABLE', 'GIF image cannot be decoded', { cause: error });
  }
  const canvas = canvasModule.createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  // GIF transparency would read as black once flattened: put the page on white paper first.
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, image.width, image.height);
  context.drawImage(image, 0, 0);
  return canvas.toBuffer('image/png');
}

export interface RenderOptions {
  dpi?: number;
  limits?: ImageLimits;
}

/**
 * Renders one page to PNG with the document's own canvas factory: pdfjs-dist draws with the @napi-rs/canvas
 * it depends on, and a canvas from another copy of that package fails with "parameter 1 is not of type
 * 'Path2D'" (field notes §8). A page larger than the limits (a poster-sized MediaBox) is rendered at a lower
 * resolution rather than refused.
 */
export async function renderPdfPage(
  doc: PdfDocument,
  pageNumber: number,
  options: RenderOptions = {},
): Promise<Buffer> {
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  const page = await doc.getPage(pageNumber);
  try {
    let scale = (options.dpi ?? DEFAULT_RENDER_DPI) / 72;
    const base = page.getViewport({ scale: 1 });
    const fit = Math.min(
      Math.sqrt(limits.maxPixels / Math.max(1, base.width * base.height)),
      limits.maxSide / Math.max(1, base.width, base.height),
    );
    scale = Math.min(scale, fit);
    const viewport = page.getViewport({ scale });
    const width = Math.max(1, Math.floor(viewport.width));
    const height = Math.max(1, Math.floor(viewport.height));
    const factory = canvasFactoryOf(doc);
    const target = factory.create(width, height);
    try {
      await page.render({
        canvas: target.canvas as unknown as Parameters<typeof page.render>[0]['canvas'],
        viewport,
        background: '#ffffff',
      }).promise;
      return target.canvas.toBuffer('image/png');
    } finally {
      factory.destroy(target);
    }
  } finally {
    page.cleanup();
  }
}

export interface NodeCanvas {
  width: number;
  height: number;
  toBuffer(mime: 'image/png'): Buffer;
  /** Quality from 0 to 100. */
  toBuffer(mime: 'image/jpeg', quality?: number): Buffer;
}

interface CanvasAndContext {
  canvas: NodeCanvas;
  context: unknown;
}

interface CanvasFactory {
  create(width: number, height: number): CanvasAndContext;
  destroy(canvasAndContext: CanvasAndContext): void;
}

/** pdfjs types `canvasFactory` as a bare Object; its Node implementation creates @napi-rs/canvas canvases. */
function canvasFactoryOf(doc: PdfDocument): CanvasFactory {
  const factory: unknown = doc.canvasFactory;
  if (
    typeof factory === 'object' &&
    factory !== null &&
    'create' in factory &&
    typeof factory.create === 'function' &&
    'destroy' in factory &&
    typeof factory.destroy === 'function'
  ) {
    return factory as CanvasFactory;
  }
  throw new Error('pdfjs document has no canvas factory');
}

export interface CanvasImage {
  width: number;
  height: number;
}

export interface CanvasPixels {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes a pixel, row by row. */
  readonly data: Uint8ClampedArray;
}

export interface Context2d {
  fillStyle: string;
  fillRect(x: number, y: number, width: number, height: number): void;
  drawImage(image: CanvasImage, x: number, y: number): void;
  translate(x: number, y: number): void;
  /** Clockwise, in radians. */
  rotate(angle: number): void;
  scale(x: number, y: number): void;
  save(): void;
  restore(): void;
  beginPath(): void;
  rect(x: number, y: number, width: number, height: number): void;
  clip(): void;
  getImageData(x: number, y: number, width: number, height: number): CanvasPixels;
  putImageData(pixels: CanvasPixels, x: number, y: number): void;
}

export interface CanvasModule {
  loadImage(source: Buffer): Promise<CanvasImage>;
  createCanvas(width: number, height: number): NodeCanvas & { getContext(kind: '2d'): Context2d };
}

let canvasModule: CanvasModule | undefined;

/** The @napi-rs/canvas that pdfjs-dist itself loads (resolved from its folder), so there is only one copy. */
export function loadCanvasModule(): CanvasModule {
  canvasModule ??= createRequire(require.resolve('pdfjs-dist/package.json'))('@napi-rs/canvas') as CanvasModule;
  return canvasModule;
}

/** A rectangle of a page image, in its pixels. */
export interface ImageRegion {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A page image and the slope of its text (the tan of its angle, y downwards: extraction/layout.ts skewOf). */
export interface SkewedImage {
  image: Buffer;
  slope: number;
}

/** White space between two regions of a rescue image, in its pixels: tesseract reads them as separate rows. */
const REGION_GAP = 24;

/**
 * Regions of page images for a second reading, in one image (one OCR call): each cut out, enlarged `scale` times
 * (tesseract reads small print better with more pixels per character), turned level when its page was scanned
 * askew, and stacked under the previous one. Regions are in their straightened page's coordinates
 * (layout.ts straightened: y' = y − slope·x).
 */
export async function regionsImage(
  regions: readonly (ImageRegion & { page: number })[],
  pages: ReadonlyMap<number, SkewedImage>,
  scale: number,
): Promise<Buffer> {
  const canvasModule = loadCanvasModule();
  const sources = new Map<number, CanvasImage>();
  for (const page of new Set(regions.map((region) => region.page))) {
    const source = pages.get(page);
    if (source) sources.set(page, await canvasModule.loadImage(source.image));
  }
  const width = Math.max(1, ...regions.map((region) => Math.round((region.x1 - region.x0) * scale)));
  const heights = regions.map((region) => Math.max(1, Math.round((region.y1 - region.y0) * scale)));
  const height = heights.reduce((sum, h) => sum + h + REGION_GAP, REGION_GAP);
  const canvas = canvasModule.createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  let top = REGION_GAP;
  for (const [index, region] of regions.entries()) {
    const source = sources.get(region.page);
    const slope = pages.get(region.page)?.slope ?? 0;
    const regionHeight = heights[index] ?? 1;
    if (source) {
      context.save();
      context.beginPath();
      context.rect(0, top, width, regionHeight);
      context.clip();
      // The region's middle, back in the scanned image: its y is where the skew put it.
      const middleX = (region.x0 + region.x1) / 2;
      const middleY = (region.y0 + region.y1) / 2 + slope * middleX;
      context.translate(((region.x1 - region.x0) * scale) / 2, top + regionHeight / 2);
      context.scale(scale, scale);
      context.rotate(-Math.atan(slope));
      context.translate(-middleX, -middleY);
      context.drawImage(source, 0, 0);
      context.restore();
    }
    top += regionHeight + REGION_GAP;
  }
  return canvas.toBuffer('image/png');
}
