import type { IsoDate } from './french';
import type { LayoutName } from './layouts';

export type { LayoutName } from './layouts';

/** One apprentice's line: the contract, who, which period, how much (excluding VAT). */
export interface InvoiceLine {
  contractNumber: string;
  apprentice: string;
  periodFrom: IsoDate;
  periodTo: IsoDate;
  amountCents: number;
}

export interface Party {
  name: string;
  address: readonly string[];
  siret: string;
}

export interface Seller extends Party {
  vatNumber: string;
  /** Numéro de déclaration d'activité (training organisations), 11 digits: one more number to ignore. */
  activityNumber: string;
  bankName: string;
  /** Normalized, no spaces. */
  iban: string;
  bic: string;
}

/** Everything printed on one invoice. */
export interface InvoiceData {
  invoiceNumber: string;
  proFormaNumber: string;
  issueDate: IsoDate;
  dueDate: IsoDate;
  orderDate: IsoDate;
  periodFrom: IsoDate;
  periodTo: IsoDate;
  city: string;
  seller: Seller;
  buyer: Party;
  lines: readonly InvoiceLine[];
  vatRate: 0 | 20;
  totalExclTaxCents: number;
  vatCents: number;
  totalCents: number;
  /** Acompte versé (0 when the layout shows none). */
  depositCents: number;
  amountDueCents: number;
  /** The contracts' annual amount (30 × the total), printed by some layouts as a distractor. */
  annualAmountCents: number;
}

/** What a test may fix, so the invoice matches a given pro forma; everything else is drawn from the seed. */
export interface InvoiceOverrides {
  proFormaNumber?: string;
  invoiceNumber?: string;
  /** One amount per apprentice line, in cents; their sum is the total excluding VAT. */
  lineAmountsCents?: readonly number[];
  vatRate?: 0 | 20;
  issueDate?: IsoDate;
  seller?: Partial<Pick<Seller, 'name' | 'siret' | 'iban'>>;
  buyer?: Partial<Pick<Party, 'name' | 'siret'>>;
}

export type LaterPageField = 'total' | 'iban';

export interface InvoiceTruth {
  invoiceNumber: string;
  /** Total TTC (before any deposit is deducted). */
  totalCents: number;
  totalExclTaxCents: number;
  vatCents: number;
  /** What remains to pay: the total TTC less the « Acompte versé » when the layout shows one. */
  amountDueCents: number;
  /** The total TTC exactly as printed (`12 345,67 €` or `12.345,67 €`). */
  totalPrinted: string;
  /** Normalized, no spaces. */
  iban: string;
  sellerSiret: string;
  buyerSiret: string;
  issueDate: IsoDate;
  dueDate: IsoDate;
  proFormaNumber: string;
  sellerName: string;
  pages: number;
  layout: LayoutName;
  /** Fields not printed on page 1 (e.g. 'total' when the totals are on a later page). */
  printedOnLaterPage: LaterPageField[];
}

export interface GeneratedInvoice {
  /** `<layout>-<seed>`: the file name stem the CLI uses. */
  id: string;
  layout: LayoutName;
  seed: number;
  truth: InvoiceTruth;
  /** Text-layer PDF. */
  pdf: Buffer;
  /** Every page rendered to PNG at 200 dpi. */
  pageImages: Buffer[];
  /** Every page as a scan: greyscale, slightly rotated, noisy JPEG. */
  scans: Buffer[];
  /** Image-only PDF wrapping the scans, one page each. */
  scanPdf: Buffer;
}
