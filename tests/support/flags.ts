// Setting a flag in a test database, the two ways tests need it.
import type { Sql, TransactionSql } from "../../scripts/shared/database.ts";

/**
 * Sets a flag the way the dashboard's table editor does: a plain UPDATE as the owner role, so the
 * stamp trigger records the change now (`bucketGroup` left as it is when omitted).
 */
export async function setFlag(sql: Sql | TransactionSql, key: string, enabled: boolean, rolloutPercentage: number, bucketGroup?: string): Promise<void> {
  await sql`update public.feature_flags
               set enabled = ${enabled}, rollout_percentage = ${rolloutPercentage},
                   bucket_group = coalesce(${bucketGroup ?? null}::text, bucket_group)
             where key = ${key}`;
}

/**
 * Sets a flag as if it had been changed `changedAgo`: the watchdog waits one threshold after a
 * change of a flag's answers, so job tests that are not about that wait set flags settled. The
 * stamp trigger would set updated_at and answers_changed_at to now(), so the backdating runs with
 * that trigger disabled, in the same transaction.
 */
export async function setSettledFlag(sql: Sql, key: string, enabled: boolean, rolloutPercentage: number, changedAgo = "1 hour"): Promise<void> {
  await sql.begin(async (tx) => {
    await setFlag(tx, key, enabled, rolloutPercentage);
    await tx.unsafe("alter table public.feature_flags disable trigger feature_flags_stamp");
    await tx`update public.feature_flags
                set updated_at = now() - ${changedAgo}::interval, answers_changed_at = now() - ${changedAgo}::interval
              where key = ${key}`;
    await tx.unsafe("alter table public.feature_flags enable trigger feature_flags_stamp");
  });
}
