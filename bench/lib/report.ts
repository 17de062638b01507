// Writes a run's figures as bench/RESULTS.md, bench/results.json and the README's table.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/project-paths.ts";
import type { BenchSettings } from "./context.ts";
import type { Machine } from "./machine.ts";
import { formatNumber, type Figure, type ResultBook } from "./results.ts";
import { BENCH_DIR } from "./processes.ts";

export interface RunReport {
  startedAt: string;
  durationSeconds: number;
  settings: BenchSettings;
  machine: Machine;
  figures: Figure[];
  notMeasured: ResultBook["notMeasured"];
}

const README = path.join(PROJECT_ROOT, "README.md");
const README_START = "<!-- bench:results:start (written by npm run bench) -->";
const README_END = "<!-- bench:results:end -->";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function targetCell(figure: Figure): string {
  if (!figure.target) return "";
  return figure.target.met ? `met (${figure.target.text})` : `**missed** (${figure.target.text}): ${figure.target.shortfall}`;
}

function groupTables(report: RunReport): string {
  const groups = [...new Set([...report.figures.map((f) => f.group), ...report.notMeasured.map((n) => n.group)])];
  return groups
    .map((group) => {
      const rows = report.figures
        .filter((f) => f.group === group)
        .map((f) => {
          const ratio = f.baseline ? `${f.baseline.ratio.toFixed(2)} x (${f.baseline.id})` : "";
          const note = f.note ? ` (${f.note})` : "";
          return `| ${cell(f.label + note)} | ${formatNumber(f.spread.median)} ${f.unit} | ${formatNumber(f.spread.min)} – ${formatNumber(f.spread.max)} | ${f.spread.runs} | ${ratio} | ${cell(targetCell(f))} |`;
        });
      const skipped = report.notMeasured
        .filter((n) => n.group === group)
        .map((n) => `| ${cell(n.label)} | not measured: ${cell(n.reason)} | | | | |`);
      return [`### ${group}`, "", "| Figure | Median | Min – max | Runs | Ratio to baseline | Target |", "|---|---|---|---|---|---|", ...rows, ...skipped].join("\n");
    })
    .join("\n\n");
}

function machineLine(machine: Machine): string {
  return `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}; Node ${machine.node}, Deno ${machine.deno}, ${machine.postgres}, autocannon ${machine.autocannon}`;
}

function targetSummary(report: RunReport): string {
  const targeted = report.figures.filter((f) => f.target);
  const missed = targeted.filter((f) => !f.target!.met);
  const lines = [`Targets: ${targeted.length - missed.length} of ${targeted.length} met.`];
  for (const f of missed) lines.push(`- Missed: ${f.label}: ${f.target!.shortfall} (target ${f.target!.text}).`);
  if (report.notMeasured.length) lines.push(`- Not measured: ${report.notMeasured.length} figure(s), reasons in the tables.`);
  return lines.join("\n");
}

export function renderMarkdown(report: RunReport): string {
  return [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` (bench/run.ts) on ${report.startedAt}, in ${Math.round(report.durationSeconds)} s. Every figure comes from this run: the median of ${report.settings.runs} runs unless the row says otherwise, with the smallest and largest run; ratios divide medians measured in the same run. Do not edit by hand; run \`npm run bench\` again.`,
    "",
    `Machine: ${machineLine(report.machine)}.`,
    "",
    `HTTP: autocannon in the runner's Node process, ${report.settings.connections} connections, ${report.settings.warmupSeconds} s warm-up then ${report.settings.durationSeconds} s measured per run, 127.0.0.1 only; load generator and server share the machine's cores.`,
    "",
    targetSummary(report),
    "",
    groupTables(report),
    "",
  ].join("\n");
}

export function writeReport(report: RunReport): void {
  const markdown = renderMarkdown(report);
  writeFileSync(path.join(BENCH_DIR, "RESULTS.md"), markdown);
  writeFileSync(path.join(BENCH_DIR, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  if (!existsSync(README)) return;
  const readme = readFileSync(README, "utf8");
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return;
  const table = [README_START, "", `Latest run: ${report.startedAt} on ${machineLine(report.machine)}.`, "", targetSummary(report), "", groupTables(report).replace(/^### /gm, "#### "), "", README_END].join("\n");
  writeFileSync(README, readme.slice(0, start) + table + readme.slice(end + README_END.length));
}
