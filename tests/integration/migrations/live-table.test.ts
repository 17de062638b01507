// On a live table the heartbeat migration must not queue behind a long transaction (and so queue
// every writer behind itself): lock_timeout makes the push stop, with the history unchanged, and
// the same push succeeds once the table is free.
// Needs two real sessions at once, which the embedded PGlite (one shared session) cannot give.
import { beforeAll, describe, expect, it } from "vitest";
import { dbPush, markReverted } from "../../../scripts/shared/supabase-cli.ts";
import { connect, runScript } from "../../../scripts/shared/database.ts";
import { listMigrations, readSql } from "../../../scripts/shared/migration-files.ts";
import { usingServer } from "../../support/test-database.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

describe.skipIf(!usingServer)("the heartbeat migration on a busy qc_jobs", () => {
  const migrations = listMigrations();
  const heartbeat = migrations.find((m) => m.name === "add_heartbeat_column")!;
  const fromHeartbeat = migrations.filter((m) => m.version >= heartbeat.version);
  const db = usePushedDatabase();

  beforeAll(async () => {
    for (const migration of [...fromHeartbeat].reverse()) await runScript(db.sql, readSql(migration.rollbackPath));
    await markReverted(db.url, fromHeartbeat.map((m) => m.version));
    await db.sql`insert into public.qc_jobs (job_type, payload) select 'email', jsonb_build_object('n', n) from generate_series(1, 1000) n`;
  });

  it("stops on lock_timeout while a long transaction holds qc_jobs, leaving the history unchanged", async () => {
    const longReader = connect(db.url);
    try {
      await longReader.begin(async (tx) => {
        await tx`select count(*) from public.qc_jobs`; // holds ACCESS SHARE until commit
        const result = await dbPush(db.url);
        expect(result.exitCode).not.toBe(0);
        expect(result.output).toMatch(/lock timeout/i);
      });
    } finally {
      await longReader.end();
    }
    const history = await db.sql`select version from supabase_migrations.schema_migrations where version >= ${heartbeat.version}`;
    expect(history).toEqual([]);
    const [column] = await db.sql`select count(*)::int as n from information_schema.columns
                                  where table_name = 'qc_jobs' and column_name = 'last_heartbeat_at'`;
    expect(column!.n).toBe(0);
  });

  it("the same push succeeds once the table is free, and every job is still there", async () => {
    const result = await dbPush(db.url);
    expect(result.exitCode, result.output).toBe(0);
    const [jobs] = await db.sql`select count(*)::int as n from public.qc_jobs`;
    expect(jobs!.n).toBe(1000);
  });
});
