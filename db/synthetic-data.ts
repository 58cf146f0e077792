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
      review_codes, reading_engine, sampled)
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
      ${queued} and (g / 64) % 10 = 3
    from generate_series(1, ${count}::int) g
    cross join (select array_agg(id order by siret) as ids from cfas) c
    cross join lateral (select now() - make_interval(mins => ${count}::int - g) as created) t`.execute(db);
  for (const { indexdef } of indexes) await sql.raw(indexdef).execute(db);
  await sql`vacuum analyze pro_formas`.execute(db);
  await sql`vacuum analyze cfas`.execute(db);
  const first = await db.selectFrom('cfas').select('id').orderBy('siret').executeTakeFirstOrThrow();
  return { firstCfaId: first.id };
}
