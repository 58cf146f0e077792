import path from 'node:path';

/**
 * pdfjs-dist, opened safely. pdfjs-dist ships ESM only (≤ 5.6.205 for Node 20, field notes fact 7), so it is
 * loaded through a real dynamic `import()`, which `module: node16` keeps as is in our CommonJS output.
 */

export type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs', { with: { 'resolution-mode': 'import' } });
export type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;

export type PdfErrorCode = 'PDF_ENCRYPTED' | 'PDF_UNREADABLE' | 'PDF_TOO_MANY_PAGES';

export class PdfError extends Error {
  /** Set with PDF_TOO_MANY_PAGES. */
  readonly pageCount: number | undefined;
  readonly maxPages: number | undefined;

  constructor(
    readonly code: PdfErrorCode,
    message: string,
    options?: { cause?: unknown; pageCount?: number; maxPages?: number },
  ) {
    super(message, options);
    this.name = 'PdfError';
    this.pageCount = options?.pageCount;
    this.maxPages = options?.maxPages;
  }
}

/** Beyond this many pages a PDF is refused before any page is parsed (a deposit is one invoice). */
export const DEFAULT_MAX_PAGES = 50;
const DEFAULT_OPEN_TIMEOUT_MS = 20_000;
/** Largest image pdfjs decodes inside a page, in pixels: a decompression bomb in an image stream stops here. */
const MAX_EMBEDDED_IMAGE_PIXELS = 40_000_000;

const pdfjsRoot = path.dirname(require.resolve('pdfjs-dist/package.json'));
/** pdfjs's Node loader reads these folders with fs; its URL options must end with a slash. */
const assetFolder = (name: string) => `${path.join(pdfjsRoot, name)}${path.sep}`;

const PDFJS_WORKER_MODULE = 'pdfjs-dist/legacy/build/pdf.worker.mjs';

let pdfjsLoading: Promise<PdfJs> | undefined;

/**
 * Loads pdfjs once per process. Its worker module is loaded too and published as `globalThis.pdfjsWorker`,
 * the hook pdfjs checks before spawning a worker: in Node it would otherwise `import()` the worker file by a
 * relative URL, which breaks under bundlers and Jest's module loader.
 */
export function loadPdfJs(): Promise<PdfJs> {
  pdfjsLoading ??= (async () => {
    const [pdfjs, worker] = await Promise.all([
      import('pdfjs-dist/legacy/build/pdf.mjs'),
      // Untyped module: the specifier goes through a variable so the compiler does not look for declarations.
      import(PDFJS_WORKER_MODULE) as Promise<unknown>,
    ]);
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
    return pdfjs;
  })().catch((error: unknown) => {
    pdfjsLoading = undefined;
    throw error;
  });
  return pdfjsLoading;
}

export interface OpenPdfOptions {
  /** A PDF with more pages is refused with PDF_TOO_MANY_PAGES before any page is read. */
  maxPages?: number;
  /** Parsing the cross-reference table and catalogue may not take longer (a pathological file is refused). */
  timeoutMs?: number;
}

/**
 * Opens a PDF from memory. Throws PdfError: PDF_ENCRYPTED (a password is needed), PDF_UNREADABLE (not a PDF,
 * corrupt, truncated, too slow to open), PDF_TOO_MANY_PAGES. The caller must `destroy()` the document.
 */
export async function openPdf(bytes: Uint8Array, options: OpenPdfOptions = {}): Promise<PdfDocument> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const pdfjs = await loadPdfJs();
  const task = pdfjs.getDocument({
    // A copy: pdfjs transfers (detaches) the buffer it is given, and refuses Node Buffers.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    // Fonts are never installed in the process nor looked up on the system; text extraction and rendering
    // use the embedded font programs and pdfjs's own standard fonts.
    disableFontFace: true,
    useSystemFonts: false,
    standardFontDataUrl: assetFolder('standard_fonts'),
    cMapUrl: assetFolder('cmaps'),
    cMapPacked: true,
    wasmUrl: assetFolder('wasm'),
    iccUrl: assetFolder('iccs'),
    enableXfa: false,
    maxImageSize: MAX_EMBEDDED_IMAGE_PIXELS,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new PdfError('PDF_UNREADABLE', `PDF not opened within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  let doc: PdfDocument;
  try {
    doc = await Promise.race([task.promise, timeout]);
  } catch (error) {
    await task.destroy().catch(() => undefined);
    throw toPdfError(error);
  } finally {
    clearTimeout(timer);
  }
  if (doc.numPages > maxPages) {
    const pages = doc.numPages;
    await doc.destroy().catch(() => undefined);
    throw new PdfError('PDF_TOO_MANY_PAGES', `PDF has ${pages} pages, more than the limit of ${maxPages}`, {
      pageCount: pages,
      maxPages,
    });
  }
  return doc;
}

/** Runs `use` on the opened document and always releases it. */
export async function withPdf<T>(
  bytes: Uint8Array,
  options: OpenPdfOptions,
  use: (doc: PdfDocument) => Promise<T>,
): Promise<T> {
  const doc = await openPdf(bytes, options);
  try {
    return await use(doc);
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

/** pdfjs rejects with its own exception classes, told apart by `name` (they are not all exported). */
export function toPdfError(error: unknown): PdfError {
  if (error instanceof PdfError) return error;
  const name = error instanceof Error ? error.name : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new PdfError('PDF_ENCRYPTED', `PDF is password-protected: ${message}`, { cause: error });
  }
  return new PdfError('PDF_UNREADABLE', `PDF cannot be read: ${message}`, { cause: error });
}

export function isPdf(bytes: Uint8Array): boolean {
  // PDF 1.7 (ISO 32000-1, 7.5.2): the header may follow some leading bytes; readers look in the first 1 KiB.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
  return head.includes('%PDF-', 0, 'latin1');
}
