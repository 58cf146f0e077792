import crypto from 'node:crypto';
import {
  INTAKE_REFUSALS,
  MAX_FILE_BYTES,
  MAX_FILE_NAME_CHARS,
  fileNameLength,
  isAcceptedMimeType,
  sanitizeFileName,
  type AcceptedMimeType,
  type IntakeRefusalCode,
} from '../domain/deposit-rules';
import { DEFAULT_IMAGE_LIMITS, ImageError, checkImage } from './page-images';

export interface AcceptedFile {
  ok: true;
  /** Judged from the content, whatever the name says. */
  mimeType: AcceptedMimeType;
  fileName: string;
  size: number;
  sha256: string;
}

export interface RefusedFile {
  ok: false;
  code: IntakeRefusalCode;
  /** HTTP status the API answers with (413, 415 or 422). */
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

export type IntakeResult = AcceptedFile | RefusedFile;

function refuse(code: IntakeRefusalCode, details?: Record<string, unknown>): RefusedFile {
  return { ok: false, code, ...INTAKE_REFUSALS[code], details };
}

type FileTypeModule = typeof import('file-type', { with: { 'resolution-mode': 'import' } });
let fileTypeModule: Promise<FileTypeModule> | undefined;
// file-type is ESM-only; a real dynamic import() (kept by TypeScript under module node16) loads it from CommonJS.
const loadFileType = () => (fileTypeModule ??= import('file-type'));

/**
 * The deposit checks, in the order a CFA can fix them: empty, too large, type (by magic bytes: a renamed
 * executable is refused whatever its extension), then the name. Nothing here stores or trusts the file.
 */
export async function checkUpload(content: Uint8Array, originalName: string): Promise<IntakeResult> {
  if (content.byteLength === 0) return refuse('FILE_EMPTY');
  if (content.byteLength > MAX_FILE_BYTES) {
    return refuse('FILE_TOO_LARGE', { size: content.byteLength, maxBytes: MAX_FILE_BYTES });
  }

  let detected: { mime: string } | undefined;
  try {
    const { fileTypeFromBuffer } = await loadFileType();
    detected = await fileTypeFromBuffer(content);
  } catch {
    return refuse('FILE_UNREADABLE');
  }
  if (!detected || !isAcceptedMimeType(detected.mime)) {
    return refuse('FILE_TYPE_NOT_ACCEPTED', { detected: detected?.mime ?? null });
  }

  if (detected.mime !== 'application/pdf') {
    const tooLarge = decodedSizeRefusal(content);
    if (tooLarge) return tooLarge;
  }

  const fileName = sanitizeFileName(originalName);
  if (fileName === '') return refuse('FILE_NAME_MISSING');
  const length = fileNameLength(fileName);
  if (length > MAX_FILE_NAME_CHARS) return refuse('FILE_NAME_TOO_LONG', { length, maxLength: MAX_FILE_NAME_CHARS });

  return {
    ok: true,
    mimeType: detected.mime,
    fileName,
    size: content.byteLength,
    sha256: crypto.createHash('sha256').update(content).digest('hex'),
  };
}

/**
 * An image's decoded size is known from its header: a bomb (a few KB announcing gigabytes) is refused here, at
 * upload, rather than by a reader. A PDF's is not: only a reader can measure it (extraction/pdf-streams.ts). A header
 * this check cannot size is left to the reader, which says so if it cannot read the image.
 */
function decodedSizeRefusal(content: Uint8Array): RefusedFile | null {
  try {
    checkImage(content);
    return null;
  } catch (error) {
    if (!(error instanceof ImageError) || error.code !== 'IMAGE_TOO_LARGE') return null;
    const { width, height, bytesPerPixel } = error.info ?? {};
    return refuse('IMAGE_TOO_LARGE', {
      width,
      height,
      bytesPerPixel,
      maxDecodedBytes: DEFAULT_IMAGE_LIMITS.maxDecodedBytes,
    });
  }
}
