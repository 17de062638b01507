// The ops tool without process globals, so tests run it in-process: argv in, exit code out.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { connect, type Sql } from "../shared/database.ts";
import { createRedactor } from "../shared/redact.ts";
import { PROJECT_ROOT } from "../shared/project-paths.ts";
import { OpsLockBusy } from "./transaction.ts";
import { connectFailureOf } from "../shared/connection-failure.ts";
import { TransactionOutcomeUnknown, type TruthfulSql } from "../../functions/_shared/truthful-transaction.ts";
import { commandHelp, GLOBAL_OPTIONS, OpsRefusal, UsageError, type OpsCommand, type OpsContext, type ParsedOptions } from "./command.ts";
import { createReporter } from "./reporter.ts";
import { OpsConfigError, resolveSettings } from "./settings.ts";
import { OPS_COMMANDS } from "./commands/index.ts";

export interface OpsIo {
  env: Record<string, string | undefined>;
  /** Where dotenv files and backups/ are looked for. */
  cwd: string;
  write(text: string): void;
  /** The folder holding supabase/; the project itself by default. */
  projectDir?: string;
  /** Where the command was typed (--project is relative to it; its supabase/ is the default project). */
  launchDir?: string;
  /** Answers confirmation prompts (tests); without it a terminal is asked, if there is one. */
  confirm?: (question: string, expected: string) => Promise<boolean>;
  now?: () => Date;
  progressEveryMs?: number;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function overview(): string {
  const width = Math.max(...OPS_COMMANDS.map((c) => c.name.length));
  return [
    "npm run ops -- <command> [options]      (each command takes --help)",
    "",
    "The reliability rollout runbook as commands. Connection: DATABASE_URL from the environment or",
    "from the dotenv file chosen with --env local|staging|production (.env, .env.staging, .env.production).",
    "",
    "Commands, in runbook order:",
    ...OPS_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function runOps(argv: string[], io: OpsIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.write(`${overview()}\n`);
    return name ? EXIT_OK : EXIT_USAGE;
  }
  const command = OPS_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.write(`unknown command ${JSON.stringify(name)}\n\n${overview()}\n`);
    return EXIT_USAGE;
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(command, rest);
  } catch (error) {
    io.write(`ops ${command.name}: ${(error as Error).message}\n(npm run ops -- ${command.name} --help shows every option)\n`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.write(`${commandHelp(command)}\n`);
    return EXIT_OK;
  }

  let redact = createRedactor([]);
  let sql: Sql | undefined;
  try {
    const settings = resolveSettings({
      envName: parsed.values.env as string | undefined,
      actor: parsed.values.actor as string | undefined,
      backupDir: parsed.values["backup-dir"] as string | undefined,
      processEnv: io.env,
      cwd: io.cwd,
    });
    redact = createRedactor([settings.databaseUrl]);
    const out = createReporter(io.write, redact, { progressEveryMs: io.progressEveryMs });
    const projectDir = resolveProjectDir(parsed.values.project as string | undefined, io);
    const ctx: OpsContext = {
      settings,
      out,
      projectDir,
      migrationsDir: path.join(projectDir, "supabase", "migrations"),
      sql: () => (sql ??= connect(settings.databaseUrl)),
      freshConnection: () => {
        const fresh = connect(settings.databaseUrl);
        return { sql: fresh as unknown as TruthfulSql, end: () => fresh.end({ timeout: 1 }) };
      },
      confirm: io.confirm ?? askOnTerminal,
      now: io.now ?? (() => new Date()),
    };
    out.line(`ops ${command.name}: target ${settings.databaseUrl} (${settings.envFile ? path.basename(settings.envFile) : "environment"}), actor ${settings.actor}`);
    if (projectDir !== PROJECT_ROOT) out.line(`project: ${projectDir}`);
    await command.run(ctx, parsed.positionals, parsed.values);
    return EXIT_OK;
  } catch (error) {
    const message = redact(connectFailureOf(error) ?? (error instanceof Error ? error.message : String(error)));
    if (error instanceof UsageError) {
      // The reason last, where the eye lands, and a pointer to the usage rather than all of it.
      io.write(`ops ${command.name}: ${message}\n(npm run ops -- ${command.name} --help shows every option)\n`);
      return EXIT_USAGE;
    }
    if (error instanceof OpsConfigError) {
      io.write(`ops ${command.name}: configuration error: ${message}\n`);
      return EXIT_USAGE;
    }
    const verdict = error instanceof OpsRefusal || error instanceof OpsLockBusy
      ? "REFUSED"
      : error instanceof TransactionOutcomeUnknown ? "OUTCOME UNKNOWN" : "FAILED";
    io.write(`ops ${command.name}: ${verdict}: ${message}\n`);
    return EXIT_FAILED;
  } finally {
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
}

/** --project, else the caller's folder when it holds supabase/, else the kit's own repository. */
export function resolveProjectDir(option: string | undefined, io: Pick<OpsIo, "cwd" | "projectDir" | "launchDir">): string {
  const launchDir = io.launchDir ?? io.cwd;
  if (option !== undefined) {
    const dir = path.resolve(launchDir, option);
    if (!existsSync(path.join(dir, "supabase", "migrations"))) {
      throw new OpsConfigError(`--project ${option}: ${dir} has no supabase/migrations folder`);
    }
    return dir;
  }
  if (io.projectDir) return io.projectDir;
  return existsSync(path.join(launchDir, "supabase", "migrations")) ? path.resolve(launchDir) : PROJECT_ROOT;
}

function parseCommandLine(command: OpsCommand, args: string[]) {
  const specs = { ...command.options, ...GLOBAL_OPTIONS };
  const options = Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => [key, { type: spec.type, multiple: spec.multiple ?? false, ...(spec.short ? { short: spec.short } : {}) }]),
  );
  const parsed = parseArgs({ args, options: options as ParseArgsOptionsConfig, allowPositionals: true, strict: true });
  return { positionals: parsed.positionals, values: parsed.values as ParsedOptions };
}

async function askOnTerminal(question: string, expected: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question}\nType ${JSON.stringify(expected)} to go on: `);
    return answer.trim() === expected;
  } finally {
    rl.close();
  }
}
