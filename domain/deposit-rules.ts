/** Deposit rules told to the CFA (domain.md, "Invoice deposit"). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_FILE_NAME_CHARS = 50;

export const ACCEPTED_MIME_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'image/gif'] as const;
export type AcceptedMimeType = (typeof ACCEPTED_MIME_TYPES)[number];

export const INTAKE_REFUSALS = {
  FILE_EMPTY: { status: 422, message: 'Le fichier est vide.' },
  FILE_TOO_LARGE: { status: 413, message: 'Le fichier dépasse la taille maximale autorisée de 5 Mo.' },
  FILE_TYPE_NOT_ACCEPTED: {
    status: 415,
    message: 'Type de fichier non accepté : seuls les fichiers PDF, JPG, JPEG, GIF et PNG sont acceptés.',
  },
  FILE_NAME_TOO_LONG: {
    status: 422,
    message: `Le nom du fichier dépasse ${MAX_FILE_NAME_CHARS} caractères (extension comprise). Renommez-le puis déposez-le à nouveau.`,
  },
  FILE_NAME_MISSING: { status: 422, message: 'Le fichier doit avoir un nom.' },
  FILE_UNREADABLE: { status: 422, message: 'Le fichier est illisible ou endommagé.' },
  IMAGE_TOO_LARGE: {
    status: 413,
    message:
      'L’image est trop grande une fois décodée (dimensions ou profondeur de couleur) : numérisez la facture en 300 dpi au plus, en 8 bits.',
  },
} as const;
export type IntakeRefusalCode = keyof typeof INTAKE_REFUSALS;

const EXTENSIONS: Record<AcceptedMimeType, string> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
};

export function extensionOf(mime: AcceptedMimeType): string {
  return EXTENSIONS[mime];
}

export function isAcceptedMimeType(mime: string): mime is AcceptedMimeType {
  return (ACCEPTED_MIME_TYPES as readonly string[]).includes(mime);
}

// Control characters (C0, DEL, C1) and bidirectional overrides, which can disguise an extension ("fact\u202Efdp.exe").
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The name as shown to users: NFC (a name typed on macOS arrives decomposed), without any folder part, control or
 * bidi characters, trimmed. Never used as a path: files are stored under their SHA-256.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[\\/]/).pop() ?? '';
  return base.replace(/\s+/g, ' ').replace(UNSAFE_CHARS, '').trim();
}

/** Length in characters as users count them (code points), not UTF-16 units or bytes. */
export function fileNameLength(name: string): number {
  return [...name].length;
}

/** One deposited version of an invoice, as the workflow keeps it and the read model records it. */
export interface DocumentVersion {
  version: number;
  sha256: string;
  fileName: string;
  mimeType: string;
  size: number;
  uploadedAt: string;
  uploadedBy: string;
}
