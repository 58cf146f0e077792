import { sql, type Kysely } from 'kysely';

// The number of pro formas per group of the columns the dashboard and the list filters use, kept by statement-level
// triggers in the transaction of every change of pro_formas (inserts, COPY, status moves, deletes). The dashboard's
// counters and the totals of the lists, the validation queue among them, are sums over these groups: their cost
// depends on the number of groups (CFAs × statuses × natures …), not on the number of pro formas (measured by
// `npm run bench:lists` on 10,000 and 1,000,000). Each group also keeps the latest date at which a pro forma entered it
// with each stamp, the dashboard's « mis à jour le ».

const GROUP = 'cfa_id, status, stage, refusal_origin, nature, kind, deposited';
const LATEST = ['deposited_at', 'validated_at', 'refused_at', 'paid_at'] as const;

const KEY = GROUP.split(', ');

/**
 * A group whose count did not change and to which no newer date came (an update of other columns: the invoice number,
 * updated_at…) is left alone, its row not even locked. Read without a lock: its dates only ever grow, so a group
 * skipped here could only have been given dates it already holds.
 */
const UNCHANGED = `g.n = 0 and exists (
        select 1 from pro_forma_counts k
        where ${KEY.map((c) => `k.${c} is not distinct from g.${c}`).join(' and ')}
          and ${LATEST.map((c) => `(g.last_${c} is null or g.last_${c} <= k.last_${c})`).join(' and ')})`;

/**
 * One upsert per statement: the rows that left a group count -1, those that entered one +1 and bring their dates.
 * Grouped and sorted, so two transactions moving pro formas between the same groups lock them in the same order.
 */
function applyDeltas(sources: { table: 'old_rows' | 'new_rows'; sign: -1 | 1 }[]): string {
  const select = ({ table, sign }: (typeof sources)[number]) => `
        select cfa_id, status, stage, refusal_origin, nature, kind, deposited_at is not null as deposited,
          ${sign} as delta, ${LATEST.map((c) => (sign === 1 ? c : `null::timestamptz as ${c}`)).join(', ')}
        from ${table}`;
  return `
    insert into pro_forma_counts as c (${GROUP}, n, ${LATEST.map((col) => `last_${col}`).join(', ')})
    select g.* from (
      select ${GROUP}, sum(delta) as n, ${LATEST.map((col) => `max(${col}) as last_${col}`).join(', ')}
      from (${sources.map(select).join(' union all ')}) moved
      group by ${GROUP}
    ) g
    where not (${UNCHANGED})
    order by ${KEY.map((c) => `g.${c}`).join(', ')}
    on conflict (${GROUP}) do update set
      n = c.n + excluded.n,
      ${LATEST.map((col) => `last_${col} = greatest(c.last_${col}, excluded.last_${col})`).join(',\n      ')}`;
}

const TRIGGERS = [
  { event: 'insert', referencing: 'new table as new_rows', sources: [{ table: 'new_rows', sign: 1 }] },
  {
    event: 'update',
    referencing: 'old table as old_rows new table as new_rows',
    sources: [
      { table: 'old_rows', sign: -1 },
      { table: 'new_rows', sign: 1 },
    ],
  },
  { event: 'delete', referencing: 'old table as old_rows', sources: [{ table: 'old_rows', sign: -1 }] },
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table pro_forma_counts (
      cfa_id uuid not null constraint pro_forma_counts_cfa_id_fkey references cfas (id),
      status text not null,
      stage text,
      refusal_origin text,
      nature text not null,
      kind text not null,
      deposited boolean not null,
      n bigint not null,
      last_deposited_at timestamptz,
      last_validated_at timestamptz,
      last_refused_at timestamptz,
      last_paid_at timestamptz,
      constraint pro_forma_counts_group_key unique nulls not distinct (${sql.raw(GROUP)})
    )`.execute(db);
  await sql`create index pro_forma_counts_status_idx on pro_forma_counts (status)`.execute(db);
  for (const { event, referencing, sources } of TRIGGERS) {
    await sql`
      create function ${sql.raw(`pro_forma_counts_on_${event}`)}() returns trigger language plpgsql as $$
      begin
        ${sql.raw(applyDeltas([...sources]))};
        return null;
      end $$`.execute(db);
    await sql`
      create trigger ${sql.raw(`pro_forma_counts_${event}`)} after ${sql.raw(event)} on pro_formas
      referencing ${sql.raw(referencing)}
      for each statement execute function ${sql.raw(`pro_forma_counts_on_${event}`)}()`.execute(db);
  }
  // The dashboard read these covering indexes; it reads the groups now, and each status move no longer updates them.
  await sql`drop index pro_formas_counters_idx`.execute(db);
  await sql`drop index pro_formas_cfa_id_counters_idx`.execute(db);
  // The pro formas already there.
  await sql`
    insert into pro_forma_counts (${sql.raw(GROUP)}, n, ${sql.raw(LATEST.map((col) => `last_${col}`).join(', '))})
    select cfa_id, status, stage, refusal_origin, nature, kind, deposited_at is not null, count(*),
      ${sql.raw(LATEST.map((col) => `max(${col})`).join(', '))}
    from pro_formas
    group by 1, 2, 3, 4, 5, 6, 7`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const { event } of TRIGGERS) {
    await sql`drop trigger ${sql.raw(`pro_forma_counts_${event}`)} on pro_formas`.execute(db);
    await sql`drop function ${sql.raw(`pro_forma_counts_on_${event}`)}()`.execute(db);
  }
  await sql`drop table pro_forma_counts`.execute(db);
  await sql`
    create index pro_formas_counters_idx on pro_formas (status, refusal_origin)
    include (deposited_at, validated_at, refused_at, paid_at)`.execute(db);
  await sql`
    create index pro_formas_cfa_id_counters_idx on pro_formas (cfa_id, status, refusal_origin)
    include (deposited_at, validated_at, refused_at, paid_at)`.execute(db);
}
