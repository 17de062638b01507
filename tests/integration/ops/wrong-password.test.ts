// A wrong password ends an ops or kit command on one clear line, whichever client met it first
// (postgres.js, or the Supabase CLI with its JSON error object): on a throwaway PostgreSQL 15
// cluster of our own that asks for scram-sha-256 passwords (the shared test server trusts every
// local connection, so it cannot show this). Server mode only, as root with pg_createcluster.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchProject, kitAdd, type ScratchProject } from "../../support/adoption.ts";
import { ops } from "../../support/ops-runner.ts";
import { usingServer } from "../../support/test-database.ts";

const CLUSTER = ["15", "rrk10pw"];
const PORT = 15411;
const RIGHT = "right-Passw0rd";
const wrongUrl = `postgresql://postgres:not-the-password@127.0.0.1:${PORT}/postgres`;
const rightUrl = `postgresql://postgres:${RIGHT}@127.0.0.1:${PORT}/postgres`;
const ONE_LINE = 'FAILED: cannot connect to the database: password authentication failed for user "postgres" (28P01); check the user and password in DATABASE_URL';

const skipReason = !usingServer
  ? "server mode only (TEST_DATABASE_URL)"
  : !existsSync("/usr/bin/pg_createcluster")
    ? "pg_createcluster is not installed"
    : process.getuid?.() !== 0
      ? "needs root to create a cluster"
      : null;

let project: ScratchProject | undefined;

const run = (command: string, args: string[]) => execFileSync(command, args, { stdio: "pipe" }).toString();
const dropCluster = () => {
  try {
    run("pg_dropcluster", ["--stop", ...CLUSTER]);
  } catch {
    // Not there.
  }
};

beforeAll(() => {
  if (skipReason) return;
  dropCluster(); // left behind by an interrupted run
  run("pg_createcluster", [...CLUSTER, "-p", String(PORT)]);
  const hba = `/etc/postgresql/${CLUSTER.join("/")}/pg_hba.conf`;
  // Peer for the set-up below, passwords (scram-sha-256) for everything over TCP.
  writeFileSync(hba, `local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n# was:\n${readFileSync(hba, "utf8").replace(/^(?!#)/gm, "# ")}`);
  run("pg_ctlcluster", [...CLUSTER, "start"]);
  run("su", ["postgres", "-c", `psql -p ${PORT} -q -c "alter user postgres password '${RIGHT}'"`]);
}, 60_000);
afterAll(() => {
  project?.remove();
  if (!skipReason) dropCluster();
});

describe.skipIf(skipReason !== null)(`a wrong password (${skipReason ?? `own cluster on port ${PORT}`})`, () => {
  it("the right password gets in: the cluster asks for it", async () => {
    const result = await ops(rightUrl, ["flags", "list"]);
    expect(result.output).toContain("REFUSED: public.feature_flags does not exist on the target");
  });

  it("ops: one line, whether postgres.js (flags, jobs) or the Supabase CLI (verify, dry-run) met it", async () => {
    for (const argv of [["flags", "list"], ["jobs", "running"], ["verify"], ["dry-run"]]) {
      const result = await ops(wrongUrl, argv);
      expect(result.code, result.output).toBe(1);
      const last = result.output.trimEnd().split("\n").at(-1);
      expect(last, result.output).toBe(`ops ${argv[0]}: ${ONE_LINE}`);
      // No JSON blob, no password.
      expect(result.output, argv[0]).not.toMatch(/[{}]|not-the-password/);
    }
  }, 120_000);

  it("kit add --db-url: the same line", async () => {
    project = await scratchProject("select 1;\n");
    const result = await kitAdd(["--project", project.dir, "--db-url", wrongUrl, "--yes"]);
    expect(result.code, result.output).toBe(1);
    expect(result.output.trimEnd().split("\n").at(-1)).toBe(`kit add: ${ONE_LINE}`);
    expect(result.output).not.toMatch(/not-the-password/);
  });
});
