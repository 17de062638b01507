// The HTTP verdicts (bench/lib/verdicts.ts): a run held back by the load generator or by a busy
// machine must never be called met or missed on grounds the bound does not support, and must be
// where it does.
import { describe, expect, it } from "vitest";
import { ResultBook, type Target } from "../../../bench/lib/results.ts";
import { judged, type RunFacts, type RunShares } from "../../../bench/lib/verdicts.ts";

/** The verdict on a figure whose median is `ratio` times its baseline's. */
function verdict(bound: { min: number } | { max: number }, ratio: number, facts: RunFacts): Target {
  const book = new ResultBook();
  book.add({ id: "base", label: "baseline", unit: "req/s", samples: [100] });
  return book.add({ id: "case", label: "case", unit: "req/s", samples: [100 * ratio], baselineId: "base", target: judged(bound, facts) }).target!;
}

/** The server saturated its core, wrk did not: the server set the rate. */
const free: RunShares = { generatorShare: 0.5, serverShare: 0.99 };
/** wrk saturated its core (the bare baseline on a quiet machine). */
const wrkBound: RunShares = { generatorShare: 0.91, serverShare: 0.91 };
/** Neither did: other processes took the server's core. */
const starved: RunShares = { generatorShare: 0.2, serverShare: 0.3 };
const outcome = (t: Target) => (t.inconclusive ? "not judged" : t.met ? "met" : "missed");

describe("throughput verdicts (target >= 0.5 x)", () => {
  it("judges on req/s when no run was held back", () => {
    expect(outcome(verdict({ min: 0.5 }, 0.6, { case: free, baseline: free }))).toBe("met");
    expect(outcome(verdict({ min: 0.5 }, 0.4, { case: free, baseline: free }))).toBe("missed");
  });

  it("calls a ratio below the target missed when only the baseline was held back: the true ratio is lower still", () => {
    const t = verdict({ min: 0.5 }, 0.34, { case: free, baseline: wrkBound, capacityRatio: 0.9 });
    expect(outcome(t)).toBe("missed");
    expect(t.shortfall).toContain("32 % below the target (0.34 x)");
    expect(t.shortfall).toContain("wrk used 91 % of its core");
    expect(t.shortfall).toContain("true ratio lower still");
    expect(outcome(verdict({ min: 0.5 }, 0.34, { case: free, baseline: starved }))).toBe("missed");
  });

  it("calls a ratio at or above the target met when only the function's run was held back", () => {
    const t = verdict({ min: 0.5 }, 0.7, { case: wrkBound, baseline: free });
    expect(outcome(t)).toBe("met");
    expect(t.basis).toContain("higher still");
  });

  it("decides on server CPU per request when req/s cannot, if the baseline's server was near saturation", () => {
    const met = verdict({ min: 0.5 }, 0.55, { case: free, baseline: wrkBound, capacityRatio: 0.52 });
    expect(outcome(met)).toBe("met");
    expect(met.basis).toContain("capacity 0.52 x");
    const missed = verdict({ min: 0.5 }, 0.55, { case: free, baseline: wrkBound, capacityRatio: 0.45 });
    expect(outcome(missed)).toBe("missed");
    expect(missed.shortfall).toContain("10 % below the target on server CPU");
    // A function run held back below the target: req/s cannot decide, CPU does.
    expect(outcome(verdict({ min: 0.5 }, 0.3, { case: starved, baseline: free, capacityRatio: 0.4 }))).toBe("missed");
    // Both runs held back.
    expect(outcome(verdict({ min: 0.5 }, 0.6, { case: wrkBound, baseline: wrkBound, capacityRatio: 0.6 }))).toBe("met");
  });

  it("does not judge when req/s cannot decide and CPU per request cannot stand in", () => {
    const idleBaseline = verdict({ min: 0.5 }, 0.6, { case: free, baseline: starved, capacityRatio: 0.6 });
    expect(outcome(idleBaseline)).toBe("not judged");
    expect(idleBaseline.inconclusive).toContain("used only 30 % of its core");
    expect(outcome(verdict({ min: 0.5 }, 0.6, { case: wrkBound, baseline: wrkBound }))).toBe("not judged");
  });
});

describe("p99 verdicts (target <= 2 x)", () => {
  it("judges on the ratio when no run was held back", () => {
    expect(outcome(verdict({ max: 2 }, 1.5, { case: free, baseline: free }))).toBe("met");
    expect(outcome(verdict({ max: 2 }, 2.5, { case: free, baseline: free }))).toBe("missed");
  });

  it("calls a ratio above the target missed when only the baseline was held back (its p99 is inflated, the true ratio higher)", () => {
    const t = verdict({ max: 2 }, 2.5, { case: free, baseline: wrkBound });
    expect(outcome(t)).toBe("missed");
    expect(t.shortfall).toContain("true ratio higher still");
    expect(outcome(verdict({ max: 2 }, 1.5, { case: free, baseline: wrkBound }))).toBe("not judged");
  });

  it("calls a ratio within the target met when only the function's run was held back, and never judges p99 on CPU", () => {
    expect(outcome(verdict({ max: 2 }, 1.5, { case: starved, baseline: free }))).toBe("met");
    expect(outcome(verdict({ max: 2 }, 2.5, { case: wrkBound, baseline: free }))).toBe("not judged");
    expect(outcome(verdict({ max: 2 }, 1.5, { case: wrkBound, baseline: wrkBound, capacityRatio: 9 }))).toBe("not judged");
  });
});
