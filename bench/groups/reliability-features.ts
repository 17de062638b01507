// The reliability features' SQL at scale (issue 4): measured once their functions are merged.
import type { BenchContext } from "../lib/context.ts";
import type { BenchDatabase } from "../lib/databases.ts";

export async function measureReliabilityFeatures(context: BenchContext, database: BenchDatabase): Promise<void> {
  const rows = await database.sql`
    select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.proname like any (array['%heartbeat%', '%watchdog%', '%dlq%', '%dead_letter%', '%redrive%'])`;
  const names = rows.map((r) => r.proname as string);
  const reason = "issue 4's heartbeat, watchdog and dead-letter functions are not in this checkout's migrations (not merged into main yet)";
  if (names.filter((n) => n !== "update_job_dlq_updated_at").length === 0) {
    context.book.skip("db.watchdog", "watchdog sweep with 1,000 stale jobs", reason);
    context.book.skip("db.heartbeat", "sustained heartbeat writes/s and HOT-update share", reason);
    context.book.skip("db.dlq", "dead-lettering and redrive of 10,000 jobs", reason);
    return;
  }
  throw new Error(`the benchmark does not know issue 4's functions yet (${names.join(", ")})`);
}
