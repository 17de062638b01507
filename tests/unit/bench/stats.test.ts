// The benchmark's statistics: RESULTS.md reports medians, percentiles and ratios computed by these
// helpers, so a wrong rank or ratio would silently misreport every figure.
import { describe, expect, it } from "vitest";
import { median, percentile, spread } from "../../../bench/lib/stats.ts";
import { renderMarkdown, type RunReport } from "../../../bench/lib/report.ts";
import { ResultBook, ratioTarget, ceilingTarget, floorTarget } from "../../../bench/lib/results.ts";

describe("bench statistics", () => {
  it("interpolates percentiles between closest ranks (numpy's default)", () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(oneToHundred, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(oneToHundred, 50)).toBeCloseTo(50.5, 10);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile([10, 20, 30, 40, 50], 25)).toBe(20);
  });

  it("takes the median of unsorted values and the midpoint of an even count", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([7, 2, 9])).toEqual({ median: 7, min: 2, max: 9, runs: 3 });
  });

  it("refuses empty or non-finite input instead of reporting NaN", () => {
    expect(() => median([])).toThrow(/no values/);
    expect(() => spread([1, Number.NaN])).toThrow(/finite/);
    expect(() => percentile([1], 101)).toThrow(/between 0 and 100/);
  });
});

describe("bench result book", () => {
  it("divides medians for ratios and says by how much a target is missed", () => {
    const book = new ResultBook();
    book.startGroup("HTTP");
    book.add({ id: "base", label: "baseline", unit: "req/s", samples: [100, 90, 110] });
    const slow = book.add({ id: "slow", label: "slow", unit: "req/s", samples: [35, 30, 40], baselineId: "base", target: ratioTarget({ min: 0.7 }) });
    expect(slow.baseline?.ratio).toBeCloseTo(0.35, 10);
    expect(slow.target).toMatchObject({ met: false, shortfall: expect.stringContaining("50 % below") });
    const fast = book.add({ id: "fast", label: "fast", unit: "req/s", samples: [80], baselineId: "base", target: ratioTarget({ min: 0.7 }) });
    expect(fast.target?.met).toBe(true);
    const latency = book.add({ id: "lat", label: "latency", unit: "ms", samples: [300], baselineId: "base", target: ratioTarget({ max: 2 }) });
    expect(latency.target).toMatchObject({ met: false, shortfall: expect.stringContaining("50 % above") });
  });

  it("checks a ceiling against the worst run, and refuses unknown baselines and duplicate ids", () => {
    const book = new ResultBook();
    const worst = book.add({ id: "p", label: "propagation", unit: "ms", samples: [1000, 4000, 5600], target: ceilingTarget(5500, "<= 5.5 s") });
    expect(worst.target?.met).toBe(false);
    expect(() => book.add({ id: "q", label: "q", unit: "ms", samples: [1], baselineId: "missing" })).toThrow(/missing/);
    expect(() => book.add({ id: "p", label: "again", unit: "ms", samples: [1] })).toThrow(/twice/);
  });

  it("checks a floor against the median", () => {
    const book = new ResultBook();
    expect(book.add({ id: "a", label: "core", unit: "evals/s", samples: [1.2e6, 0.9e6, 0.95e6], target: floorTarget(1e6, ">= 1M") }).target).toMatchObject({ met: false, shortfall: expect.stringContaining("50,000 evals/s short") });
    expect(book.add({ id: "b", label: "core", unit: "evals/s", samples: [1.2e6, 0.5e6, 1.0e6], target: floorTarget(1e6, ">= 1M") }).target?.met).toBe(true);
  });

  it("reports a target that could not be judged apart from met and missed ones", () => {
    const book = new ResultBook();
    book.startGroup("HTTP");
    book.add({ id: "base", label: "baseline", unit: "req/s", samples: [100] });
    book.add({ id: "bound", label: "generator-bound", unit: "req/s", samples: [95], baselineId: "base", target: () => ({ text: ">= 0.50 x baseline", met: false, inconclusive: "load-generator-bound: wrk used 97 % of its core" }) });
    book.add({ id: "met", label: "met", unit: "req/s", samples: [60], baselineId: "base", target: ratioTarget({ min: 0.5 }) });
    const report: RunReport = {
      startedAt: "2026-12-01T00:00:00.000Z",
      durationSeconds: 1,
      settings: { runs: 1, connections: 32, warmupSeconds: 1, durationSeconds: 1, subjects: 1, jobRows: 1, runningJobs: 1 },
      machine: { cpuModel: "cpu", cores: 2, memoryGiB: 1, os: "linux", node: "v20", deno: "2", postgres: "15", loadGenerator: "wrk 4.1.0" },
      figures: book.figures,
      notMeasured: [],
    };
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("Targets: 1 of 2 met, 1 not judged (the runs could not decide).");
    expect(markdown).toContain("**not judged** (>= 0.50 x baseline): load-generator-bound: wrk used 97 % of its core");
    expect(markdown).not.toContain("**missed**");
  });
});
