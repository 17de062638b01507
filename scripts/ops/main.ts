// Entry point: `npm run ops -- <command> [options]` (see `npm run ops -- --help`).
import { runOps } from "./run-ops.ts";

process.exitCode = await runOps(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  // `npm run` starts scripts in the kit's folder; INIT_CWD is where the user typed the command.
  launchDir: process.env.INIT_CWD ?? process.cwd(),
  write: (text) => process.stdout.write(text),
});
