import { loadCanvasModule, renderPdfPage } from '../../extraction/page-images';
import { withPdf } from '../../extraction/pdf';
import type { Random } from './random';

/**
 * The invoice as images: every page rendered to PNG at 200 dpi by the service's own pdfjs path (what OCR gets
 * from a text PDF), and every page made to look scanned (greyscale, a slight rotation, noise, JPEG at 70).
 */

/** PNG of every page at DEFAULT_RENDER_DPI (200): an A4 page is about 1654 × 2339 pixels. */
export function renderPages(pdf: Buffer): Promise<Buffer[]> {
  return withPdf(pdf, {}, async (doc) => {
    const pages: Buffer[] = [];
    for (let pageNumber = 1; pageNumber <= doc.numPages; pageNumber += 1) {
      pages.push(await renderPdfPage(doc, pageNumber));
    }
    return pages;
  });
}

const JPEG_QUALITY = 70;
/** Grey levels of noise either side of each pixel's value. */
const NOISE = 14;
/** Share of pixels turned into dark specks (dust on the scanner glass). */
const SPECKS = 0.0003;
/** Noise is read from a table at a random offset per row: drawing two numbers per pixel took seconds a page. */
const NOISE_TABLE_SIZE = 1 << 16;

/**
 * A page as a cheap office scanner returns it: rotated 0.5 to 1.5 degrees either way around its centre on white
 * paper, in shades of grey with a slightly grey paper, light noise and a few specks, saved as a JPEG. Drawn on
 * the @napi-rs/canvas pdfjs itself loads (extraction/page-images.ts), so there is one copy of it in the process.
 */
export async function scanPage(png: Buffer, random: Random): Promise<Buffer> {
  const canvasModule = loadCanvasModule();
  const image = await canvasModule.loadImage(png);
  const { width, height } = image;
  const canvas = canvasModule.createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  const degrees = (0.5 + random.next()) * (random.chance(0.5) ? 1 : -1);
  context.translate(width / 2, height / 2);
  context.rotate((degrees * Math.PI) / 180);
  context.translate(-width / 2, -height / 2);
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, width, height);
  addPaperAndNoise(pixels.data, width, random);
  context.putImageData(pixels, 0, 0);
  return canvas.toBuffer('image/jpeg', JPEG_QUALITY);
}

/** Greyscale on slightly grey paper, with noise and specks, in place on RGBA pixels. */
function addPaperAndNoise(data: Uint8ClampedArray, width: number, random: Random): void {
  const noise = new Float32Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < noise.length; i += 1) {
    noise[i] = random.next() < SPECKS ? -255 : (random.next() - 0.5) * 2 * NOISE;
  }
  const paper = random.int(236, 248) / 255;
  const mask = NOISE_TABLE_SIZE - 1;
  let offset = 0;
  for (let i = 0; i < data.length; i += 4) {
    if ((i >> 2) % width === 0) offset = random.int(0, mask);
    const grey = 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
    const value = grey * paper + (noise[(offset + (i >> 2)) & mask] ?? 0);
    data[i] = value;
    data[i + 1] = value;
    data[i + 2] = value;
    data[i + 3] = 255;
  }
}
