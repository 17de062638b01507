// Entry point: `npm run kit -- <command> [options]` (see `npm run kit -- --help`).
import { runKit } from "./run-kit.ts";

process.exitCode = await runKit(process.argv.slice(2), {
  // `npm run` starts scripts in the kit's folder; INIT_CWD is where the user typed the command.
  cwd: process.env.INIT_CWD ?? process.cwd(),
  write: (text) => process.stdout.write(text),
});
