import { extensionOf, sanitizeFileName, type AcceptedMimeType } from '../domain/deposit-rules';
import type { EndpointContext } from './endpoint';

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

/** Sends a file to download: its type as the server judged it, never sniffed, never cached by a shared cache. */
export function sendFile(
  ctx: Pick<EndpointContext<unknown, unknown, unknown>, 'res'>,
  type: string,
  name: string,
  bytes: Buffer,
): void {
  ctx.res.status(200);
  // attachment() also sets the type of the name's extension: the type given, judged by the server, comes after.
  ctx.res.attachment(name);
  ctx.res.type(type);
  ctx.res.setHeader('X-Content-Type-Options', 'nosniff');
  ctx.res.setHeader('Cache-Control', 'private, no-store');
  ctx.res.send(bytes);
}
