import { formatProFormaNumber, frenchVatFromSiren } from '../../domain/identifiers';
import { addDays, endOfMonth, isoDate } from './french';
import { BANKS, contractNumber, invoiceNumber, randomIban, randomSiret, type InvoiceNumberStyle } from './identifiers';
import type { Random } from './random';
import type { InvoiceData, InvoiceLine, InvoiceOverrides, Party, Seller } from './types';

/** What a layout asks of the data: how the number looks, the VAT, how many apprentice lines, a deposit. */
export interface DataSpec {
  numberStyle: InvoiceNumberStyle;
  vat: 0 | 20 | 'either';
  lineCount: readonly [number, number];
  deposit: boolean;
}

const SELLERS: readonly { name: string; address: readonly string[]; city: string }[] = [
  { name: "CFA des Métiers de l'Hôtellerie", address: ['12, rue de la Béchellerie', '37000 Tours'], city: 'Tours' },
  {
    name: 'CFA du Bâtiment Île-de-France',
    address: ['4 allée des Pêcheurs', '93200 Saint-Denis'],
    city: 'Saint-Denis',
  },
  {
    name: 'Institut Régional de Formation des Métiers',
    address: ['8, quai Général-Sarrail', '69006 Lyon'],
    city: 'Lyon',
  },
  { name: 'CFA Académie des Arts Culinaires', address: ['27 avenue Émile-Zola', '75015 Paris'], city: 'Paris' },
  { name: "École d'Alternance Sèvres Santé", address: ['3, place Théodore-Aubanel', '92310 Sèvres'], city: 'Sèvres' },
  { name: 'CFA Compagnons du Goût', address: ['51 boulevard de la Liberté', '59000 Lille'], city: 'Lille' },
  {
    name: 'CFA Régional Agricole de Bourgogne',
    address: ['Domaine de Fontaine-Française', '21000 Dijon'],
    city: 'Dijon',
  },
];

const OPCOS: readonly { name: string; address: readonly string[] }[] = [
  { name: 'OPCO EP', address: ['Service Apprentissage', '31, rue Anatole France', '92300 Levallois-Perret'] },
  { name: 'Opco 2i', address: ['Pôle Alternance', '16, boulevard du Général Leclerc', '92115 Clichy'] },
  { name: 'AKTO', address: ['Direction Financière', '14, rue Riquet', '75019 Paris'] },
  { name: 'Opco Atlas', address: ['Gestion des contrats', '25, quai Panhard et Levassor', '75013 Paris'] },
  { name: 'Opco Santé', address: ['Service Facturation CFA', '31, rue Anatole France', '92309 Levallois'] },
  { name: 'Constructys', address: ['32, rue René Boulanger', '75010 Paris'] },
  { name: "L'Opcommerce", address: ['Comptabilité fournisseurs', '251, boulevard Pereire', '75017 Paris'] },
];

const FIRST_NAMES = [
  'Éloïse',
  'Noémie',
  'Théo',
  'Maëlys',
  'Loïc',
  'Zoé',
  'Jérôme',
  'Inès',
  'Gaëtan',
  'Anaïs',
  'Hélène',
  'François',
  'Chloé',
  'Raphaël',
  'Anthony',
  'Léa',
];
const LAST_NAMES = [
  'Lefèvre',
  'Girard',
  'Bénard',
  'Châtelain',
  'Ménard',
  'Müller',
  'Péron',
  'Côté',
  "N'Diaye",
  'Dupré',
  'Guérin',
  'Lefèbvre-Séguin',
  'Da Costa',
  'Moreau',
];

const BICS: Readonly<Record<string, string>> = {
  '30003': 'SOGEFRPP',
  '30004': 'BNPAFRPP',
  '18206': 'AGRIFRPP882',
  '13825': 'CEPAFRPP382',
  '20041': 'PSSTFRPPPAR',
  '10278': 'CMCIFR2A',
  '42559': 'CCOPFRPP',
};

export function buildInvoiceData(spec: DataSpec, random: Random, overrides: InvoiceOverrides = {}): InvoiceData {
  const year = 2026;
  const issueDate = overrides.issueDate ?? isoDate(year, random.int(2, 12), random.int(1, 28));
  const [issueYear, issueMonth] = issueDate.split('-').map(Number);
  // The training period billed is the month before the invoice; the order came a few months earlier.
  const periodFrom = isoDate(issueYear ?? year, (issueMonth ?? 1) - 1, 1);
  const periodTo = endOfMonth(periodFrom);
  const [periodYear, periodMonth] = periodFrom.split('-').map(Number);
  const seller = buildSeller(random, overrides);
  const buyer = buildBuyer(random, overrides);
  const amounts =
    overrides.lineAmountsCents ??
    Array.from({ length: random.int(spec.lineCount[0], spec.lineCount[1]) }, () => random.int(45_000, 290_000));
  const lines = amounts.map((amountCents): InvoiceLine => ({
    contractNumber: contractNumber(random, periodYear ?? year, periodMonth ?? 1),
    apprentice: `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`,
    // A contract that started during the month is billed from its first day.
    periodFrom: random.chance(0.15) ? addDays(periodFrom, random.int(3, 20)) : periodFrom,
    periodTo,
    amountCents,
  }));
  const totalExclTaxCents = amounts.reduce((sum, cents) => sum + cents, 0);
  const vatRate = overrides.vatRate ?? (spec.vat === 'either' ? random.pick([0, 20] as const) : spec.vat);
  const vatCents = Math.round((totalExclTaxCents * vatRate) / 100);
  const totalCents = totalExclTaxCents + vatCents;
  // An « Acompte versé » of 20 to 40 % of the total, in whole euros.
  const deposit = spec.deposit ? Math.round((totalCents * random.int(20, 40)) / 10_000) * 100 : 0;
  return {
    invoiceNumber: overrides.invoiceNumber ?? invoiceNumber(spec.numberStyle, issueYear ?? year, random),
    proFormaNumber: overrides.proFormaNumber ?? formatProFormaNumber(random.int(1, 9_999_999)),
    issueDate,
    dueDate: addDays(issueDate, random.pick([30, 45, 60])),
    orderDate: addDays(periodFrom, -random.int(60, 120)),
    periodFrom,
    periodTo,
    city: seller.city,
    seller: seller.seller,
    buyer,
    lines,
    vatRate,
    totalExclTaxCents,
    vatCents,
    totalCents,
    depositCents: deposit,
    amountDueCents: totalCents - deposit,
    annualAmountCents: totalCents * 30,
  };
}

function buildSeller(random: Random, overrides: InvoiceOverrides): { seller: Seller; city: string } {
  const base = random.pick(SELLERS);
  const bank = random.pick(BANKS);
  const siret = overrides.seller?.siret ?? randomSiret(random);
  const iban = overrides.seller?.iban ?? randomIban(random, bank.code);
  return {
    city: base.city,
    seller: {
      name: overrides.seller?.name ?? base.name,
      address: base.address,
      siret,
      vatNumber: frenchVatFromSiren(siret.slice(0, 9)),
      activityNumber: `${random.int(11, 93)}${random.digits(9)}`,
      bankName: bank.name,
      iban,
      bic: BICS[bank.code] ?? 'SOGEFRPP',
    },
  };
}

function buildBuyer(random: Random, overrides: InvoiceOverrides): Party {
  const opco = random.pick(OPCOS);
  return {
    name: overrides.buyer?.name ?? opco.name,
    address: opco.address,
    siret: overrides.buyer?.siret ?? randomSiret(random),
  };
}
