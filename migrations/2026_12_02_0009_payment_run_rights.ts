import { sql, type Kysely } from 'kysely';

// The payment runs' right (issue 14): the admins who confirm payments read the runs and their files.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    update users set rights = array_append(rights, 'payment-runs:read')
    where role = 'admin' and 'payments:confirm' = any(rights) and not ('payment-runs:read' = any(rights))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update users set rights = array_remove(rights, 'payment-runs:read')`.execute(db);
}
