// flags list | show <KEY> | set <KEY>: the feature_flags table and its audit history.
import type { TransactionSql } from "../../shared/database.ts";
import { takeOpsLock } from "../transaction.ts";
import { OpsRefusal, optionNumber, optionString, UsageError, type OpsCommand, type ParsedOptions } from "../command.ts";
import { applyFlagChanges, describeFlags, readAudit, readFlags, requireFlagsTable } from "../flags-table.ts";
import { InvalidFlagChange, validateFlagChange, type FlagUpdate } from "../plan/flag-sql.ts";
import { describeState, stateSince } from "../plan/rollout-phases.ts";
import { opsWrite } from "../write.ts";

export const flagsCommand: OpsCommand = {
  name: "flags",
  args: "list | show <KEY> | set <KEY>",
  summary: "list flags, show one with its audit history, or set one (validated, audited)",
  description: `
  list             every flag: enabled, rollout percentage, bucket group, last change
  show <KEY>       one flag, how long it has served its current answers, and its audit history
  set <KEY>        change a flag with --enabled, --percentage and/or --description. The values are
                   checked with the edge function's own validators; the change runs in one
                   transaction under the ops lock, and the audit log records --actor as who did it.
Use \`rollout <phase>\` for the standard phases; \`set\` is for a single, deliberate change.`,
  options: {
    enabled: { type: "string", value: "<true|false>", description: "set: turn the flag on or off" },
    percentage: { type: "string", value: "<0-100>", description: "set: share of subjects it is on for, in steps of 0.01" },
    description: { type: "string", value: "<text>", description: "set: the flag's description" },
    limit: { type: "string", value: "<n>", description: "show: audit entries to print (default 20)" },
    "dry-run": { type: "boolean", description: "set: print the SQL and run it in a rolled-back transaction" },
  },
  examples: [
    "npm run ops:flags -- list --env staging",
    "npm run ops:flags -- show DLQ_ENABLED --env production",
    "npm run ops:flags -- set DLQ_ENABLED --enabled false --env production --actor alice",
  ],
  async run(ctx, positionals, options) {
    const [action, key, ...extra] = positionals;
    const sql = ctx.sql();
    const { out } = ctx;
    if (action === "list" && !key) {
      await requireFlagsTable(sql);
      out.table((await readFlags(sql)).map((f) => ({ key: f.key, enabled: f.enabled, "rollout %": f.rollout_percentage, bucket_group: f.bucket_group, updated_at: f.updated_at, updated_by: f.updated_by })));
      return;
    }
    if (action === "show" && key && extra.length === 0) {
      await requireFlagsTable(sql);
      const flag = (await readFlags(sql)).find((f) => f.key === key);
      if (!flag) throw new OpsRefusal(`flag ${key} does not exist`);
      const audit = await readAudit(sql, key, optionNumber(options, "limit", 20));
      const since = stateSince(await readAudit(sql, key));
      out.line(`${flag.key}: ${describeState({ enabled: flag.enabled, rolloutPercentage: flag.rollout_percentage })}, bucket group ${flag.bucket_group}`);
      out.line(`  ${flag.description}`);
      out.line(`  serving these answers since ${since ? since.toISOString() : "(no audit history)"}; last change by ${flag.updated_by} at ${flag.updated_at.toISOString()}`);
      out.line("Audit history (newest first):");
      out.table(audit.map((a) => ({
        changed_at: a.changedAt,
        operation: a.operation,
        change: `${a.oldRow ? describeState({ enabled: Boolean(a.oldRow.enabled), rolloutPercentage: Number(a.oldRow.rollout_percentage) }) : "-"} → ${a.newRow ? describeState({ enabled: Boolean(a.newRow.enabled), rolloutPercentage: Number(a.newRow.rollout_percentage) }) : "deleted"}`,
        actor: a.actor,
        db_role: a.dbRole,
      })));
      return;
    }
    if (action === "set" && key && extra.length === 0) {
      const change = parseChange(key, options);
      const actor = ctx.settings.actor;
      const dryRun = options["dry-run"] === true;
      const after = await opsWrite(ctx, { dryRun, readBack: describeFlags }, async (tx: TransactionSql) => {
        await takeOpsLock(tx, "flags set");
        await applyFlagChanges(tx, out, [change], actor);
        return (await readFlags(tx)).find((f) => f.key === key)!;
      });
      const state = describeState({ enabled: after.enabled, rolloutPercentage: after.rollout_percentage });
      out.line(dryRun ? `Dry run: ${key} would be ${state}. Nothing was changed.` : `${key} is now ${state} (audited as ${actor}).`);
      return;
    }
    throw new UsageError("usage: flags list | flags show <KEY> | flags set <KEY> [--enabled true|false] [--percentage N] [--description TEXT]");
  },
};

function parseChange(key: string, options: ParsedOptions): FlagUpdate {
  const enabledText = optionString(options, "enabled");
  let enabled: boolean | undefined;
  if (enabledText !== undefined) {
    if (!["true", "false", "on", "off"].includes(enabledText)) throw new UsageError(`--enabled must be true or false, got ${JSON.stringify(enabledText)}`);
    enabled = enabledText === "true" || enabledText === "on";
  }
  const percentageText = optionString(options, "percentage");
  const rolloutPercentage = percentageText === undefined ? undefined : percentageText.trim() === "" ? Number.NaN : Number(percentageText.replace(/%$/, ""));
  try {
    return validateFlagChange({ key, enabled, rolloutPercentage, description: optionString(options, "description") });
  } catch (error) {
    if (error instanceof InvalidFlagChange) throw new UsageError(error.message);
    throw error;
  }
}
