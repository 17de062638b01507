// The command line itself: help on every command, exit codes, and no secret in the output.
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";
import { freePort } from "../../../scripts/local/embedded-postgres.ts";
import { OPS_COMMANDS } from "../../../scripts/ops/commands/index.ts";
import { ops } from "../../support/ops-runner.ts";

function npmRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("npm", ["run", "-s", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: "", ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe("ops command line", () => {
  it("prints help for every command, with options and examples, without a database", async () => {
    for (const command of OPS_COMMANDS) {
      const run = await ops("postgresql://unused@127.0.0.1:1/x", [command.name, "--help"]);
      expect(run.code, command.name).toBe(0);
      expect(run.output).toContain(`npm run ops -- ${command.name}`);
      expect(run.output).toContain("--env <local|staging|production|file>");
      expect(run.output).toContain("Examples:");
    }
  });

  it("exits 2 on an unknown command or option", async () => {
    expect((await ops("postgresql://x@127.0.0.1:1/x", ["migrate"])).code).toBe(2);
    const badOption = await ops("postgresql://x@127.0.0.1:1/x", ["verify", "--everything"]);
    expect(badOption.code).toBe(2);
    expect(badOption.output).toContain("Unknown option '--everything'");
  });

  it("runs through npm: overview, per-command help, and a clear message without DATABASE_URL", async () => {
    const overview = await npmRun(["ops", "--", "--help"]);
    expect(overview.code).toBe(0);
    for (const command of OPS_COMMANDS) expect(overview.output).toContain(`  ${command.name}`);
    const help = await npmRun(["ops:rollout", "--", "--help"]);
    expect(help.code).toBe(0);
    expect(help.output).toContain("canary       DLQ_ENABLED on for 5 % of subjects, JOB_HEARTBEAT off");
    const missing = await npmRun(["ops:verify"]);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain("ops verify: configuration error: no database URL: set DATABASE_URL");
  });

  it("fails with exit 1 and never prints the password when the database is unreachable", async () => {
    const port = await freePort();
    const secret = "S3cret-Do-Not-Print";
    const run = await npmRun(["ops", "--", "flags", "list"], { DATABASE_URL: `postgresql://admin:${secret}@127.0.0.1:${port}/app` });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`ops flags: target postgresql://admin:****@127.0.0.1:${port}/app`);
    expect(run.output).toMatch(/ops flags: FAILED: .*ECONNREFUSED/);
    expect(run.output).not.toContain(secret);
  });
});
