// jobs running | requeue | lease: the running jobs by age and owner, an operator's rescue of the
// stuck ones (recorded in job_events with --actor), and the per-type maximum run time (lease).
// The SQL lives in the database (list_running_jobs, requeue_stuck_jobs, job_type_settings), so
// that it follows the project's own qc_jobs shape.
import { takeOpsLock } from "../transaction.ts";
import { opsWrite } from "../write.ts";
import type { TransactionSql } from "../../shared/database.ts";
import { OpsRefusal, optionDuration, optionNumber, optionString, UsageError, type OpsCommand } from "../command.ts";

export const jobsCommand: OpsCommand = {
  name: "jobs",
  args: "running | requeue | lease [<JOB_TYPE|*>]",
  summary: "list running jobs by age and owner, requeue stuck ones (audited), show or set the lease",
  description: `
  running          running jobs, the quietest first: owner, attempt, last sign of life, lease
  requeue          requeue running jobs quiet for longer than --quiet-for (optionally only
                   --worker's); a job out of attempts fails for good (job_dlq where DLQ_ENABLED is
                   on). Each is recorded in public.job_events with --actor. Under the ops lock.
  lease            every job type's maximum run time (the lease the watchdog enforces, heartbeats
                   or not): job_type_settings rows, '*' for every other type, 1 hour by default
  lease <TYPE|*>   set it with --max-run-time (e.g. 2h), or remove the row with --reset`,
  options: {
    "quiet-for": { type: "string", value: "<duration>", description: "requeue: quiet for longer than this (e.g. 30m); required" },
    worker: { type: "string", value: "<id>", description: "requeue: only this worker's jobs" },
    limit: { type: "string", value: "<n>", description: "running: rows to print (default 100); requeue: at most this many jobs (default 500)" },
    "max-run-time": { type: "string", value: "<duration>", description: "lease: the job type's maximum run time (1s to 7d)" },
    reset: { type: "boolean", description: "lease: remove the job type's row (back to '*' or 1 hour)" },
    "dry-run": { type: "boolean", description: "requeue, lease: show what would change in a rolled-back transaction" },
  },
  examples: [
    "npm run ops -- jobs running --env production",
    "npm run ops -- jobs requeue --quiet-for 30m --worker worker-7 --env production --actor alice",
    "npm run ops -- jobs lease thumbnail --max-run-time 2h --env production --actor alice",
  ],
  async run(ctx, positionals, options) {
    const [action, jobType, ...extra] = positionals;
    const sql = ctx.sql();
    const { out } = ctx;
    if (action === "running" && !jobType) {
      const rows = await sql`select * from public.list_running_jobs(${optionNumber(options, "limit", 100)})`;
      out.table(rows.map((r) => ({
        job_id: r.job_id,
        job_type: r.job_type,
        worker: r.worker_id,
        attempt: `${r.attempt}/${r.max_attempts}`,
        started_at: r.started_at,
        last_heartbeat_at: r.last_heartbeat_at,
        quiet_for: r.quiet_for,
        lease: r.max_run_time,
        lease_expired: r.lease_expired ? "EXPIRED" : "",
      })));
      return;
    }
    if (action === "requeue" && !jobType) {
      if (optionString(options, "quiet-for") === undefined) throw new UsageError("jobs requeue needs --quiet-for <duration> (e.g. 30m): jobs quiet for less are left alone");
      const quietMs = optionDuration(options, "quiet-for", "0s");
      const run = async (tx: TransactionSql) => {
        await takeOpsLock(tx, "jobs requeue");
        return tx`
          select * from public.requeue_stuck_jobs(${`${quietMs} milliseconds`}::interval, ${ctx.settings.actor},
                                                   ${optionString(options, "worker") ?? null}, ${optionNumber(options, "limit", 500)})`;
      };
      const rows = await opsWrite(ctx, { dryRun: options["dry-run"] === true }, run);
      out.table(rows.map((r) => ({ job_id: r.job_id, outcome: r.outcome, attempt: r.attempt, worker: r.worker_id, last_seen_at: r.last_seen_at })));
      out.line(options["dry-run"]
        ? `Dry run: ${rows.length} job(s) would be rescued. Nothing was changed.`
        : `${rows.length} job(s) rescued, recorded in public.job_events as ${ctx.settings.actor}.`);
      return;
    }
    if (action === "lease" && extra.length === 0) {
      if (!jobType) {
        const rows = await sql`select job_type, max_run_time, updated_at, updated_by from public.job_type_settings order by job_type`;
        out.table(rows.map((r) => ({ job_type: r.job_type, max_run_time: r.max_run_time, updated_at: r.updated_at, updated_by: r.updated_by })));
        out.line("Job types without a row use the '*' row, else 1 hour.");
        return;
      }
      const maxRunText = optionString(options, "max-run-time");
      if ((maxRunText === undefined) === (options.reset !== true)) throw new UsageError("jobs lease <TYPE|*> takes --max-run-time <duration> or --reset");
      const maxRunMs = maxRunText === undefined ? null : optionDuration(options, "max-run-time", "0s");
      const run = async (tx: TransactionSql) => {
        await takeOpsLock(tx, "jobs lease");
        if (maxRunMs === null) {
          await tx`delete from public.job_type_settings where job_type = ${jobType}`;
        } else {
          await tx`
            insert into public.job_type_settings (job_type, max_run_time, updated_by)
            values (${jobType}, ${`${maxRunMs} milliseconds`}::interval, ${ctx.settings.actor})
            on conflict (job_type) do update
              set max_run_time = excluded.max_run_time, updated_at = now(), updated_by = excluded.updated_by`;
        }
        const [row] = await tx`select public.job_max_run_time(${jobType}) as lease`;
        return String(row!.lease);
      };
      try {
        const lease = await opsWrite(ctx, { dryRun: options["dry-run"] === true }, run);
        out.line(`${options["dry-run"] ? "Dry run: " : ""}jobs of type ${jobType} now have a lease of ${lease}${options["dry-run"] ? " (nothing was changed)" : ""}.`);
      } catch (error) {
        if ((error as { code?: string }).code === "23514") throw new OpsRefusal(`--max-run-time must be between 1s and 7d: ${(error as Error).message}`);
        throw error;
      }
      return;
    }
    throw new UsageError("usage: jobs running | jobs requeue --quiet-for <duration> [--worker <id>] | jobs lease [<TYPE|*> --max-run-time <duration> | --reset]");
  },
};
