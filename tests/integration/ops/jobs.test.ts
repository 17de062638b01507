// jobs running | requeue | lease against a real database: running jobs listed by last sign of
// life and owner, stuck ones requeued (or failed for good when out of attempts) and recorded in
// job_events with the operator's name, and the lease set per job type without a migration.
import { beforeAll, describe, expect, it } from "vitest";
import { ops } from "../../support/ops-runner.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
const ids: Record<string, string> = {};

beforeAll(async () => {
  for (const [name, worker, quiet, attempts] of [["stuck", "w-dead", "40 minutes", 1], ["lastTry", "w-dead", "50 minutes", 3], ["live", "w-live", "10 seconds", 1], ["other", "w-other", "45 minutes", 1]] as const) {
    const [row] = await db.sql`
      insert into public.qc_jobs (job_type, status, locked_by, started_at, attempts, max_attempts)
      values ('email', 'running', ${worker}, now() - ${quiet}::interval, ${attempts}, 3) returning id`;
    ids[name] = row!.id as string;
  }
});

async function statusOf(name: string) {
  const [row] = await db.sql`select status, attempts from public.qc_jobs where id = ${ids[name]!}`;
  return row ? `${row.status} ${row.attempts}` : "gone";
}

describe("jobs", () => {
  it("running: the quietest first, with owner, attempt and lease", async () => {
    const run = await ops(db.url, ["jobs", "running"]);
    expect(run.code, run.output).toBe(0);
    const order = ["lastTry", "other", "stuck", "live"].map((name) => run.output.indexOf(ids[name]!));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)), run.output).toBe(true);
    expect(run.output).toMatch(/w-dead +3\/3/);
    expect(run.output).toContain("01:00:00");
  });

  it("requeue: needs --quiet-for; --dry-run changes nothing; then one worker's stuck jobs, recorded with the actor", async () => {
    const missing = await ops(db.url, ["jobs", "requeue"]);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/needs --quiet-for/);
    const dry = await ops(db.url, ["jobs", "requeue", "--quiet-for", "30m", "--worker", "w-dead", "--dry-run"]);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toMatch(/2 job\(s\) would be rescued/);
    expect(await statusOf("stuck")).toBe("running 1");

    const run = await ops(db.url, ["jobs", "requeue", "--quiet-for", "30m", "--worker", "w-dead", "--actor", "alice"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/2 job\(s\) rescued, recorded in public.job_events as alice/);
    expect(await statusOf("stuck")).toBe("pending 1");
    expect(await statusOf("lastTry")).toBe("failed 3"); // out of attempts, DLQ_ENABLED off: failed for good
    expect(await statusOf("other")).toBe("running 1");
    expect(await statusOf("live")).toBe("running 1");
    const events = await db.sql`select job_id, event, reason, actor from public.job_events order by job_id`;
    expect(events).toEqual(expect.arrayContaining([
      { job_id: ids.stuck, event: "ops_requeued", reason: "operator", actor: "alice" },
      { job_id: ids.lastTry, event: "ops_failed", reason: "operator", actor: "alice" },
    ]));
    expect(events).toHaveLength(2);
  });

  it("lease: set per type without a migration, refused out of range, reset", async () => {
    const set = await ops(db.url, ["jobs", "lease", "email", "--max-run-time", "2h", "--actor", "bob"]);
    expect(set.code, set.output).toBe(0);
    expect(set.output).toMatch(/jobs of type email now have a lease of 02:00:00/);
    const list = await ops(db.url, ["jobs", "lease"]);
    expect(list.output).toMatch(/email +02:00:00 .* bob/);
    const tooLong = await ops(db.url, ["jobs", "lease", "email", "--max-run-time", "8d"]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.output).toMatch(/REFUSED: --max-run-time must be between 1s and 7d/);
    const reset = await ops(db.url, ["jobs", "lease", "email", "--reset"]);
    expect(reset.output).toMatch(/lease of 01:00:00/);
  });
});
