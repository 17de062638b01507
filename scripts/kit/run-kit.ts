// The kit tool without process globals, so tests run it in-process: argv in, exit code out.
import path from "node:path";
import { PROJECT_ROOT } from "../lib/project-paths.ts";
import { renderOwnFiles, writeOwnFiles } from "./render-own.ts";

export interface KitIo {
  cwd: string;
  write(text: string): void;
}

export const KIT_USAGE = `npm run kit -- <command> [options]

Commands:
  render-own [--check]   re-render the kit's own SQL files from supabase/templates (kit shape);
                         --check lists the files that differ and exits 1 instead of writing`;

export async function runKit(argv: string[], io: KitIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "render-own") return renderOwn(rest, io);
  if (command === "--help" || command === "-h" || command === "help") {
    io.write(`${KIT_USAGE}\n`);
    return 0;
  }
  io.write(`${command ? `unknown command ${JSON.stringify(command)}\n\n` : ""}${KIT_USAGE}\n`);
  return 2;
}

function renderOwn(args: string[], io: KitIo): number {
  const unknown = args.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    io.write(`render-own: unknown option ${unknown[0]}\n\n${KIT_USAGE}\n`);
    return 2;
  }
  const shown = (file: string) => path.relative(PROJECT_ROOT, file);
  if (args.includes("--check")) {
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
