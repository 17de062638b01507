// The simulator behind the measured false-alarm rate and power (bench/scripts/measure-rollout-guard.ts)
// reproduces what theory says of one look, so its figures for repeated looks can be trusted.
import { describe, expect, it } from "vitest";
import { simulateSingleLook, simulateSteps, wilsonInterval } from "../../../bench/lib/rollout-guard-simulation.ts";

describe("one look", () => {
  it("halts identical cohorts about 1 - confidence of the time (5 % at 0.95)", () => {
    const runs = 4000;
    const rate = simulateSingleLook({ canary: 2000, control: 2000 }, { canary: 0.1, control: 0.1 }, { confidence: 0.95, tolerance: 0 }, runs, 7);
    const [low, high] = wilsonInterval(rate * runs, runs);
    expect(low).toBeLessThan(0.05);
    expect(high).toBeGreaterThan(0.05);
  });

  it("has the power the normal approximation predicts against 10 % vs 13 % at 2,000 each (0.908 at 0.95)", () => {
    // z = (0.03 - 1.645 * sqrt(2 * 0.115 * 0.885 / 2000)) / sqrt((0.1 * 0.9 + 0.13 * 0.87) / 2000) = 1.33: power 0.908.
    const runs = 2000;
    const power = simulateSingleLook({ canary: 2000, control: 2000 }, { canary: 0.13, control: 0.1 }, { confidence: 0.95, tolerance: 0 }, runs, 8);
    const [low, high] = wilsonInterval(power * runs, runs);
    expect(low).toBeLessThan(0.915);
    expect(high).toBeGreaterThan(0.905);
  });
});

describe("a step looked at repeatedly", () => {
  it("catches a 5x regression early and lets identical cohorts advance", () => {
    const base = { jobsPerDay: 20_000, canaryShare: 0.05, stepDays: 2, controlFailureRate: 0.02, minSample: 500, confidence: 0.999, tolerance: 0, lookEveryMinutes: 10 };
    const worse = simulateSteps({ ...base, canaryRateRatio: 5 }, 50, 1);
    expect(worse.halted).toBe(50);
    expect(worse.meanDaysToHalt!).toBeLessThan(1);
    const same = simulateSteps({ ...base, canaryRateRatio: 1 }, 50, 2);
    expect(same.advanced + same.halted).toBe(50);
    expect(same.advanced).toBeGreaterThanOrEqual(47);
  });
});

describe("wilsonInterval", () => {
  it("matches the textbook interval for 81 of 263 (0.2553 to 0.3662)", () => {
    const [low, high] = wilsonInterval(81, 263);
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
  });
});
