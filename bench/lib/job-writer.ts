// A concurrent writer on qc_jobs, as an app's workers would be while a migration runs: on its own
// connection it alternates a status write on a running job and an insert of a new job, back to
// back, and records how long each statement took. Its longest statement is how long a migration
// blocked writers.
import { connect } from "../../scripts/shared/database.ts";
import { percentile } from "./stats.ts";

export interface WriterReport {
  statements: number;
  longestMs: number;
  p99Ms: number;
  perSecond: number;
}

export interface RunningWriter {
  stop(): Promise<WriterReport>;
}

export async function startJobWriter(databaseUrl: string): Promise<RunningWriter> {
  const sql = connect(databaseUrl);
  const running = await sql`select id from public.qc_jobs where status = 'running' limit 1000`;
  if (running.length === 0) throw new Error("the writer needs running jobs to write to");
  const ids = running.map((row) => row.id as string);
  const durations: number[] = [];
  let stopping = false;
  const started = performance.now();
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const began = performance.now();
      if (i % 2 === 0) {
        await sql`update public.qc_jobs set updated_at = now() where id = ${ids[i % ids.length]!}`;
      } else {
        await sql`insert into public.qc_jobs (job_type, payload, tenant_id) values ('bench.writer', '{}', ${`tenant-${i}`})`;
      }
      durations.push(performance.now() - began);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      const seconds = (performance.now() - started) / 1000;
      await sql.end({ timeout: 5 });
      return {
        statements: durations.length,
        longestMs: Math.max(...durations),
        p99Ms: percentile(durations, 99),
        perSecond: durations.length / seconds,
      };
    },
  };
}
