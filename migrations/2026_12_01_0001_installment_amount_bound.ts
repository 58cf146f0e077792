import { sql, type Kysely } from 'kysely';

// An installment carries at most 999,999,999.99 €, of either sign: the most one SEPA credit transfer can carry
// (MAX_AMOUNT_CENTS in domain/money.ts, which the API schemas and the contracts import check first, in French). Past
// 2^53 cents numbers stop being exact, and one such amount made the eligible list and the generation of its cost
// nature fail for good.
//
// Rows written before this migration may lie beyond the bound, up to ±(2^53 − 1) cents (the API and the import only
// asked for safe integers then). They are money already imported, perhaps billed or paid: not this migration's to
// change or delete, and failing here would keep the service from starting. So the constraint is added NOT VALID (it
// holds for every row written from now on) and validated at once where no row lies beyond it, which is every
// database but one that received such an amount. There, correct the rows, then run
// `alter table installments validate constraint installments_amount_cents_bound_check`.
//
// pro_forma_lines copy the amount of their installment, so they are bounded through it; a check there would turn the
// billing of one of those older rows into a database error.

const upStatements = [
  sql`
    alter table installments add constraint installments_amount_cents_bound_check
    check (amount_cents between -99999999999 and 99999999999) not valid`,
  sql`
    do $$
    begin
      if not exists (select 1 from installments where amount_cents not between -99999999999 and 99999999999) then
        alter table installments validate constraint installments_amount_cents_bound_check;
      end if;
    end
    $$`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table installments drop constraint installments_amount_cents_bound_check`.execute(db);
}
