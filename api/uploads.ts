import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import multer, { MulterError } from 'multer';
import { INTAKE_REFUSALS, MAX_FILE_BYTES } from '../domain/deposit-rules';
import { checkUpload, type AcceptedFile } from '../extraction/intake';
import type { ParsedRow, WorkbookReading } from '../extraction/contracts-workbook';
import type { ReaderPool } from '../extraction/readers';
import { ChildLimitError, ChildPoolUnavailableError, type ChildLimit } from '../infra/child-pool';
import { HttpError } from './errors';

/**
 * Multipart uploads, streamed by multer (busboy): the size limit is enforced while the body is read (a 6 MB file is
 * cut at 5 MB + 1 byte and answered 413), file names are decoded as UTF-8 (busboy's default is latin1, which turns
 * « Facture_réception.pdf » into mojibake) and counted in characters by the intake checks. Only one part is
 * accepted: the file, in the field `file`.
 */

export type UploadKind = 'invoice' | 'workbook' | 'bankFile';

export interface UploadedFile {
  buffer: Buffer;
  originalName: string;
  size: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the upload middleware. */
    upload?: UploadedFile;
  }
}

const MULTIPART_ERRORS: Record<string, string> = {
  LIMIT_PART_COUNT: 'Un seul élément est attendu : le fichier, dans le champ « file ».',
  LIMIT_FILE_COUNT: 'Un seul fichier est attendu, dans le champ « file ».',
  LIMIT_FIELD_COUNT: 'Aucun autre champ que le fichier (« file ») n’est attendu.',
  LIMIT_UNEXPECTED_FILE: 'Le fichier est attendu dans le champ « file ».',
  LIMIT_FIELD_KEY: 'Nom de champ trop long.',
  LIMIT_FIELD_VALUE: 'Valeur de champ trop longue.',
};

function uploadError(error: unknown, maxBytes: number): HttpError {
  if (error instanceof MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') {
      return maxBytes === MAX_FILE_BYTES
        ? new HttpError(413, 'FILE_TOO_LARGE', INTAKE_REFUSALS.FILE_TOO_LARGE.message, { maxBytes })
        : new HttpError(
            413,
            'FILE_TOO_LARGE',
            `Le fichier dépasse la taille maximale autorisée (${maxBytes} octets).`,
            {
              maxBytes,
            },
          );
    }
    return new HttpError(400, 'INVALID_MULTIPART', MULTIPART_ERRORS[error.code] ?? 'Envoi multipart invalide.', {
      reason: error.code,
    });
  }
  // busboy's own errors: truncated body, missing boundary, malformed part headers.
  return new HttpError(400, 'INVALID_MULTIPART', 'Corps multipart/form-data invalide ou incomplet.');
}

/**
 * Reads the single file of a multipart request into memory, within `maxBytes`; sets `req.upload`. `fields`: the text
 * fields accepted beside the file (none by default), left in `req.body` for the endpoint's body schema.
 */
export function receiveFile(maxBytes: number, fields: readonly string[] = []): RequestHandler {
  const single = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: maxBytes,
      files: 1,
      fields: fields.length,
      parts: 1 + fields.length,
      fieldSize: 1024,
      headerPairs: 20,
    },
    defParamCharset: 'utf8',
  }).single('file');
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Le fichier est attendu en multipart/form-data, dans le champ « file ».',
      );
    }
    single(req, res, (error?: unknown) => {
      if (error) return next(uploadError(error, maxBytes));
      const file = req.file;
      if (!file) {
        return next(
          new HttpError(400, 'FILE_MISSING', 'Aucun fichier reçu : le fichier est attendu dans le champ « file ».'),
        );
      }
      const unexpected = Object.keys((req.body ?? {}) as Record<string, unknown>).filter((f) => !fields.includes(f));
      if (unexpected.length > 0) {
        return next(
          new HttpError(400, 'INVALID_MULTIPART', `Champ inattendu : ${unexpected.join(', ')}.`, {
            reason: 'LIMIT_UNEXPECTED_FIELD',
          }),
        );
      }
      req.upload = { buffer: file.buffer, originalName: file.originalname, size: file.size };
      next();
    });
  };
}

/** Uploads per token (not per IP: CFAs behind one proxy share an address), counted over a window. */
export function uploadRateLimit(options: { max: number; windowMs: number }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `user:${req.user?.id ?? 'anonymous'}`,
    handler: (_req, _res, next) =>
      next(
        new HttpError(
          429,
          'RATE_LIMITED',
          'Trop d’envois de fichiers en peu de temps : réessayez dans quelques instants.',
          {
            limit: options.max,
            windowMs: options.windowMs,
          },
        ),
      ),
  });
}

/**
 * The trailer every complete file of the accepted types ends with. A truncated or damaged file passes the magic-byte
 * check (its head is intact) but lacks its end; refusing it here tells the CFA at once, rather than after a reading
 * that cannot succeed. Some writers append a few bytes after the trailer, hence the tail window.
 */
function hasTrailer(content: Buffer, mimeType: AcceptedFile['mimeType']): boolean {
  const tail = content.subarray(Math.max(0, content.length - 4096));
  switch (mimeType) {
    case 'application/pdf':
      return tail.includes('%%EOF', 0, 'latin1');
    case 'image/png':
      return tail.includes(Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]));
    case 'image/jpeg':
      return tail.includes(Buffer.from([0xff, 0xd9]));
    case 'image/gif':
      return tail.includes(0x3b);
  }
}

/** The deposit checks (empty, size, type by content, name), then the file's integrity. */
export async function acceptInvoiceFile(file: UploadedFile): Promise<AcceptedFile> {
  const checked = await checkUpload(file.buffer, file.originalName);
  if (!checked.ok) throw new HttpError(checked.status, checked.code, checked.message, checked.details);
  if (!hasTrailer(file.buffer, checked.mimeType)) {
    throw new HttpError(422, 'FILE_UNREADABLE', INTAKE_REFUSALS.FILE_UNREADABLE.message, {
      mimeType: checked.mimeType,
    });
  }
  return checked;
}

const STOPPED_WORKBOOK: Record<ChildLimit, string> = {
  DEADLINE: 'La lecture du classeur a dépassé le temps imparti : découpez le fichier.',
  MEMORY: 'La lecture du classeur a dépassé la mémoire autorisée : découpez le fichier.',
  CRASH: 'Le classeur n’a pas pu être lu.',
};

/**
 * A contracts workbook read in a reader process (never in the API's own): a refusal of the file is answered with its
 * status and code; a reader stopped at its deadline or memory limit is a 422 naming the limit.
 */
export async function readImportedWorkbook(readers: ReaderPool, content: Buffer): Promise<ParsedRow[]> {
  let reading: WorkbookReading;
  try {
    reading = (await readers.run('readContractsWorkbook', { bytes: content })).value;
  } catch (error) {
    if (error instanceof ChildLimitError) {
      throw new HttpError(
        422,
        'WORKBOOK_UNREADABLE',
        STOPPED_WORKBOOK[error.limit],
        { limit: error.limit },
        {
          cause: error,
        },
      );
    }
    if (error instanceof ChildPoolUnavailableError) {
      throw new HttpError(
        503,
        'READER_UNAVAILABLE',
        'La lecture des fichiers est momentanément indisponible : réessayez dans quelques instants.',
        undefined,
        { cause: error },
      );
    }
    throw error;
  }
  if (!reading.ok) {
    const { status, code, message, details } = reading.refusal;
    throw new HttpError(status, code, message, details);
  }
  return reading.rows;
}
