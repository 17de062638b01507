// Entry point: `npm run kit -- <command> [options]` (see `npm run kit -- --help`).
import { runKit } from "./run-kit.ts";

process.exitCode = await runKit(process.argv.slice(2), {
  cwd: process.cwd(),
  write: (text) => process.stdout.write(text),
});
