/**
 * The funder's identity, as every generated document prints it (the pro forma's addressee, the letterhead of the
 * refusal letter and of the payment advice). Written once, here.
 *
 * PLACEHOLDER values: this service runs for one Opco, whose legal name and postal address are not in the database
 * nor in the configuration yet. A deployment replaces them here (or a later version reads them from the
 * configuration); nothing else names the funder.
 */
export interface FunderIdentity {
  /** The Opco's name, as printed in large on the letterhead. */
  name: string;
  /** The department that handles CFA invoices. */
  department: string;
  /** Postal address, one line each. */
  address: readonly string[];
  email: string;
}

export const FUNDER: FunderIdentity = {
  name: "Opco (financeur de l'apprentissage)",
  department: 'Service Factures apprentissage',
  address: ['Adresse postale du financeur', '75000 Paris'],
  email: 'factures@opco.example',
};
