import ExcelJS from 'exceljs';
import { AMOUNT_BOUND_RULE } from '../domain/money';
import {
  MAX_IMPORT_ROWS,
  NATURE_LABELS,
  STATUS_LABELS,
  TEMPLATE_COLUMNS,
  TEMPLATE_SHEET,
} from '../extraction/contracts-workbook';

/**
 * The contracts import template served to admins, built from the columns that the reading
 * (extraction/contracts-workbook.ts, in a reader process) checks.
 */

const HELP = [
  'Une ligne par échéance ; les colonnes du contrat sont répétées sur chacune de ses échéances.',
  'SIRET du CFA : le CFA doit déjà être enregistré. SIRET : 14 chiffres (saisis en texte pour garder les zéros).',
  `Statut du contrat : ${STATUS_LABELS.join(' ou ')}. Nature de coûts : ${NATURE_LABELS.join(', ')}.`,
  `Dates au format jj/mm/aaaa. Montant en euros, deux décimales au plus, ${AMOUNT_BOUND_RULE} ; ` +
    'négatif pour un trop perçu.',
  'Réimporter les mêmes lignes ne crée rien en double ; une ligne refusée est signalée avec son numéro et le motif.',
];

/** The empty template: header row frozen with filters, typed columns, lists for the status and the nature. */
export async function contractsTemplate(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Opco Factures';
  const sheet = book.addWorksheet(TEMPLATE_SHEET, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = TEMPLATE_COLUMNS.map((c) => ({
    header: c.header,
    width: c.width,
    style: c.numFmt ? { numFmt: c.numFmt } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).eachCell((cell) => {
    cell.numFmt = 'General';
  });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: TEMPLATE_COLUMNS.length } };
  // One validation per column range (exceljs types only the per-cell form): the rows stay empty until filled.
  const validations = (
    sheet as unknown as { dataValidations: { add(range: string, rule: ExcelJS.DataValidation): void } }
  ).dataValidations;
  TEMPLATE_COLUMNS.forEach((column, index) => {
    if (!column.list) return;
    const letter = sheet.getColumn(index + 1).letter;
    validations.add(`${letter}2:${letter}${MAX_IMPORT_ROWS + 1}`, {
      type: 'list',
      allowBlank: true,
      showErrorMessage: true,
      formulae: [`"${column.list.join(',')}"`],
    });
  });
  const help = book.addWorksheet('Mode d’emploi');
  help.getColumn(1).width = 120;
  HELP.forEach((line) => help.addRow([line]));
  return Buffer.from(await book.xlsx.writeBuffer());
}
