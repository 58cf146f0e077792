import { XMLParser } from 'fast-xml-parser';
import { normalizeIban, normalizeVatId } from '../domain/identifiers';
import { parseAmountToCents } from '../domain/money';
import type { PdfDocument } from './pdf';
import { emptyFields, type InvoiceFields } from './types';

/**
 * Factur-X / ZUGFeRD / Order-X: the CII XML embedded in a hybrid PDF, read into the same fields as the text
 * parsers. Paths follow field notes §3.1 (akretion/factur-x XPaths) for CII D16B, with their ZUGFeRD 1.0 (D09)
 * equivalents. The attachment's name is only a hint: each XML attachment is judged by its root element and
 * namespace, as akretion's reader does (`get_xml_from_pdf`), and anything else (UBL, a delivery note) is skipped.
 */

export type CrossIndustrySyntax = 'CII' | 'ZUGFERD_1' | 'ORDER_X';

export interface FacturXDocument {
  attachment: string;
  syntax: CrossIndustrySyntax;
  /** Order-X carries a purchase order, not an invoice. */
  kind: 'invoice' | 'order';
  /** GuidelineSpecifiedDocumentContextParameter/ID, e.g. `urn:cen.eu:en16931:2017`. */
  profile: string | null;
  /** 380 invoice, 381 credit note, 384 corrected invoice, 220 order… */
  typeCode: string | null;
  fields: InvoiceFields;
}

export class FacturXError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FacturXError';
  }
}

/** Largest embedded XML we parse. A Factur-X EXTENDED invoice of a few hundred lines is well under 1 MB. */
export const MAX_XML_BYTES = 16 * 1024 * 1024;

/** Attachment names in order of preference (field notes §3.1); any other `.xml` attachment is tried after them. */
const KNOWN_NAMES = ['factur-x.xml', 'zugferd-invoice.xml', 'xrechnung.xml', 'order-x.xml'];

const ROOTS: readonly { localName: string; namespace: string; syntax: CrossIndustrySyntax }[] = [
  {
    localName: 'CrossIndustryInvoice',
    namespace: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:',
    syntax: 'CII',
  },
  { localName: 'CrossIndustryDocument', namespace: 'urn:ferd:CrossIndustryDocument:invoice:', syntax: 'ZUGFERD_1' },
  {
    localName: 'SCRDMCCBDACIOMessageStructure',
    namespace: 'urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:',
    syntax: 'ORDER_X',
  },
];

/**
 * Reads the first CII attachment of the PDF, or null when it has none. A damaged or hostile XML is skipped like
 * a foreign one: the text layer then reads the printed page.
 */
export async function readFacturX(doc: PdfDocument): Promise<FacturXDocument | null> {
  const attachments: unknown = await doc.getAttachments();
  if (typeof attachments !== 'object' || attachments === null) return null;
  const candidates: { name: string; content: Uint8Array }[] = [];
  for (const [key, value] of Object.entries(attachments as Record<string, unknown>)) {
    const filename = field(value, 'filename');
    const content = field(value, 'content');
    const name = typeof filename === 'string' && filename.length > 0 ? filename : key;
    if (content instanceof Uint8Array && /\.xml$/i.test(name)) candidates.push({ name, content });
  }
  const rank = (name: string) => {
    const at = KNOWN_NAMES.indexOf(name.toLowerCase());
    return at < 0 ? KNOWN_NAMES.length : at;
  };
  candidates.sort((a, b) => rank(a.name) - rank(b.name));
  for (const candidate of candidates) {
    try {
      const parsed = parseCrossIndustryXml(candidate.content, candidate.name);
      if (parsed) return parsed;
    } catch (error) {
      if (!(error instanceof FacturXError)) throw error;
    }
  }
  return null;
}

/**
 * The XML parser of users' XML (Factur-X attachments, bank files): namespaces dropped, values kept as text, attributes
 * as `@name`; every element becomes an array and every text a '#text' node, one shape to walk whatever the profile.
 * Callers refuse any DOCTYPE first (no entity expansion, no external entity).
 */
export function createXmlParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
    alwaysCreateTextNode: true,
    textNodeName: '#text',
  });
}

const parser = createXmlParser();

/**
 * Parses a CII XML (Factur-X / ZUGFeRD 2.x, ZUGFeRD 1.0, Order-X) into fields; null when the root is not one
 * of those. Throws FacturXError when it is too large, declares a DTD, or is not well-formed.
 */
export function parseCrossIndustryXml(bytes: Uint8Array, attachment = 'factur-x.xml'): FacturXDocument | null {
  if (bytes.byteLength > MAX_XML_BYTES) {
    throw new FacturXError(`XML attachment of ${bytes.byteLength} bytes exceeds ${MAX_XML_BYTES}`);
  }
  const xml = decodeXml(bytes);
  // CII schemas declare no DTD; refusing any DOCTYPE removes entity expansion (billion laughs) and external
  // entities at the source, whatever the parser would do with them.
  if (/<!DOCTYPE/i.test(xml)) throw new FacturXError('XML attachment declares a DTD');
  const root = rootElement(xml);
  if (!root) return null;
  const known = ROOTS.find((r) => r.localName === root.localName && root.namespace?.startsWith(r.namespace));
  if (!known) return null;

  let tree: unknown;
  try {
    tree = parser.parse(xml, true);
  } catch (error) {
    throw new FacturXError(`XML attachment is not well-formed: ${error instanceof Error ? error.message : error}`);
  }
  const top = first(field(tree, known.localName));
  if (!top) throw new FacturXError('XML attachment has no root element');
  return mapDocument(top, known.syntax, attachment);
}

function mapDocument(root: Node, syntax: CrossIndustrySyntax, attachment: string): FacturXDocument {
  const header = child(root, 'ExchangedDocument', 'HeaderExchangedDocument');
  const context = child(root, 'ExchangedDocumentContext', 'SpecifiedExchangedDocumentContext');
  const transaction = child(root, 'SupplyChainTradeTransaction', 'SpecifiedSupplyChainTradeTransaction');
  const agreement = child(transaction, 'ApplicableHeaderTradeAgreement', 'ApplicableSupplyChainTradeAgreement');
  const settlement = child(transaction, 'ApplicableHeaderTradeSettlement', 'ApplicableSupplyChainTradeSettlement');
  const summation = child(
    settlement,
    'SpecifiedTradeSettlementHeaderMonetarySummation',
    'SpecifiedTradeSettlementMonetarySummation',
  );
  const seller = child(agreement, 'SellerTradeParty');

  const currency = text(child(settlement, 'InvoiceCurrencyCode', 'OrderCurrencyCode'))?.toUpperCase() ?? null;
  const fields = emptyFields();
  fields.invoiceNumber = text(child(header, 'ID'));
  fields.issueDate = parseCiiDate(child(child(header, 'IssueDateTime'), 'DateTimeString'));
  fields.currency = currency;
  fields.totalCents =
    amountIn(children(summation, 'DuePayableAmount'), currency) ??
    amountIn(children(summation, 'GrandTotalAmount'), currency);
  fields.iban = firstIban(settlement);
  fields.proFormaNumber = findProFormaNumber(header, agreement);

  const legal = legalIds(seller);
  fields.siret = legal.siret;
  fields.siren = legal.siren ?? (legal.siret ? legal.siret.slice(0, 9) : null);
  const vat = children(seller, 'SpecifiedTaxRegistration')
    .map((registration) => child(registration, 'ID'))
    .find((id) => attribute(id, 'schemeID') === 'VA');
  const vatText = text(vat);
  fields.vatId = vatText ? normalizeVatId(vatText) : null;

  return {
    attachment,
    syntax,
    kind: syntax === 'ORDER_X' ? 'order' : 'invoice',
    profile: text(child(child(context, 'GuidelineSpecifiedDocumentContextParameter'), 'ID')),
    typeCode: text(child(header, 'TypeCode')),
    fields,
  };
}

/** ISO 6523 ICD codes: 0002 is SIRENE (a SIREN, or a SIRET in older FNFE samples), 0009 is SIRET. */
function legalIds(seller: Node | undefined): { siret: string | null; siren: string | null } {
  const ids: { scheme: string | undefined; value: string }[] = [];
  for (const globalId of children(seller, 'GlobalID')) {
    const value = text(globalId);
    if (value) ids.push({ scheme: attribute(globalId, 'schemeID'), value: value.replace(/\s/g, '') });
  }
  const globals = ids.length;
  for (const id of children(child(seller, 'SpecifiedLegalOrganization'), 'ID')) {
    const value = text(id);
    if (value) ids.push({ scheme: attribute(id, 'schemeID'), value: value.replace(/\s/g, '') });
  }
  const french = (scheme: string | undefined) => scheme === undefined || scheme === '0002' || scheme === '0009';
  const siret =
    ids.slice(0, globals).find((id) => id.scheme === '0009' && /^\d{14}$/.test(id.value))?.value ??
    ids.slice(globals).find((id) => french(id.scheme) && /^\d{14}$/.test(id.value))?.value ??
    null;
  const siren = ids.slice(globals).find((id) => french(id.scheme) && /^\d{9}$/.test(id.value))?.value ?? null;
  return { siret, siren };
}

const PRO_FORMA = /PRO-\d{8}(?!\d)/;

/** Our pro forma number, wherever a buyer reference may carry it (BT-13 order reference, BT-10, notes). */
function findProFormaNumber(header: Node | undefined, agreement: Node | undefined): string | null {
  const places = [
    ...['BuyerOrderReferencedDocument', 'ContractReferencedDocument', 'AdditionalReferencedDocument'].flatMap((name) =>
      children(agreement, name).flatMap((doc) => [child(doc, 'IssuerAssignedID'), child(doc, 'ID')]),
    ),
    child(agreement, 'BuyerReference'),
    ...children(header, 'IncludedNote').map((note) => child(note, 'Content')),
  ];
  for (const place of places) {
    const match = PRO_FORMA.exec(text(place) ?? '');
    if (match) return match[0];
  }
  return null;
}

function firstIban(settlement: Node | undefined): string | null {
  for (const means of children(settlement, 'SpecifiedTradeSettlementPaymentMeans')) {
    for (const account of children(means, 'PayeePartyCreditorFinancialAccount')) {
      const iban = text(child(account, 'IBANID'));
      if (iban) return normalizeIban(iban);
    }
  }
  return null;
}

/** The amount in the invoice currency when several currencies are given (CII allows it for tax totals). */
function amountIn(nodes: Node[], currency: string | null): number | null {
  const preferred = nodes.find((n) => attribute(n, 'currencyID') === currency) ?? nodes[0];
  return xmlDecimalToCents(text(preferred));
}

/**
 * An XML Schema decimal (`529.87`, `-8.79`, `0`, `9.9000`) in cents. Rewritten with exactly two decimals before
 * it reaches the money parser, which otherwise reads `12.500` as twelve thousand five hundred (a lone separator
 * followed by three digits groups thousands on a printed invoice). Digits beyond the cent must be zeros: an
 * amount is never rounded.
 */
export function xmlDecimalToCents(value: string | null): number | null {
  const match = value === null ? null : /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!match) return null;
  const [, sign = '', integer = '', decimals = ''] = match;
  if (integer === '' && decimals === '') return null;
  if (!/^0*$/.test(decimals.slice(2))) return null;
  return parseAmountToCents(`${sign === '-' ? '-' : ''}${integer || '0'}.${decimals.slice(0, 2).padEnd(2, '0')}`);
}

/** UN/CEFACT date formats: 102 is CCYYMMDD, 203 is CCYYMMDDHHMM (Order-X); the date part is kept. */
function parseCiiDate(node: Node | undefined): string | null {
  const value = text(node)?.replace(/\s/g, '');
  const format = attribute(node, 'format') ?? '102';
  if (!value || (format !== '102' && format !== '203')) return null;
  const match = /^(\d{4})(\d{2})(\d{2})/.exec(value);
  if (!match) return null;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const iso = `${year}-${month}-${day}`;
  return date.toISOString().startsWith(iso) ? iso : null;
}

function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('latin1');
  const declared = /^\s*(?:\ufeff|\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  // TextDecoder drops a UTF-8 byte-order mark itself; an unknown encoding label makes it throw.
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Local name and namespace URI of the document element, read from the start tag. */
function rootElement(xml: string): { localName: string; namespace: string | undefined } | null {
  const head = xml
    .slice(0, 65_536)
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\?[\s\S]*?\?>/g, '');
  const match = /<([A-Za-z_][\w.-]*)(?::([A-Za-z_][\w.-]*))?((?:\s[^>]*)?)\/?>/.exec(head);
  if (!match) return null;
  const [, first = '', second, attributes = ''] = match;
  const prefix = second === undefined ? undefined : first;
  const localName = second ?? first;
  const declaration = prefix ? `xmlns:${prefix}` : 'xmlns';
  const namespace = new RegExp(`(?:^|\\s)${declaration.replace('.', '\\.')}\\s*=\\s*["']([^"']*)["']`).exec(
    attributes,
  )?.[1];
  return { localName, namespace };
}

type Node = Record<string, unknown>;

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function first(value: unknown): Node | undefined {
  const item: unknown = Array.isArray(value) ? value[0] : undefined;
  return typeof item === 'object' && item !== null ? (item as Node) : undefined;
}

function children(node: Node | undefined, name: string): Node[] {
  const value = node?.[name];
  return Array.isArray(value)
    ? value.filter((item): item is Node => typeof item === 'object' && item !== null && !Array.isArray(item))
    : [];
}

/** The first child under any of `names` (CII D16B name first, then its ZUGFeRD 1.0 equivalent). */
function child(node: Node | undefined, ...names: string[]): Node | undefined {
  for (const name of names) {
    const found = children(node, name)[0];
    if (found) return found;
  }
  return undefined;
}

function attribute(node: Node | undefined, name: string): string | undefined {
  const value = node?.[`@${name}`];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** Element text, character references decoded (the parser only decodes the five named XML entities). */
function text(node: Node | undefined): string | null {
  const value = node?.['#text'];
  if (typeof value !== 'string') return null;
  const decoded = value
    .replace(/&#x([0-9a-f]{1,6});/gi, (whole, hex: string) => fromCodePoint(parseInt(hex, 16), whole))
    .replace(/&#(\d{1,7});/g, (whole, dec: string) => fromCodePoint(parseInt(dec, 10), whole))
    .trim();
  return decoded.length > 0 ? decoded : null;
}

function fromCodePoint(codePoint: number, fallback: string): string {
  return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : fallback;
}
