import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { BUNDLES } from '../domain/rights';
import { generateToken, hashToken } from '../infra/tokens';
import { insertContract, type ContractInput, type InstallmentInput } from './contract-import';
import type { Database } from './schema';

/** Fictional but valid identifiers (SIRET Luhn, IBAN mod 97), so the automatic controls pass on demo invoices. */
export const DEMO_CFA = {
  siret: '84123450300016',
  name: 'CFA Démo des Métiers',
  email: 'facturation@cfa-demo.example',
  iban: 'FR7630006000011234567890189',
} as const;

const DEMO_USERS = [
  { role: 'admin', name: 'Administratrice Démo', email: 'admin@opco-demo.example' },
  { role: 'validator', name: 'Valideur Démo', email: 'valideur@opco-demo.example' },
  { role: 'cfa', name: 'Comptable CFA Démo', email: 'comptable@cfa-demo.example' },
] as const;

const DEMO_CONTRACTS: (Omit<ContractInput, 'cfaId'> & { installments: InstallmentInput[] })[] = [
  {
    number: 'DECA-2026-000101',
    label: 'BTS Management commercial opérationnel',
    apprenticeName: 'Léa Martin',
    employerName: 'Boulangerie du Centre',
    employerSiret: '84123451100019',
    startDate: '2026-09-01',
    endDate: '2028-08-31',
    status: 'ENGAGE',
    installments: [
      { nature: 'PEDAGOGIE', periodStart: '2026-09-01', periodEnd: '2026-11-30', amountCents: 257_500 },
      { nature: 'PEDAGOGIE', periodStart: '2026-12-01', periodEnd: '2027-02-28', amountCents: 257_500 },
      { nature: 'FRAIS_ANNEXES', periodStart: '2026-09-01', periodEnd: '2026-12-31', amountCents: 48_000 },
      { nature: 'PREMIER_EQUIPEMENT', periodStart: '2026-09-01', periodEnd: '2026-09-30', amountCents: 50_000 },
    ],
  },
  {
    number: 'DECA-2026-000102',
    label: 'CAP Cuisine',
    apprenticeName: 'Hugo Bernard',
    employerName: 'Restaurant Les Halles',
    employerSiret: '84123452900011',
    startDate: '2026-09-01',
    endDate: '2028-06-30',
    status: 'ENGAGE',
    installments: [
      { nature: 'PEDAGOGIE', periodStart: '2026-09-01', periodEnd: '2026-11-30', amountCents: 189_000 },
      { nature: 'MOBILITE', periodStart: '2026-10-01', periodEnd: '2026-10-31', amountCents: 35_050 },
    ],
  },
  {
    number: 'DECA-2025-000087',
    label: 'Bac pro Métiers du commerce et de la vente',
    apprenticeName: 'Inès Petit',
    employerName: 'Boulangerie du Centre',
    employerSiret: '84123451100019',
    startDate: '2025-09-01',
    endDate: '2026-10-15',
    status: 'RUPTURE',
    installments: [
      // The contract broke on 2026-10-15: the September-to-November installment was overpaid (trop perçu).
      { nature: 'PEDAGOGIE', periodStart: '2026-09-01', periodEnd: '2026-11-30', amountCents: -41_350 },
    ],
  },
];

/**
 * Idempotent demo data: one CFA with a billing mandate, its contracts and installments in the four cost natures
 * (one negative), and an admin, a validator and a CFA user. Tokens are printed once, when the users are created;
 * only their hashes are stored, so a later start cannot show them again (delete ./data to start over).
 */
export async function seedDemoData(db: Kysely<Database>, logger: Logger): Promise<void> {
  const tokens = await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('cfas').select('id').where('siret', '=', DEMO_CFA.siret).executeTakeFirst();
    if (existing) return undefined;
    const cfa = await trx.insertInto('cfas').values(DEMO_CFA).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('mandates').values({ cfa_id: cfa.id, valid_from: '2026-01-01', valid_to: null }).execute();
    for (const { installments, ...contract } of DEMO_CONTRACTS) {
      await insertContract(trx, { ...contract, cfaId: cfa.id }, installments);
    }
    const issued: { role: string; email: string; token: string }[] = [];
    for (const u of DEMO_USERS) {
      const token = generateToken();
      // The demo's tokens do not expire (TOKEN_TTL applies to the tokens the API issues).
      const inserted = await trx
        .insertInto('users')
        .values({ ...u, rights: [...BUNDLES[u.role]], token_hash: hashToken(token) })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) continue;
      if (u.role === 'cfa')
        await trx.insertInto('user_cfas').values({ user_id: inserted.id, cfa_id: cfa.id }).execute();
      issued.push({ role: u.role, email: u.email, token });
    }
    return issued;
  });
  if (!tokens) {
    logger.info('demo data already present (its tokens were printed when it was created)');
    return;
  }
  const lines = [
    '',
    'Demo data created. These tokens are shown once (only their hashes are stored):',
    ...tokens.map((t) => `  ${t.role.padEnd(9)} ${t.email.padEnd(30)} Authorization: Bearer ${t.token}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const ADMIN_TOKEN_EMAIL = 'admin-token@localhost';

/**
 * The first admin comes from ADMIN_TOKEN: after every start, one admin user holds exactly that token, with the
 * admin's rights and no expiry. Changing the variable replaces the token (the old one stops working).
 */
export async function ensureAdminFromToken(db: Kysely<Database>, token: string): Promise<void> {
  const tokenHash = hashToken(token);
  const rights = [...BUNDLES.admin];
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('users')
      .set({ token_hash: tokenHash, token_expires_at: null, revoked_at: null, role: 'admin', rights })
      .where('email', '=', ADMIN_TOKEN_EMAIL)
      .returning('id')
      .executeTakeFirst();
    if (updated) {
      await trx.deleteFrom('user_cfas').where('user_id', '=', updated.id).execute();
      return;
    }
    await trx
      .insertInto('users')
      .values({
        role: 'admin',
        name: 'Administrateur (ADMIN_TOKEN)',
        email: ADMIN_TOKEN_EMAIL,
        rights,
        token_hash: tokenHash,
      })
      .execute();
  });
}
