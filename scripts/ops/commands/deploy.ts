// deploy: the deployment order as one guided run, stopping at the first failure:
// flags off, preflight, backup, push, verify, then the next rollout step is printed (not taken).
import { cliOutputLines, dbPush, throwIfNotConnected } from "../../shared/supabase-cli.ts";
import { takeOpsLock, withSessionOpsLock } from "../transaction.ts";
import { opsWrite } from "../write.ts";
import { OpsRefusal, type OpsCommand, type OpsContext } from "../command.ts";
import { applyFlagChanges, describeFlags, flagsTableExists } from "../flags-table.ts";
import { FLAGS_OFF, phaseChanges } from "../plan/rollout-phases.ts";
import { runBackup } from "./backup.ts";
import { runPreflight } from "./preflight.ts";
import { NEXT_STEP } from "./rollout.ts";
import { runVerification } from "./verify.ts";

export const deployCommand: OpsCommand = {
  name: "deploy",
  summary: "guided deployment: flags off, preflight, backup, push, verify; then prints the next rollout step",
  description: `
The deployment order, each step only after the previous one succeeded:
  1. flags off      DLQ_ENABLED and JOB_HEARTBEAT off (audited), if feature_flags exists yet
  2. preflight      free names, heartbeat column, blocking sessions, pending migrations
  3. backup         pg_dump of the target (see \`backup --help\`)
  4. push           the real \`supabase db push\` of the pending migrations
  5. verify         every applied migration's verification checks
Then it stops and prints the next step: \`rollout staging\` on staging, \`rollout canary\` on
production. Run \`dry-run\` on the same target first. The whole run holds the ops lock, so no
other ops command runs against this database meanwhile.`,
  options: {},
  examples: ["npm run ops:deploy -- --env staging", "npm run ops:deploy -- --env production --actor alice"],
  async run(ctx) {
    const { out } = ctx;
    const steps: Array<[string, () => Promise<void>]> = [
      ["1/5 flags off", () => flagsOff(ctx)],
      ["2/5 preflight", async () => {
        const { failures } = await runPreflight(ctx, { maxBackupAgeMs: 0, skipBackupCheck: true });
        if (failures.length) throw new OpsRefusal(`preflight failed:\n  - ${failures.join("\n  - ")}`);
      }],
      ["3/5 backup", async () => void (await runBackup(ctx, undefined))],
      ["4/5 supabase db push", async () => {
        const result = await dbPush(ctx.settings.databaseUrl, { cwd: ctx.projectDir });
        for (const line of cliOutputLines(result)) out.line(`  | ${line}`);
        throwIfNotConnected(result);
        if (result.exitCode !== 0) throw new Error(`supabase db push exited ${result.exitCode}; see its output above (restore path: npm run ops -- restore <the backup above>)`);
      }],
      ["5/5 verify", async () => {
        const failures = await runVerification(ctx);
        if (failures.length) throw new OpsRefusal(`${failures.length} verification check(s) failed after the push:\n  - ${failures.join("\n  - ")}`);
      }],
    ];
    await withSessionOpsLock(ctx.sql(), "deploy", async () => {
      for (const [title, step] of steps) {
        try {
          await out.step(title, step);
        } catch (error) {
          out.line(`Deploy stopped at "${title}"; the later steps did not run.`);
          throw error;
        }
      }
    });
    const next = ctx.settings.envName === "production" ? NEXT_STEP["deployed-production"] : NEXT_STEP["deployed-staging"];
    out.line(`Deploy complete. Flags are off. Next step: ${next}`);
  },
};

async function flagsOff(ctx: OpsContext): Promise<void> {
  if (!(await flagsTableExists(ctx.sql()))) {
    ctx.out.ok("feature_flags does not exist yet: its migration seeds both flags off");
    return;
  }
  // The kill switch goes through the same write path as `flags set`: a deadline, and the truth
  // about a commit whose answer was lost (the flags read back on a new connection).
  await opsWrite(ctx, { dryRun: false, readBack: describeFlags }, async (tx) => {
    await takeOpsLock(tx, "deploy (flags off)");
    await applyFlagChanges(tx, ctx.out, phaseChanges(FLAGS_OFF), ctx.settings.actor);
  });
}
