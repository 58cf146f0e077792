import { extensionOf, sanitizeFileName, type AcceptedMimeType } from '../domain/deposit-rules';

/** The extensions a browser or a desktop maps to each accepted type; any other one is replaced. */
const EXTENSIONS_OF: Record<AcceptedMimeType, readonly string[]> = {
  'application/pdf': ['pdf'],
  'image/jpeg': ['jpg', 'jpeg'],
  'image/png': ['png'],
  'image/gif': ['gif'],
};

// Characters that Windows refuses in a file name; a browser would mangle them on its own.
const RESERVED = /[<>:"|?*]/g;
const EXTENSION = /\.([A-Za-z0-9]{1,10})$/;

/**
 * The name a deposited file downloads under: its name as deposited, sanitized, with the extension of the type judged
 * from its content at deposit. The desktop opens a file by its extension: a PDF named `facture.html` would open
 * in a browser, as HTML, and run what it hides; it downloads as `facture.pdf`.
 */
export function downloadFileName(depositedName: string, mimeType: AcceptedMimeType): string {
  const name = sanitizeFileName(depositedName).replace(RESERVED, '_');
  const extension = EXTENSION.exec(name);
  const base = (extension ? name.slice(0, extension.index) : name).replace(/^[.\s]+/, '').trim() || 'document';
  const kept = extension?.[1];
  return kept && EXTENSIONS_OF[mimeType].includes(kept.toLowerCase())
    ? `${base}.${kept}`
    : `${base}.${extensionOf(mimeType)}`;
}
