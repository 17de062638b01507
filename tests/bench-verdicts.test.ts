// The HTTP verdicts (bench/lib/verdicts.ts): a run limited by the load generator must never be
// called met or missed on grounds the bound does not support, and must be where it does.
import { describe, expect, it } from "vitest";
import { ResultBook, type Target } from "../bench/lib/results.ts";
import { judged, type RunFacts } from "../bench/lib/verdicts.ts";

/** The verdict on a figure whose median is `ratio` times its baseline's. */
function verdict(bound: { min: number } | { max: number }, ratio: number, facts: RunFacts): Target {
  const book = new ResultBook();
  book.add({ id: "base", label: "baseline", unit: "req/s", samples: [100] });
  return book.add({ id: "case", label: "case", unit: "req/s", samples: [100 * ratio], baselineId: "base", target: judged(bound, facts) }).target!;
}

const free = 0.5;
const bound = 0.91;
const saturated = { baselineServerShare: 0.92 };
const outcome = (t: Target) => (t.inconclusive ? "not judged" : t.met ? "met" : "missed");

describe("throughput verdicts (target >= 0.5 x)", () => {
  it("judges on req/s when neither run was generator-bound", () => {
    expect(outcome(verdict({ min: 0.5 }, 0.6, { caseGeneratorShare: free, baselineGeneratorShare: free }))).toBe("met");
    expect(outcome(verdict({ min: 0.5 }, 0.4, { caseGeneratorShare: free, baselineGeneratorShare: free }))).toBe("missed");
  });

  it("calls a ratio below the target missed when only the baseline was generator-bound: the true ratio is lower still", () => {
    const t = verdict({ min: 0.5 }, 0.34, { caseGeneratorShare: free, baselineGeneratorShare: bound, capacity: { ratio: 0.9, ...saturated } });
    expect(outcome(t)).toBe("missed");
    expect(t.shortfall).toContain("32 % below the target (0.34 x)");
    expect(t.shortfall).toContain("true ratio lower still");
  });

  it("calls a ratio at or above the target met when only the function's run was generator-bound", () => {
    const t = verdict({ min: 0.5 }, 0.7, { caseGeneratorShare: bound, baselineGeneratorShare: free });
    expect(outcome(t)).toBe("met");
    expect(t.basis).toContain("higher still");
  });

  it("decides on server CPU per request when req/s cannot, if the baseline's server was near saturation", () => {
    const met = verdict({ min: 0.5 }, 0.55, { caseGeneratorShare: free, baselineGeneratorShare: bound, capacity: { ratio: 0.52, ...saturated } });
    expect(outcome(met)).toBe("met");
    expect(met.basis).toContain("capacity 0.52 x");
    const missed = verdict({ min: 0.5 }, 0.55, { caseGeneratorShare: free, baselineGeneratorShare: bound, capacity: { ratio: 0.45, ...saturated } });
    expect(outcome(missed)).toBe("missed");
    expect(missed.shortfall).toContain("10 % below the target on server CPU");
    // A function run limited by wrk below the target: req/s cannot decide, CPU does.
    expect(outcome(verdict({ min: 0.5 }, 0.3, { caseGeneratorShare: bound, baselineGeneratorShare: free, capacity: { ratio: 0.4, ...saturated } }))).toBe("missed");
    // Both runs bound.
    expect(outcome(verdict({ min: 0.5 }, 0.6, { caseGeneratorShare: bound, baselineGeneratorShare: bound, capacity: { ratio: 0.6, ...saturated } }))).toBe("met");
  });

  it("does not judge when req/s cannot decide and CPU per request cannot stand in", () => {
    const idleBaseline = verdict({ min: 0.5 }, 0.6, { caseGeneratorShare: free, baselineGeneratorShare: bound, capacity: { ratio: 0.6, baselineServerShare: 0.5 } });
    expect(outcome(idleBaseline)).toBe("not judged");
    expect(idleBaseline.inconclusive).toContain("only 50 % of its core");
    expect(outcome(verdict({ min: 0.5 }, 0.6, { caseGeneratorShare: bound, baselineGeneratorShare: bound }))).toBe("not judged");
  });
});

describe("p99 verdicts (target <= 2 x)", () => {
  it("judges on the ratio when neither run was generator-bound", () => {
    expect(outcome(verdict({ max: 2 }, 1.5, { caseGeneratorShare: free, baselineGeneratorShare: free }))).toBe("met");
    expect(outcome(verdict({ max: 2 }, 2.5, { caseGeneratorShare: free, baselineGeneratorShare: free }))).toBe("missed");
  });

  it("calls a ratio above the target missed when only the baseline was bound (its p99 is inflated, the true ratio higher)", () => {
    const t = verdict({ max: 2 }, 2.5, { caseGeneratorShare: free, baselineGeneratorShare: bound });
    expect(outcome(t)).toBe("missed");
    expect(t.shortfall).toContain("true ratio higher still");
    expect(outcome(verdict({ max: 2 }, 1.5, { caseGeneratorShare: free, baselineGeneratorShare: bound }))).toBe("not judged");
  });

  it("calls a ratio within the target met when only the function's run was bound, and never judges p99 on CPU", () => {
    expect(outcome(verdict({ max: 2 }, 1.5, { caseGeneratorShare: bound, baselineGeneratorShare: free }))).toBe("met");
    expect(outcome(verdict({ max: 2 }, 2.5, { caseGeneratorShare: bound, baselineGeneratorShare: free }))).toBe("not judged");
    expect(outcome(verdict({ max: 2 }, 1.5, { caseGeneratorShare: bound, baselineGeneratorShare: bound, capacity: { ratio: 9, ...saturated } }))).toBe("not judged");
  });
});
