// What writes to qc_jobs cost: row updates, their HOT share and the WAL written. `npm run bench`
// counts sustained heartbeats with qcJobsWriteCounters; measureHeartbeatCost heartbeats a set of
// probe jobs of its own and reports the same counts.
//
// Creates `runningJobs` running jobs of its own (job type HEARTBEAT_PROBE_JOB_TYPE, tenant
// HEARTBEAT_PROBE_TENANT), heartbeats each `rounds` times through the real RPC, one transaction
// per call as workers do, and reports the row updates, how many were HOT, and the WAL written.
// It needs JOB_HEARTBEAT on for the probe's tenant (it refuses otherwise: nothing would be
// written), and deletes its jobs afterwards. Run it on a test database or a quiet server: WAL and
// table statistics are server-wide and per table, so concurrent writers add to the numbers.
import type { Sql } from "../../scripts/shared/database.ts";

export const HEARTBEAT_PROBE_JOB_TYPE = "__heartbeat_cost_probe";
export const HEARTBEAT_PROBE_TENANT = "__heartbeat_cost_probe";
const PROBE_WORKER = "heartbeat-cost-probe";

export interface HeartbeatCost {
  heartbeats: number;
  /** Row updates of qc_jobs counted by the statistics collector during the run (null: unavailable). */
  updates: number | null;
  hotUpdates: number | null;
  /** HOT updates as a percentage of the updates (null: no update counted). */
  hotPercent: number | null;
  walBytes: number;
  walBytesPerHeartbeat: number;
}

/** Cumulative counters of qc_jobs' writes; two readings give the writes in between (writeCounts). */
export interface WriteCounters {
  /** null where the statistics collector has no row for qc_jobs (e.g. before its first report). */
  updates: number | null;
  hotUpdates: number | null;
  walLsnBytes: bigint;
}

export async function qcJobsWriteCounters(sql: Sql): Promise<WriteCounters> {
  // Statistics reach pg_stat_* when a backend reports them; force it, then read fresh values. WAL is
  // counted at the insert position: a heartbeat's commit does not wait for the flush, so the
  // flushed position can lag behind what was written.
  await sql`select pg_stat_force_next_flush()`.catch(() => {});
  await sql`select pg_stat_clear_snapshot()`;
  const [row] = await sql`
    select s.n_tup_upd::bigint as updates, s.n_tup_hot_upd::bigint as hot,
           pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text as wal
    from (select 1) one left join pg_stat_user_tables s on s.relid = 'public.qc_jobs'::regclass`;
  const known = row!.updates !== null;
  return {
    updates: known ? Number(row!.updates) : null,
    hotUpdates: known ? Number(row!.hot) : null,
    walLsnBytes: BigInt(row!.wal as string),
  };
}

export interface WriteCounts {
  updates: number | null;
  hotUpdates: number | null;
  hotPercent: number | null;
  walBytes: number;
}

/** The writes between two readings of qcJobsWriteCounters. */
export function writeCounts(before: WriteCounters, after: WriteCounters): WriteCounts {
  const counted = before.updates !== null && after.updates !== null;
  const updates = counted ? after.updates! - before.updates! : null;
  const hotUpdates = counted ? after.hotUpdates! - before.hotUpdates! : null;
  return {
    updates,
    hotUpdates,
    hotPercent: updates && hotUpdates !== null ? (100 * hotUpdates) / updates : null,
    walBytes: Number(after.walLsnBytes - before.walLsnBytes),
  };
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
    const before = await qcJobsWriteCounters(sql);
    for (let round = 0; round < rounds; round++) {
      for (const job of jobs) {
        const [beat] = await sql`select recorded from public.heartbeat_job(${job.id}, ${PROBE_WORKER}, ${job.attempts}, interval '0 seconds')`;
        if (!beat!.recorded) throw new Error(`measureHeartbeatCost: heartbeat of probe job ${job.id} was not recorded`);
      }
    }
    const counts = writeCounts(before, await qcJobsWriteCounters(sql));
    const heartbeats = runningJobs * rounds;
    return { heartbeats, ...counts, walBytesPerHeartbeat: counts.walBytes / heartbeats };
  } finally {
    await sql`delete from public.qc_jobs where job_type = ${HEARTBEAT_PROBE_JOB_TYPE} and locked_by = ${PROBE_WORKER}`;
  }
}
