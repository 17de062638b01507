// The watchdog finds stale jobs through idx_qc_jobs_running_heartbeat on a table with many rows
// (200,000 jobs, 1,000 running, analyzed), so its cost follows the running jobs, not the table.
// An ordered Index Scan or a Bitmap Index Scan, as the planner prefers: both find the candidates
// in the partial index instead of scanning the table.
// 1. On PGlite and the server: EXPLAIN of the candidate query taken from the installed function's
//    own source (not a copy), with its variables bound.
// 2. On the server: the plan the function really runs, captured by auto_explain (a loadable
//    module PGlite does not have) and sent to the client as a notice.
import postgres from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import { reclaimStaleJobs } from "../../../client/job-rpc.ts";
import { usingServer } from "../../support/test-database.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const TOTAL = 200_000;
const RUNNING = 1_000;
const STALE = 50;
const db = usePushedDatabase();

beforeAll(async () => {
  await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 100);
  await db.sql`
    insert into public.qc_jobs (job_type, status, tenant_id, attempts, locked_by, started_at, finished_at, last_heartbeat_at, created_at)
    select 'bulk',
           case when n <= ${RUNNING} then 'running' else 'completed' end,
           'tenant-' || (n % 500), 1, 'w-' || (n % 20),
           now() - interval '1 hour',
           case when n > ${RUNNING} then now() - interval '30 minutes' end,
           case when n <= ${STALE} then now() - interval '10 minutes' else now() - (n % 60) * interval '1 second' end,
           now() - interval '2 hours'
    from generate_series(1, ${TOTAL}) as n`;
  await db.sql`analyze public.qc_jobs`;
});

/** The watchdog's candidate query, cut from the installed function, with its variables bound. */
async function candidateQueryFromFunction(): Promise<string> {
  const [row] = await db.sql`select prosrc from pg_proc where oid = 'public.reclaim_stale_jobs(interval, integer)'::regprocedure`;
  const match = /for candidate in\s+(select q as job[\s\S]*?skip locked)\s+loop/i.exec(row!.prosrc as string);
  if (!match) throw new Error("the watchdog's candidate query was not found in reclaim_stale_jobs");
  // Bound as on a run with JOB_HEARTBEAT settled at 100 %: the heartbeat rule on, the scan's range
  // from the shortest of stale_after and the leases.
  return match[1]!
    .replace(/\bcutoff\b/g, "(now() - interval '5 minutes')")
    .replace(/\bearliest\b/g, "(now() - interval '5 minutes')")
    .replace(/\bheartbeat_rule\b/g, "true")
    .replace(/\bheartbeat_threshold\b/g, "10000")
    .replace(/\bheartbeat_group\b/g, "'JOB_HEARTBEAT'")
    .replace(/\bdefault_lease\b/g, "interval '1 hour'")
    .replace(/\bbatch_size\b/g, "500");
}

describe("the watchdog's plan on 200,000 jobs", () => {
  it("EXPLAIN of its candidate query uses the partial index, no sequential scan of qc_jobs", async () => {
    const query = await candidateQueryFromFunction();
    expect(query).toMatch(/coalesce\(q\.last_heartbeat_at, q\.started_at\) < \(now\(\)/);
    const plan = (await db.sql.unsafe(`explain ${query}`)).map((r) => r["QUERY PLAN"] as string).join("\n");
    expect(plan, plan).toMatch(/Index Scan (using|on) idx_qc_jobs_running_heartbeat\b/);
    expect(plan, plan).not.toMatch(/Seq Scan on qc_jobs/);
  });

  it.skipIf(!usingServer)("the function's own execution uses it (auto_explain; server only) and reclaims the 50 stale jobs", async () => {
    const notices: string[] = [];
    const sql = postgres(db.url, { max: 1, prepare: false, onnotice: (notice) => notices.push(String(notice.message)) });
    try {
      const reclaimed = await sql.begin(async (tx) => {
        await tx.unsafe("load 'auto_explain'");
        await tx.unsafe("set local auto_explain.log_min_duration = 0");
        await tx.unsafe("set local auto_explain.log_nested_statements = on");
        await tx.unsafe("set local auto_explain.log_level = 'notice'");
        await tx.unsafe("set local client_min_messages = 'notice'");
        return reclaimStaleJobs(tx as never, { batchSize: 500 });
      });
      expect(reclaimed).toHaveLength(STALE);
      const candidatePlan = notices.find((n) => n.includes("skip locked"));
      expect(candidatePlan, notices.join("\n---\n")).toBeDefined();
      expect(candidatePlan).toMatch(/Index Scan (using|on) idx_qc_jobs_running_heartbeat\b/);
      expect(candidatePlan).not.toMatch(/Seq Scan on qc_jobs/);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
