// Writes a run's figures as bench/RESULTS.md and bench/results.json: the only place the numbers
// live (README.md and docs/benchmarks.md link here instead of copying them).
import { writeFileSync } from "node:fs";
import path from "node:path";
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

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function targetCell(figure: Figure): string {
  if (!figure.target) return "";
  if (figure.target.inconclusive) return `**not judged** (${figure.target.text}): ${figure.target.inconclusive}`;
  if (figure.target.met) return `met (${figure.target.text})${figure.target.basis ? `: ${figure.target.basis}` : ""}`;
  return `**missed** (${figure.target.text}): ${figure.target.shortfall}`;
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
  return `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}; Node ${machine.node}, Deno ${machine.deno}, ${machine.postgres}, ${machine.loadGenerator}`;
}

function targetSummary(report: RunReport): string {
  const targeted = report.figures.filter((f) => f.target);
  const unjudged = targeted.filter((f) => f.target!.inconclusive);
  const missed = targeted.filter((f) => !f.target!.met && !f.target!.inconclusive);
  const met = targeted.length - missed.length - unjudged.length;
  const lines = [`Targets: ${met} of ${targeted.length} met${unjudged.length ? `, ${unjudged.length} not judged (the runs could not decide)` : ""}.`];
  for (const f of missed) lines.push(`- Missed: ${f.label}: ${f.target!.shortfall} (target ${f.target!.text}).`);
  for (const f of unjudged) lines.push(`- Not judged: ${f.label}: ${f.target!.inconclusive}.`);
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
    `HTTP: wrk, one thread pinned to core 1, every server pinned to core 0 (taskset), ${report.settings.connections} connections, ${report.settings.warmupSeconds} s warm-up then ${report.settings.durationSeconds} s measured per run, cases alternating run by run, 127.0.0.1 only. A run with wrk at >= 90 % of its core, or its server under 80 % of its, decides a target only where that bound still settles it, else server CPU per request decides throughput, else the target is not judged. How to read this: docs/benchmarks.md.`,
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
}
