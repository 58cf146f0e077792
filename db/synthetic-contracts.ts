import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * Synthetic contracts and installments in bulk, for the query-plan test of the contracts' searches
 * (test/api/contracts-explain.test.ts): one set-based statement per table, as db/synthetic-data.ts does for pro
 * formas. Never used by the service itself.
 */

export interface SeededContracts {
  firstCfaId: string;
  /** A contract of the first CFA, with its installments. */
  sampleContract: { id: string; number: string; apprenticeName: string; employerSiret: string };
}

/**
 * Seeds `cfas` CFAs, `contracts` contracts spread over them and `installmentsPerContract` installments each (one per
 * quarter, the natures in turn); one contract in ten is broken (RUPTURE). Employers are 500, apprentices' names
 * combine 40 first names and 50 family names, start dates spread over three years.
 */
export async function seedContracts(
  db: Kysely<Database>,
  options: { cfas?: number; contracts?: number; installmentsPerContract?: number } = {},
): Promise<SeededContracts> {
  const cfas = options.cfas ?? 50;
  const contracts = options.contracts ?? 20_000;
  const perContract = options.installmentsPerContract ?? 5;
  await sql`
    insert into cfas (siret, name, email, iban)
    select lpad((90000000000000 + g)::text, 14, '0'), 'CFA contrats ' || g, 'cfa-contrats' || g || '@bench.example',
      'FR7630006000011234567890189'
    from generate_series(1, ${cfas}::int) g`.execute(db);
  await sql`
    insert into contracts (cfa_id, number, label, apprentice_name, employer_name, employer_siret, start_date, end_date,
      status)
    select
      c.ids[1 + g % array_length(c.ids, 1)],
      'DECA-' || lpad(g::text, 8, '0'),
      (array['BTS MCO', 'CAP Boulanger', 'Licence pro', 'Bac pro Commerce'])[1 + g % 4],
      (array['Léa','Hugo','Emma','Louis','Chloé','Gabriel','Inès','Jules','Manon','Adam','Jade','Arthur','Louise',
             'Raphaël','Alice','Lucas','Lina','Nathan','Rose','Tom','Anna','Noah','Mila','Léo','Ambre','Sacha',
             'Julia','Ethan','Zoé','Paul','Nina','Victor','Eva','Hugo','Lou','Nolan','Agathe','Axel','Iris',
             'Gaspard'])[1 + g % 40]
        || ' ' ||
      (array['Martin','Bernard','Thomas','Petit','Robert','Richard','Durand','Dubois','Moreau','Laurent','Simon',
             'Michel','Lefèvre','Leroy','Roux','David','Bertrand','Morel','Fournier','Girard','Bonnet','Dupont',
             'Lambert','Fontaine','Rousseau','Vincent','Muller','Lefebvre','Faure','André','Mercier','Blanc',
             'Guérin','Boyer','Garnier','Chevalier','François','Legrand','Gauthier','Garcia','Perrin','Robin',
             'Clément','Morin','Nicolas','Henry','Roussel','Mathieu','Gautier','Masson'])[1 + (g / 40) % 50]
        || ' ' || g,
      'Employeur ' || (g % 500),
      lpad((10000000000000 + (g % 500))::text, 14, '0'),
      date '2024-01-01' + (g % 1095),
      date '2024-01-01' + (g % 1095) + 730,
      case when g % 10 = 0 then 'RUPTURE' else 'ENGAGE' end
    from generate_series(1, ${contracts}::int) g
    cross join (select array_agg(id order by siret) as ids from cfas where siret like '9%') c`.execute(db);
  await sql`
    insert into installments (contract_id, nature, period_start, period_end, amount_cents)
    select
      c.id,
      (array['PEDAGOGIE', 'FRAIS_ANNEXES', 'PREMIER_EQUIPEMENT', 'MOBILITE'])[1 + k % 4],
      c.start_date + make_interval(months => 3 * k),
      (c.start_date + make_interval(months => 3 * k + 3))::date - 1,
      100000 + (k * 1000)
    from contracts c
    cross join generate_series(0, ${perContract - 1}::int) k
    where c.number like 'DECA-%'`.execute(db);
  for (const table of ['cfas', 'contracts', 'installments']) {
    await sql`vacuum analyze ${sql.table(table)}`.execute(db);
  }
  const first = await db
    .selectFrom('cfas')
    .select('id')
    .where('siret', 'like', '9%')
    .orderBy('siret')
    .executeTakeFirstOrThrow();
  const sample = await db
    .selectFrom('contracts')
    .select(['id', 'number', 'apprentice_name', 'employer_siret'])
    .where('cfa_id', '=', first.id)
    .orderBy('number')
    .executeTakeFirstOrThrow();
  return {
    firstCfaId: first.id,
    sampleContract: {
      id: sample.id,
      number: sample.number,
      apprenticeName: sample.apprentice_name,
      employerSiret: sample.employer_siret,
    },
  };
}
