// The commands, in runbook order (the overview lists them so).
import type { OpsCommand } from "../command.ts";
import { backupCommand } from "./backup.ts";
import { deployCommand } from "./deploy.ts";
import { dryRunCommand } from "./dry-run.ts";
import { flagsCommand } from "./flags.ts";
import { jobsCommand } from "./jobs.ts";
import { preflightCommand } from "./preflight.ts";
import { restoreCommand } from "./restore.ts";
import { rollbackCommand } from "./rollback.ts";
import { rolloutCommand } from "./rollout.ts";
import { verifyCommand } from "./verify.ts";

export const OPS_COMMANDS: OpsCommand[] = [
  preflightCommand,
  dryRunCommand,
  backupCommand,
  restoreCommand,
  deployCommand,
  verifyCommand,
  flagsCommand,
  rolloutCommand,
  jobsCommand,
  rollbackCommand,
];
