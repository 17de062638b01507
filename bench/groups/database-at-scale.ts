// Database at scale, on the real PostgreSQL server: qc_jobs with 1,000,000 rows of which 10,000
// running. The heartbeat migration (20261125100200) pushed with the real Supabase CLI while a writer
// runs: its duration and the writer's longest wait. Then, on the same table, the reliability
// features (heartbeats, watchdog, dead-letter queue) when their SQL is in this checkout, and the
// rollout guard's read of a step's finished jobs.
import { readFileSync } from "node:fs";
import { runScript } from "../../scripts/shared/database.ts";
import { findMigration } from "../../scripts/shared/migration-files.ts";
import { markReverted } from "../../scripts/shared/supabase-cli.ts";
import type { BenchContext, BenchGroup } from "../lib/context.ts";
import { createBenchDatabase, migrationVersion, pushMigrations, type BenchDatabase } from "../lib/databases.ts";
import { startJobWriter, type WriterReport } from "../lib/job-writer.ts";
import { measureReliabilityFeatures } from "./reliability-features.ts";
import { measureRolloutSignals } from "./rollout-signals.ts";

async function loadJobs(database: BenchDatabase, rows: number, running: number): Promise<void> {
  // Running jobs started a minute ago and are owned by one of 32 workers; the rest are a mix of
  // pending and completed history. Subjects spread over 5,000 tenants.
  await database.sql`
    insert into public.qc_jobs (job_type, status, payload, attempts, tenant_id, locked_by, started_at, finished_at, created_at)
    select 'bench.job',
           case when g <= ${running} then 'running' when g % 4 = 0 then 'pending' else 'completed' end,
           jsonb_build_object('n', g, 'note', 'benchmark job'),
           case when g <= ${running} or g % 4 <> 0 then 1 else 0 end,
           'tenant-' || (g % 5000),
           case when g <= ${running} then 'worker-' || (g % 32) end,
           case when g <= ${running} or g % 4 <> 0 then now() - interval '1 minute' end,
           case when g > ${running} and g % 4 <> 0 then now() - interval '30 seconds' end,
           now() - interval '1 hour'
    from generate_series(1, ${rows}::int) g`;
  await database.sql.unsafe("vacuum analyze public.qc_jobs");
}

/** A writer alone for a few seconds: its longest statement without any migration. */
async function writerAlone(database: BenchDatabase, seconds: number): Promise<WriterReport> {
  const writer = await startJobWriter(database.url);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return writer.stop();
}

async function revertHeartbeatMigration(database: BenchDatabase, version: string): Promise<void> {
  await runScript(database.sql, readFileSync(findMigration(version).rollbackPath, "utf8"));
  await markReverted(database.url, version);
}

async function measureHeartbeatMigration(context: BenchContext, database: BenchDatabase): Promise<void> {
  const { book, settings } = context;
  const version = migrationVersion("add_heartbeat_column");
  const pushes: number[] = [];
  const noOpPushes: number[] = [];
  const withMigration: WriterReport[] = [];
  const alone: WriterReport[] = [];
  for (let run = 0; run < settings.runs; run++) {
    if (run > 0) await revertHeartbeatMigration(database, version);
    alone.push(await writerAlone(database, 3));
    const writer = await startJobWriter(database.url);
    const push = await pushMigrations(database.url, version);
    const report = await writer.stop();
    if (!push.output.includes(findMigration(version).fileName)) throw new Error(`the push did not apply ${version}:\n${push.output}`);
    pushes.push(push.ms);
    withMigration.push(report);
    noOpPushes.push((await pushMigrations(database.url, version)).ms);
    context.log(`  heartbeat migration run ${run + 1}: push ${Math.round(push.ms)} ms, writer longest ${report.longestMs.toFixed(1)} ms over ${report.statements} statements (alone: ${alone[run]!.longestMs.toFixed(1)} ms)`);
  }
  const rows = settings.jobRows.toLocaleString("en-US");
  book.add({ id: "db.push.noop", label: "supabase db push with nothing pending (CLI start, connect, history check)", unit: "ms", samples: noOpPushes });
  book.add({ id: "db.push.heartbeat", label: `supabase db push of 002 (column + 2 indexes built CONCURRENTLY) on ${rows} rows`, unit: "ms", samples: pushes, baselineId: "db.push.noop" });
  book.add({ id: "db.writer.alone.longest", label: "writer alone: longest statement (3 s)", unit: "ms", samples: alone.map((r) => r.longestMs) });
  book.add({ id: "db.writer.during.longest", label: "writer during the push: longest wait", unit: "ms", samples: withMigration.map((r) => r.longestMs), baselineId: "db.writer.alone.longest" });
  book.add({ id: "db.writer.alone.rate", label: "writer alone: statements/s", unit: "stmt/s", samples: alone.map((r) => r.perSecond) });
  book.add({ id: "db.writer.during.rate", label: "writer during the push: statements/s", unit: "stmt/s", samples: withMigration.map((r) => r.perSecond), baselineId: "db.writer.alone.rate" });
}

export const databaseAtScale: BenchGroup = {
  title: "Database at scale",
  async run(context) {
    const { settings } = context;
    const database = await createBenchDatabase("scale");
    try {
      await pushMigrations(database.url, migrationVersion("create_job_dlq"));
      const started = performance.now();
      await loadJobs(database, settings.jobRows, settings.runningJobs);
      context.log(`loaded ${settings.jobRows} jobs (${settings.runningJobs} running) in ${Math.round(performance.now() - started)} ms`);
      await measureHeartbeatMigration(context, database);
      await pushMigrations(database.url);
      await measureReliabilityFeatures(context, database);
      await measureRolloutSignals(context, database);
    } finally {
      await database.drop();
    }
  },
};
