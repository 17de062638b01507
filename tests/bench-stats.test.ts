// The benchmark's statistics: RESULTS.md reports medians, percentiles and ratios computed by these
// helpers, so a wrong rank or ratio would silently misreport every figure.
import { describe, expect, it } from "vitest";
import { median, percentile, spread } from "../bench/lib/stats.ts";
import { ResultBook, ratioTarget, ceilingTarget } from "../bench/lib/results.ts";

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
});
