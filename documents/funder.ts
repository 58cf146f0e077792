/**
 * The funder's identity, as every generated document prints it (the pro forma's addressee, the letterhead of the
 * refusal letter and of the payment advice). It comes from the configuration (`FUNDER_*`, infra/config.ts).
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
