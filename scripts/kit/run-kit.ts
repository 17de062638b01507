// The kit tool without process globals, so tests run it in-process: argv in, exit code out.
import { parseArgs } from "node:util";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { PROJECT_ROOT } from "../shared/project-paths.ts";
import { createRedactor } from "../shared/redact.ts";
import { connectFailureOf } from "../shared/connection-failure.ts";
import { addToProject } from "./add-to-project.ts";
import { parseStatusWords, ShapeError } from "./job-shape.ts";
import { renderOwnFiles, writeOwnFiles } from "./render-own.ts";
import { TemplateError } from "./render-template.ts";

export interface KitIo {
  cwd: string;
  write(text: string): void;
  now?: () => Date;
  /** Answers the confirmation before writing (tests); without it a terminal is asked, if there is one. */
  confirm?: (question: string) => Promise<boolean>;
}

export const KIT_USAGE = `npm run kit -- <command> [options]

Commands:
  add          add the reliability kit to an existing Supabase project (docs/adopting.md)
    --project <dir>          the project folder, holding supabase/config.toml (default: the current folder)
    --db-url <url>           a database with the project's migrations applied: qc_jobs's shape is read from it
    --job-status <words>     pending=<word>,running=<word>,completed=<word>,failed=<word>[,cancelled=<word>]
                             the table's status words, where the kit cannot tell them from a CHECK or an enum
    --tenant-column <col>    the column feature flags bucket a job by, or none (bucket by the job's id)
    --dry-run                list every file it would write or change, and write nothing
    --yes                    write without asking
  render-own [--check]   re-render the kit's own SQL files from supabase/templates (kit shape);
                         --check lists the files that differ and exits 1 instead of writing`;

export async function runKit(argv: string[], io: KitIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "add") return await add(rest, io);
    if (command === "render-own") return renderOwn(rest, io);
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      io.write(`${error.message}\n\n${KIT_USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    io.write(`${KIT_USAGE}\n`);
    return 0;
  }
  io.write(`${command ? `unknown command ${JSON.stringify(command)}\n\n` : ""}${KIT_USAGE}\n`);
  return 2;
}

async function add(args: string[], io: KitIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      project: { type: "string" },
      "db-url": { type: "string" },
      "job-status": { type: "string" },
      "tenant-column": { type: "string" },
      "dry-run": { type: "boolean" },
      yes: { type: "boolean" },
    },
  });
  const databaseUrl = values["db-url"];
  const redact = createRedactor(databaseUrl ? [databaseUrl] : []);
  const projectDir = path.resolve(io.cwd, values.project ?? ".");
  try {
    const tenant = values["tenant-column"];
    io.write(`kit add: project ${projectDir}${values["dry-run"] ? " (dry run)" : ""}\n`);
    await addToProject({
      projectDir,
      databaseUrl,
      answers: {
        ...(values["job-status"] !== undefined ? { statusWords: parseStatusWords(values["job-status"]) } : {}),
        ...(tenant !== undefined ? { tenantColumn: tenant === "none" ? null : tenant } : {}),
      },
      dryRun: values["dry-run"] ?? false,
      now: io.now?.() ?? new Date(),
      write: (text) => io.write(redact(text)),
      confirm: values.yes ? async () => true : (io.confirm ?? askOnTerminal),
    });
    return 0;
  } catch (error) {
    if (error instanceof ShapeError || error instanceof TemplateError) {
      io.write(`kit add: REFUSED: ${redact(error.message)}\nNothing was written.\n`);
      return 1;
    }
    io.write(`kit add: FAILED: ${redact(connectFailureOf(error) ?? (error instanceof Error ? error.message : String(error)))}\n`);
    return 1;
  }
}

async function askOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function renderOwn(args: string[], io: KitIo): number {
  const { values } = parseArgs({ args, strict: true, options: { check: { type: "boolean" } } });
  const shown = (file: string) => path.relative(PROJECT_ROOT, file);
  if (values.check) {
    const stale = renderOwnFiles().filter((r) => r.rendered !== r.current);
    for (const r of stale) io.write(`differs from its template: ${shown(r.file.path)}\n`);
    io.write(stale.length === 0 ? "every templated kit file matches its template\n" : "run: npm run kit -- render-own\n");
    return stale.length === 0 ? 0 : 1;
  }
  const written = writeOwnFiles();
  for (const file of written) io.write(`rendered ${shown(file)}\n`);
  io.write(written.length === 0 ? "every templated kit file already matches its template\n" : `${written.length} file(s) rendered\n`);
  return 0;
}
