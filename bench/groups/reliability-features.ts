// The reliability features' SQL at scale, on the 1,000,000-row qc_jobs with 10,000
// running jobs: the watchdog's sweep, sustained heartbeat writes and their HOT share, and
// dead-lettering then redriving 10,000 jobs, through the RPCs workers and operators call.
import { connect, type Sql } from "../../scripts/shared/database.ts";
import type { BenchContext } from "../lib/context.ts";
import type { BenchDatabase } from "../lib/databases.ts";
import { qcJobsWriteCounters, writeCounts } from "../lib/heartbeat-cost.ts";
import { repeat } from "../lib/stats.ts";

const STALE_JOBS = 1_000;
const WORKER_CONNECTIONS = 4;
const HEARTBEAT_SECONDS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunningJob {
  id: string;
  worker: string;
}

/**
 * Both flags on for every job, as if turned on an hour ago: the watchdog waits one stale period
 * after JOB_HEARTBEAT changes, so updated_at is set in the past with the stamping trigger
 * bypassed (session_replication_role = replica, superuser only; this is setup, not a measurement).
 */
async function flagsOnSinceAnHourAgo(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`update public.feature_flags set enabled = true, rollout_percentage = 100, updated_at = now() - interval '1 hour'
             where key in ('JOB_HEARTBEAT', 'DLQ_ENABLED')`;
  });
}

/** Puts the benchmark's running jobs back: running, owned, heartbeat just now, except `stale`. */
async function resetRunningJobs(sql: Sql, jobs: RunningJob[], options: { staleCount: number; attemptsLeft: boolean }): Promise<void> {
  const ids = jobs.map((j) => j.id);
  const staleIds = ids.slice(0, options.staleCount);
  await sql`
    update public.qc_jobs
       set status = 'running', locked_by = 'worker-' || (abs(hashtext(id::text)) % 32), finished_at = null,
           attempts = case when ${options.attemptsLeft} then 1 else max_attempts end,
           started_at = now() - interval '10 minutes',
           last_heartbeat_at = case when id = any(${staleIds}::uuid[]) then null else now() end
     where id = any(${ids}::uuid[])`;
}

async function runningJobs(sql: Sql, count: number): Promise<RunningJob[]> {
  const rows = await sql`select id from public.qc_jobs where job_type = 'bench.job' and status = 'running' order by id limit ${count}`;
  if (rows.length < count) throw new Error(`expected ${count} running benchmark jobs, found ${rows.length}`);
  const ids = rows.map((r) => r.id as string);
  await resetRunningJobs(sql, ids.map((id) => ({ id, worker: "" })), { staleCount: 0, attemptsLeft: true });
  const owned = await sql`select id, locked_by from public.qc_jobs where id = any(${ids}::uuid[])`;
  return owned.map((r) => ({ id: r.id as string, worker: r.locked_by as string }));
}

/** Splits jobs over worker connections and runs `work` on each connection's share at once. */
async function onWorkerConnections(url: string, jobs: RunningJob[], work: (sql: Sql, share: RunningJob[]) => Promise<void>): Promise<void> {
  const connections = Array.from({ length: WORKER_CONNECTIONS }, () => connect(url));
  try {
    await Promise.all(connections.map((sql, c) => work(sql, jobs.filter((_, i) => i % WORKER_CONNECTIONS === c))));
  } finally {
    await Promise.all(connections.map((sql) => sql.end({ timeout: 5 })));
  }
}

async function measureWatchdog(context: BenchContext, database: BenchDatabase, jobs: RunningJob[]): Promise<void> {
  const { sql } = database;
  const sweep = async (staleCount: number) =>
    repeat(context.settings.runs, async () => {
      await resetRunningJobs(sql, jobs, { staleCount, attemptsLeft: true });
      const started = performance.now();
      const rows = await sql`select outcome, count(*)::int as jobs from public.reclaim_stale_jobs(interval '5 minutes', ${STALE_JOBS}) group by outcome`;
      const ms = performance.now() - started;
      const requeued = rows.find((r) => r.outcome === "requeued")?.jobs ?? 0;
      if (requeued !== staleCount || rows.length > (staleCount ? 1 : 0)) throw new Error(`watchdog with ${staleCount} stale jobs did ${JSON.stringify(rows)}`);
      return ms;
    });
  const idle = await sweep(0);
  const busy = await sweep(STALE_JOBS);
  const running = jobs.length.toLocaleString("en-US");
  context.book.add({ id: "db.watchdog.idle", label: `watchdog sweep, nothing stale (${running} running jobs)`, unit: "ms", samples: idle });
  context.book.add({ id: "db.watchdog.sweep", label: `watchdog sweep requeueing ${STALE_JOBS.toLocaleString("en-US")} stale jobs (reclaim_stale_jobs)`, unit: "ms", samples: busy, baselineId: "db.watchdog.idle" });
}

const CANARY_PERCENTAGE = 5;

/**
 * JOB_HEARTBEAT at CANARY_PERCENTAGE, settled an hour ago (as in flagsOnSinceAnHourAgo), and the
 * running jobs as during its canary: the canary's heartbeating, the control jobs (which do not
 * heartbeat) quiet for 10 minutes, past stale_after and within their 1-hour lease. Returns how
 * many control jobs there are.
 */
async function canaryRunning(sql: Sql, jobs: RunningJob[]): Promise<number> {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`update public.feature_flags set enabled = true, rollout_percentage = ${CANARY_PERCENTAGE}, updated_at = now() - interval '1 hour'
             where key = 'JOB_HEARTBEAT'`;
  });
  const rows = await sql`
    update public.qc_jobs q
       set status = 'running', locked_by = 'worker-' || (abs(hashtext(q.id::text)) % 32), finished_at = null, attempts = 1,
           started_at = now() - interval '10 minutes',
           last_heartbeat_at = case when public.flag_enabled('JOB_HEARTBEAT', public.job_subject(q)) then now() end
     where q.id = any(${jobs.map((j) => j.id)}::uuid[])
    returning q.last_heartbeat_at is null as control`;
  return rows.filter((r) => r.control === true).length;
}

/**
 * The watchdog during a JOB_HEARTBEAT canary: every control job is past stale_after, so the scan
 * checks the flag for each of them, and rescues none (none is past its lease). What the flag check
 * per candidate row costs the watchdog's run.
 */
async function measureWatchdogDuringCanary(context: BenchContext, database: BenchDatabase, jobs: RunningJob[]): Promise<void> {
  const { sql } = database;
  let control = 0;
  const sweeps = await repeat(context.settings.runs, async () => {
    control = await canaryRunning(sql, jobs);
    const started = performance.now();
    const rows = await sql`select count(*)::int as jobs from public.reclaim_stale_jobs(interval '5 minutes', ${STALE_JOBS})`;
    const ms = performance.now() - started;
    if (rows[0]!.jobs !== 0) throw new Error(`the watchdog during the canary rescued ${rows[0]!.jobs as number} jobs; none is past its lease`);
    return ms;
  });
  if (control === 0 || control === jobs.length) throw new Error(`JOB_HEARTBEAT at ${CANARY_PERCENTAGE} % put ${jobs.length - control} of ${jobs.length} jobs in the canary`);
  await flagsOnSinceAnHourAgo(sql);
  context.book.add({
    id: "db.watchdog.canary",
    label: `watchdog sweep during a JOB_HEARTBEAT canary at ${CANARY_PERCENTAGE} % (${jobs.length.toLocaleString("en-US")} running jobs: the canary heartbeating, ${control.toLocaleString("en-US")} control jobs quiet within their lease, each checked against the flag, none rescued)`,
    unit: "ms",
    samples: sweeps,
    baselineId: "db.watchdog.idle",
  });
}

interface WriteRun {
  perSecond: number;
  hotPercent: number;
  walBytesPerWrite: number;
}

/** `write` on every worker connection for HEARTBEAT_SECONDS; counts its writes and their HOT share. */
async function sustainedWrites(context: BenchContext, database: BenchDatabase, jobs: RunningJob[], write: (sql: Sql, job: RunningJob) => Promise<boolean>): Promise<WriteRun> {
  await resetRunningJobs(database.sql, jobs, { staleCount: 0, attemptsLeft: true });
  await sleep(1_000); // let the reset's statistics reach pg_stat_user_tables first
  const before = await qcJobsWriteCounters(database.sql);
  let writes = 0;
  const started = performance.now();
  await onWorkerConnections(database.url, jobs, async (sql, share) => {
    for (let i = 0; performance.now() - started < HEARTBEAT_SECONDS * 1000; i++) {
      if (await write(sql, share[i % share.length]!)) writes++;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  await sleep(1_500); // closed backends flush their statistics on exit
  const counts = writeCounts(before, await qcJobsWriteCounters(database.sql));
  if (writes === 0 || counts.updates === null || counts.updates < writes) throw new Error(`${writes} writes but ${counts.updates} updates counted`);
  return {
    perSecond: writes / seconds,
    hotPercent: counts.hotPercent!,
    walBytesPerWrite: counts.walBytes / writes,
  };
}

async function measureHeartbeats(context: BenchContext, database: BenchDatabase, jobs: RunningJob[]): Promise<void> {
  const plain: WriteRun[] = [];
  const heartbeats: WriteRun[] = [];
  for (let run = 0; run < context.settings.runs; run++) {
    // Baseline: the cheapest possible "I am alive" write, a column no index covers (HOT-eligible).
    plain.push(await sustainedWrites(context, database, jobs, async (sql, job) => {
      const rows = await sql`update public.qc_jobs set updated_at = now() where id = ${job.id}::uuid and status = 'running' returning 1`;
      return rows.length === 1;
    }));
    // min_interval 0: every call writes, to measure the write path itself.
    heartbeats.push(await sustainedWrites(context, database, jobs, async (sql, job) => {
      const [answer] = await sql`select recorded from public.heartbeat_job(${job.id}::uuid, ${job.worker}, null, interval '0 seconds')`;
      return answer!.recorded === true;
    }));
    const [p, h] = [plain.at(-1)!, heartbeats.at(-1)!];
    context.log(`  writes run ${run + 1}: plain UPDATE ${Math.round(p.perSecond)}/s HOT ${p.hotPercent.toFixed(1)} %; heartbeat_job ${Math.round(h.perSecond)}/s HOT ${h.hotPercent.toFixed(1)} %, ${Math.round(h.walBytesPerWrite)} WAL bytes each`);
  }
  const label = `${WORKER_CONNECTIONS} connections, ${HEARTBEAT_SECONDS} s over ${jobs.length.toLocaleString("en-US")} running jobs`;
  const { book } = context;
  book.add({ id: "db.plain-update.rate", label: `baseline: UPDATE qc_jobs SET updated_at (no index on it) (${label})`, unit: "writes/s", samples: plain.map((r) => r.perSecond) });
  book.add({ id: "db.heartbeat.rate", label: `sustained heartbeats: heartbeat_job, flag check included (${label})`, unit: "writes/s", samples: heartbeats.map((r) => r.perSecond), baselineId: "db.plain-update.rate" });
  book.add({ id: "db.plain-update.hot", label: "baseline: HOT share of the plain UPDATEs (n_tup_hot_upd / n_tup_upd)", unit: "%", samples: plain.map((r) => r.hotPercent) });
  book.add({ id: "db.heartbeat.hot", label: "HOT share of the heartbeat UPDATEs (n_tup_hot_upd / n_tup_upd)", unit: "%", samples: heartbeats.map((r) => r.hotPercent) });
  book.add({ id: "db.plain-update.wal", label: "baseline: WAL written per plain UPDATE", unit: "bytes", samples: plain.map((r) => r.walBytesPerWrite) });
  book.add({ id: "db.heartbeat.wal", label: "WAL written per heartbeat (full-page images after a checkpoint included)", unit: "bytes", samples: heartbeats.map((r) => r.walBytesPerWrite), baselineId: "db.plain-update.wal" });
}

async function measureDeadLetters(context: BenchContext, database: BenchDatabase, jobs: RunningJob[]): Promise<void> {
  const deadLetter: number[] = [];
  const redrive: number[] = [];
  for (let run = 0; run < context.settings.runs; run++) {
    await resetRunningJobs(database.sql, jobs, { staleCount: 0, attemptsLeft: false });
    const failedFrom = (await database.sql`select now() as at`)[0]!.at as Date;
    let deadLettered = 0;
    const started = performance.now();
    await onWorkerConnections(database.url, jobs, async (sql, share) => {
      for (const job of share) {
        const [row] = await sql`select public.fail_job(${job.id}::uuid, ${job.worker}, 'bench: failed for good', '{"bench": true}'::jsonb, false) as outcome`;
        if (row!.outcome === "dead_lettered") deadLettered++;
      }
    });
    deadLetter.push(performance.now() - started);
    if (deadLettered !== jobs.length) throw new Error(`fail_job dead-lettered ${deadLettered} of ${jobs.length} jobs`);

    let redriven = 0;
    const redriveStarted = performance.now();
    for (;;) {
      const rows = await database.sql`select count(*)::int as entries from public.dlq_redrive('bench.job', ${failedFrom}, null, 500)`;
      if (rows[0]!.entries === 0) break;
      redriven += rows[0]!.entries as number;
    }
    redrive.push(performance.now() - redriveStarted);
    const back = await database.sql`select count(*)::int as n from public.qc_jobs where id = any(${jobs.map((j) => j.id)}::uuid[]) and status = 'pending'`;
    if (redriven !== jobs.length || back[0]!.n !== jobs.length) throw new Error(`redrive: ${redriven} entries, ${back[0]!.n as number} jobs pending again, of ${jobs.length}`);
    context.log(`  DLQ run ${run + 1}: dead-lettered in ${Math.round(deadLetter.at(-1)!)} ms, redriven in ${Math.round(redrive.at(-1)!)} ms`);
  }
  const count = jobs.length.toLocaleString("en-US");
  context.book.add({ id: "db.dlq.deadletter", label: `dead-letter ${count} jobs: fail_job per job, ${WORKER_CONNECTIONS} connections`, unit: "ms", samples: deadLetter });
  context.book.add({ id: "db.dlq.redrive", label: `redrive ${count} entries: dlq_redrive in batches of 500`, unit: "ms", samples: redrive });
}

export async function measureReliabilityFeatures(context: BenchContext, database: BenchDatabase): Promise<void> {
  await flagsOnSinceAnHourAgo(database.sql);
  const jobs = await runningJobs(database.sql, context.settings.runningJobs);
  context.log("watchdog");
  await measureWatchdog(context, database, jobs);
  await measureWatchdogDuringCanary(context, database, jobs);
  context.log("heartbeats");
  await measureHeartbeats(context, database, jobs);
  context.log("dead-letter queue");
  await measureDeadLetters(context, database, jobs);
}
