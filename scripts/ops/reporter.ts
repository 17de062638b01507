// What the ops tool prints: plain lines an operator can read and paste into an incident log. Every
// line passes through the redactor, so no secret reaches the terminal. Long steps print a line
// when they start, "still running" lines while they last, and their time when they end.
import { formatDuration } from "./duration.ts";
import type { Redactor } from "../shared/redact.ts";

export interface Reporter {
  line(text?: string): void;
  ok(text: string): void;
  warn(text: string): void;
  fail(text: string): void;
  /** Runs a long step with start, progress and end lines; rethrows its error after printing it. */
  step<T>(title: string, fn: (progress: (note: string) => void) => Promise<T>): Promise<T>;
  table(rows: Array<Record<string, unknown>>): void;
}

export function createReporter(write: (text: string) => void, redact: Redactor, options: { progressEveryMs?: number } = {}): Reporter {
  const print = (text: string) => write(`${redact(text)}\n`);
  const progressEveryMs = options.progressEveryMs ?? 10_000;
  return {
    line: (text = "") => print(text),
    ok: (text) => print(`  ok    ${text}`),
    warn: (text) => print(`  WARN  ${text}`),
    fail: (text) => print(`  FAIL  ${text}`),
    async step(title, fn) {
      const started = Date.now();
      print(`→ ${title}`);
      const ticker = setInterval(() => print(`  … still ${title} (${formatDuration(Date.now() - started)})`), progressEveryMs);
      ticker.unref();
      try {
        const result = await fn((note) => print(`  … ${note}`));
        print(`✓ ${title} (${formatDuration(Date.now() - started)})`);
        return result;
      } catch (error) {
        print(`✗ ${title} failed after ${formatDuration(Date.now() - started)}`);
        throw error;
      } finally {
        clearInterval(ticker);
      }
    },
    table(rows) {
      if (rows.length === 0) return print("  (none)");
      const columns = Object.keys(rows[0]!);
      const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
      const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((r) => r[i]!.length)));
      print(`  ${columns.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd());
      for (const row of cells) print(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd());
    },
  };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
