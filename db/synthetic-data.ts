import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * Synthetic pro formas in bulk, for the benchmarks and the query-plan tests: one set-based statement each (the
 * table's secondary indexes built after the load), so that a million rows load in minutes, not hours. Never used by
 * the service itself (its demo data is db/demo-data.ts).
 */

/** Seeds `cfas` CFAs and `count` pro formas in one statement each, spread over statuses, natures and CFAs. */
export async function seedProFormas(db: Kysely<Database>, count: number, cfas = 50): Promise<{ firstCfaId: string }> {
  await sql`
    insert into cfas (siret, name, email, iban)
    select lpad(g::text, 14, '0'), 'CFA ' || g, 'cfa' || g || '@bench.example', 'FR7630006000011234567890189'
    from generate_series(1, ${cfas}::int) g`.execute(db);
  // The secondary indexes of pro_formas are dropped during the load and built again after it: one sorted build per
  // index costs a fraction of a million row-by-row insertions into ten B-trees.
  // Unique indexes and those of constraints stay.
  const { rows: indexes } = await sql<{ indexname: string; indexdef: string }>`
    select i.indexname, i.indexdef
    from pg_indexes i
    join pg_class x on x.relname = i.indexname
    join pg_index ix on ix.indexrelid = x.oid
    where i.schemaname = current_schema() and i.tablename = 'pro_formas' and not ix.indisunique
      and not exists (select 1 from pg_constraint c where c.conindid = x.oid)`.execute(db);
  for (const { indexname } of indexes) await sql`drop index ${sql.id(indexname)}`.execute(db);
  // One statement: statuses cycle over eight shapes, natures over blocks of eight, CFAs over blocks of 32 (so each CFA
  // has every status in every nature); one pro forma in ten is a credit note; created one minute apart, the newest
  // last. Of the eighth under validation after its reading, three in 64 wait in the validation queue (two for a
  // decision, one for a second approval: about 5 % of the table, as a queue is beside the whole history) and the
  // rest are still being controlled. The queued ones carry what the desk filters on: review codes (none for one in
  // six), a reading engine, one in ten sampled; nobody has claimed them (the synthetic data has no users).
  const queued = sql`g % 8 = 1 and g % 64 in (1, 17, 33)`;
  await sql`
    insert into pro_formas (
      number, workflow_id, cfa_id, kind, nature, total_cents, status, stage, settlement_mode, invoice_number,
      refusal_origin, created_at, updated_at, deposited_at, validated_at, refused_at, paid_at, workflow_started_at,
      review_codes, reading_engine, sampled, invoice_issue_date)
    select
      'PRO-' || lpad(g::text, 8, '0'),
      'pro-forma-PRO-' || lpad(g::text, 8, '0'),
      c.ids[1 + (g / 32) % array_length(c.ids, 1)],
      case when g % 10 = 0 then 'CREDIT_NOTE' else 'INVOICE' end,
      (array['PEDAGOGIE', 'FRAIS_ANNEXES', 'PREMIER_EQUIPEMENT', 'MOBILITE'])[1 + (g / 8) % 4],
      case when g % 10 = 0 then -(100 + g % 50000) else 100 + g % 500000 end,
      (array['AWAITING_INVOICE', 'UNDER_VALIDATION', 'UNDER_VALIDATION', 'VALIDATED', 'PAID', 'REFUSED', 'REFUSED',
             'CANCELLED'])[1 + g % 8],
      case
        when g % 64 in (1, 33) then 'AWAITING_DECISION'
        when g % 64 = 17 then 'AWAITING_SECOND_APPROVAL'
        else (array[null, 'CONTROLLING', 'READING', 'AWAITING_PAYMENT', null, null, null, null])[1 + g % 8]
      end,
      case when g % 10 = 0 then 'DEDUCTION' end,
      case when g % 8 not in (0, 7) then 'FA-' || g end,
      (array[null, null, null, null, null, 'AUTOMATIC', 'MANUAL', null])[1 + g % 8],
      t.created, t.created,
      case when g % 8 <> 0 then t.created + interval '1 day' end,
      case when g % 8 in (3, 4) then t.created + interval '2 days' end,
      case when g % 8 in (5, 6) then t.created + interval '2 days' end,
      case when g % 8 = 4 then t.created + interval '9 days' end,
      t.created,
      case when ${queued} then string_to_array((array[
        '', 'TOTAL_AMOUNT', 'IBAN_MATCHES_CFA', 'TOTAL_AMOUNT,SIRET', 'INVOICE_NUMBER', 'DOCUMENT_READABLE'
      ])[1 + (g / 64) % 6], ',') else array[]::text[] end,
      case when g % 8 <> 0 then (array['FACTURX', 'TEXT_LAYER', 'OCR'])[1 + (g / 8) % 3] end,
      ${queued} and (g / 64) % 10 = 3,
      case when g % 8 not in (0, 7) then (t.created - interval '3 days')::date end
    from generate_series(1, ${count}::int) g
    cross join (select array_agg(id order by siret) as ids from cfas) c
    cross join lateral (select now() - make_interval(mins => ${count}::int - g) as created) t`.execute(db);
  for (const { indexdef } of indexes) await sql.raw(indexdef).execute(db);
  await seedContracts(db, count);
  await sql`vacuum analyze pro_formas`.execute(db);
  await sql`vacuum analyze cfas`.execute(db);
  for (const table of ['contracts', 'installments', 'pro_forma_lines']) {
    await sql`vacuum analyze ${sql.id(table)}`.execute(db);
  }
  const first = await db.selectFrom('cfas').select('id').orderBy('siret').executeTakeFirstOrThrow();
  return { firstCfaId: first.id };
}

const FIRST_NAMES = [
  'Léa',
  'Lucas',
  'Emma',
  'Hugo',
  'Chloé',
  'Louis',
  'Manon',
  'Jules',
  'Camille',
  'Nathan',
  'Inès',
  'Théo',
  'Sarah',
  'Enzo',
  'Jade',
  'Mathis',
  'Louise',
  'Tom',
  'Zoé',
  'Noah',
  'Lina',
  'Maël',
  'Julia',
  'Adam',
];
const LAST_NAMES = [
  'Martin',
  'Bernard',
  'Thomas',
  'Petit',
  'Robert',
  'Richard',
  'Durand',
  'Dubois',
  'Moreau',
  'Laurent',
  'Simon',
  'Michel',
  'Lefebvre',
  'Leroy',
  'Roux',
  'David',
  'Bertrand',
  'Morel',
  'Fournier',
  'Girard',
  'Bonnet',
  'Dupont',
  'Lambert',
  'Fontaine',
  'Rousseau',
  'Vincent',
  'Muller',
  'Lefèvre',
  'Faure',
  'André',
  'Mercier',
  'Blanc',
  'Guérin',
  'Boyer',
  'Garnier',
  'Chevalier',
  'François',
  'Legrand',
  'Gauthier',
  'Garcia',
];

/**
 * The contracts behind the seeded pro formas: one contract per four pro formas (of the same CFA), one installment per
 * pro forma (its line; released when the pro forma is cancelled) and one more, unbilled, per contract (eligible
 * pedagogy), so that the searches by contract, apprentice and the eligible installments have realistic data. The
 * apprentices' names cycle over common French first and last names; two contracts in three name a teaching SIRET,
 * one in nine is broken (RUPTURE).
 */
async function seedContracts(db: Kysely<Database>, count: number): Promise<void> {
  const contracts = Math.floor(count / 4) + 1;
  await sql`
    insert into contracts (
      cfa_id, number, label, apprentice_name, apprentice_first_name, apprentice_last_name, training_siret,
      employer_name, employer_siret, start_date, end_date, status)
    select
      c.ids[1 + (k / 8) % array_length(c.ids, 1)],
      'CTR-' || lpad(k::text, 8, '0'),
      'BTS Management commercial opérationnel',
      n.first || ' ' || n.last, n.first, n.last,
      case when k % 3 <> 0 then lpad((90000 + (k / 8) % 97)::text, 14, '0') end,
      'Employeur ' || k % 997,
      lpad((70000000 + k % 997)::text, 14, '0'),
      date '2023-09-01' + (k % 365), date '2025-08-31' + (k % 365),
      case when k % 9 = 0 then 'RUPTURE' else 'ENGAGE' end
    from generate_series(0, ${contracts - 1}::int) k
    cross join (select array_agg(id order by siret) as ids from cfas) c
    cross join lateral (
      select (${sql.val(FIRST_NAMES)}::text[])[1 + k % ${FIRST_NAMES.length}::int] as first,
        (${sql.val(LAST_NAMES)}::text[])[1 + (k / ${FIRST_NAMES.length}::int) % ${LAST_NAMES.length}::int] as last
    ) n`.execute(db);
  await sql`
    insert into installments (contract_id, nature, period_start, period_end, amount_cents)
    select c.id, p.nature, date '2024-01-01' + (g % 4) * 30, date '2024-01-01' + (g % 4) * 30 + 27, p.total_cents
    from generate_series(1, ${count}::int) g
    join pro_formas p on p.number = 'PRO-' || lpad(g::text, 8, '0')
    join contracts c on c.number = 'CTR-' || lpad((g / 4)::text, 8, '0')`.execute(db);
  await sql`
    insert into installments (contract_id, nature, period_start, period_end, amount_cents)
    select c.id, 'PEDAGOGIE', date '2025-01-01', date '2025-03-31', 150000 + (k * 37) % 100000
    from generate_series(0, ${contracts - 1}::int) k
    join contracts c on c.number = 'CTR-' || lpad(k::text, 8, '0')`.execute(db);
  await sql`
    insert into pro_forma_lines (pro_forma_id, installment_id, nature, amount_cents, released_at)
    select p.id, i.id, p.nature, p.total_cents, case when p.status = 'CANCELLED' then p.created_at + interval '1 day' end
    from generate_series(1, ${count}::int) g
    join pro_formas p on p.number = 'PRO-' || lpad(g::text, 8, '0')
    join contracts c on c.number = 'CTR-' || lpad((g / 4)::text, 8, '0')
    join installments i on i.contract_id = c.id and i.nature = p.nature
      and i.period_start = date '2024-01-01' + (g % 4) * 30`.execute(db);
}
