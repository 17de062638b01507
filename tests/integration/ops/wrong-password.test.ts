// A wrong password ends an ops or kit command on one clear line, whichever client met it first
// (postgres.js, or the Supabase CLI with its JSON error object): on a throwaway PostgreSQL 15
// cluster of our own that asks for scram-sha-256 passwords (the shared test server trusts every
// local connection, so it cannot show this). Server mode only, as root with pg_createcluster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchProject, kitAdd, type ScratchProject } from "../../support/adoption.ts";
import { ops } from "../../support/ops-runner.ts";
import { passwordCluster } from "../../support/password-cluster.ts";

const PORT = 15411;
const cluster = passwordCluster("rrk10pw", PORT);
const RIGHT = "right-Passw0rd";
const wrongUrl = cluster.url("not-the-password");
const rightUrl = cluster.url(RIGHT);
const ONE_LINE = 'FAILED: cannot connect to the database: password authentication failed for user "postgres" (28P01); check the user and password in DATABASE_URL';
const skipReason = cluster.skipReason;

let project: ScratchProject | undefined;

beforeAll(() => {
  if (!skipReason) cluster.create(RIGHT);
}, 60_000);
afterAll(() => {
  project?.remove();
  if (!skipReason) cluster.drop();
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
