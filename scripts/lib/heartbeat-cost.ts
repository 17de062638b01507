// What heartbeats cost in writes, for `npm run bench` (issue 6) and the README's numbers.
//
// Creates `runningJobs` running jobs of its own (job type HEARTBEAT_PROBE_JOB_TYPE, tenant
// HEARTBEAT_PROBE_TENANT), heartbeats each `rounds` times through the real RPC, one transaction
// per call as workers do, and reports the row updates, how many were HOT, and the WAL written.
// It needs JOB_HEARTBEAT on for the probe's tenant (it refuses otherwise: nothing would be
// written), and deletes its jobs afterwards. Run it on a test database or a quiet server: WAL and
// table statistics are server-wide and per table, so concurrent writers add to the numbers.
import type { Sql } from "./database.ts";

export const HEARTBEAT_PROBE_JOB_TYPE = "__heartbeat_cost_probe";
export const HEARTBEAT_PROBE_TENANT = "__heartbeat_cost_probe";
const PROBE_WORKER = "heartbeat-cost-probe";

export interface HeartbeatCost {
  heartbeats: number;
  /** Row updates of qc_jobs counted by the statistics collector during the run (null: unavailable). */
  updates: number | null;
  hotUpdates: number | null;
  hotShare: number | null;
  walBytes: number;
  walBytesPerHeartbeat: number;
}

async function tableCounters(sql: Sql): Promise<{ updates: number; hot: number } | null> {
  // Statistics reach pg_stat_* when a backend reports them; force it, then read fresh values.
  await sql`select pg_stat_force_next_flush()`.catch(() => {});
  await sql`select pg_stat_clear_snapshot()`;
  const [row] = await sql`
    select n_tup_upd::bigint as updates, n_tup_hot_upd::bigint as hot
    from pg_stat_user_tables where relid = 'public.qc_jobs'::regclass`;
  if (!row || row.updates === null) return null;
  return { updates: Number(row.updates), hot: Number(row.hot) };
}

export async function measureHeartbeatCost(sql: Sql, options: { runningJobs?: number; rounds?: number } = {}): Promise<HeartbeatCost> {
  const runningJobs = options.runningJobs ?? 100;
  const rounds = options.rounds ?? 10;
  const [flag] = await sql`select public.flag_enabled('JOB_HEARTBEAT', ${HEARTBEAT_PROBE_TENANT}) as on`;
  if (!flag!.on) throw new Error(`measureHeartbeatCost: JOB_HEARTBEAT is off for subject ${HEARTBEAT_PROBE_TENANT}; turn it on to measure`);

  const jobs = await sql<{ id: string; attempts: number }[]>`
    insert into public.qc_jobs (job_type, status, tenant_id, locked_by, started_at, attempts)
    select ${HEARTBEAT_PROBE_JOB_TYPE}, 'running', ${HEARTBEAT_PROBE_TENANT}, ${PROBE_WORKER}, now(), 1
    from generate_series(1, ${runningJobs})
    returning id, attempts`;
  try {
    const before = await tableCounters(sql);
    // The insert position counts WAL as it is written; the flushed position can lag behind it,
    // since a heartbeat's commit does not wait for the flush.
    const [walStart] = await sql`select pg_current_wal_insert_lsn()::text as lsn`;
    for (let round = 0; round < rounds; round++) {
      for (const job of jobs) {
        const [beat] = await sql`select recorded from public.heartbeat_job(${job.id}, ${PROBE_WORKER}, ${job.attempts}, interval '0 seconds')`;
        if (!beat!.recorded) throw new Error(`measureHeartbeatCost: heartbeat of probe job ${job.id} was not recorded`);
      }
    }
    const [walEnd] = await sql`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${walStart!.lsn}::pg_lsn)::bigint as bytes`;
    const after = await tableCounters(sql);
    const heartbeats = runningJobs * rounds;
    const walBytes = Number(walEnd!.bytes);
    const updates = before && after ? after.updates - before.updates : null;
    const hotUpdates = before && after ? after.hot - before.hot : null;
    return {
      heartbeats,
      updates,
      hotUpdates,
      hotShare: updates && hotUpdates !== null ? hotUpdates / updates : null,
      walBytes,
      walBytesPerHeartbeat: walBytes / heartbeats,
    };
  } finally {
    await sql`delete from public.qc_jobs where job_type = ${HEARTBEAT_PROBE_JOB_TYPE} and locked_by = ${PROBE_WORKER}`;
  }
}
