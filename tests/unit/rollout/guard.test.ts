// The guarded rollout's decision rule (functions/_shared/rollout-guard.ts) against textbook
// values: the standard normal's tail, the pooled two-proportion z-test's known cases, and the
// shared vectors, whose z and p were computed with scipy (independently of both twins).
import { describe, expect, it } from "vitest";
import vectors from "../../../functions/_shared/rollout-guard-vectors.json" with { type: "json" };
import {
  compareCohorts, decide, explainDecision, normalUpperTail, ROLLOUT_SIGNALS, SIGNALS_A_FLAG_MAY_NOT_GUARD_ON, type GuardInput,
} from "../../../functions/_shared/rollout-guard.ts";
import { InvalidPlan, SEED_PLANS, validatePlan } from "../../../scripts/ops/plan/rollout-plan-sql.ts";

describe("normalUpperTail", () => {
  it.each([
    [0, 0.5],
    [1.6448536269514722, 0.05],
    [1.959963984540054, 0.025],
    [2.3263478740408408, 0.01],
    [3.090232306167813, 0.001],
    [-1.959963984540054, 0.975],
  ])("P(Z >= %d) = %d to within 7.5e-8", (z, tail) => {
    expect(Math.abs(normalUpperTail(z) - tail)).toBeLessThan(7.5e-8);
  });

  it("is 0 and 1 beyond |z| = 37, where PostgreSQL's exp would underflow", () => {
    expect(normalUpperTail(40)).toBe(0);
    expect(normalUpperTail(-40)).toBe(1);
  });
});

describe("compareCohorts: the one-sided pooled two-proportion z-test", () => {
  it("reproduces the 1954 Salk vaccine field trial (placebo 142/201,229 vs vaccine 57/200,745: z = 6.01)", () => {
    const test = compareCohorts({ signal: "s", canary_jobs: 201_229, canary_events: 142, control_jobs: 200_745, control_events: 57 }, 0, 0.99);
    expect(test.z).toBeCloseTo(6.01, 2);
    expect(test.worse).toBe(true);
  });

  it("agrees with a computation written out here from the formula", () => {
    const [nc, xc, nk, xk] = [1234, 57, 8765, 301];
    const pooled = (xc + xk) / (nc + nk);
    const z = (xc / nc - xk / nk) / Math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nk));
    const test = compareCohorts({ signal: "s", canary_jobs: nc, canary_events: xc, control_jobs: nk, control_events: xk }, 0, 0.95);
    expect(test.z).toBeCloseTo(z, 12);
    expect(test.canary_rate).toBe(xc / nc);
    expect(test.control_rate).toBe(xk / nk);
  });

  it("gives no verdict for an empty cohort, and no evidence when nothing varies", () => {
    expect(compareCohorts({ signal: "s", canary_jobs: 0, canary_events: 0, control_jobs: 10, control_events: 1 }, 0, 0.99))
      .toMatchObject({ z: null, p_value: null, worse: false, canary_rate: null, control_rate: 0.1 });
    expect(compareCohorts({ signal: "s", canary_jobs: 10, canary_events: 0, control_jobs: 10, control_events: 0 }, 0, 0.99))
      .toMatchObject({ z: 0, p_value: expect.closeTo(0.5, 7), worse: false });
  });
});

describe("decide, on the shared vectors", () => {
  it.each(vectors.cases.map((c) => [c.name, c] as const))("%s", (_, vector) => {
    const result = decide(vector.input as GuardInput);
    expect({ decision: result.decision, state: result.state, reason: result.reason })
      .toEqual({ decision: vector.expected.decision, state: vector.expected.state, reason: vector.expected.reason });
    expect(result.tests).toHaveLength(vector.expected.tests.length);
    for (const [i, expected] of vector.expected.tests.entries()) {
      const actual = result.tests[i]!;
      expect(actual.signal).toBe(expected.signal);
      expect(actual.worse).toBe(expected.worse);
      if (expected.z === null) expect(actual.z).toBeNull();
      else expect(Math.abs(actual.z! - expected.z)).toBeLessThan(1e-6);
      if (expected.p_value === null) expect(actual.p_value).toBeNull();
      else expect(Math.abs(actual.p_value! - expected.p_value)).toBeLessThan(1e-7);
    }
  });

  it("explains a halt with both cohorts' numbers", () => {
    const input = vectors.cases[2]!.input as GuardInput;
    const text = explainDecision(decide(input), input);
    expect(text).toBe(
      "canary worse than control at 99 % confidence (tolerance 0); " +
      "permanent_failure_rate: canary 30/1000 (3.00 %) vs control 190/19000 (1.00 %), z 5.91, p 1.71e-9");
  });
});

describe("the signals", () => {
  it("are the vectors' list, which the SQL twin is checked against too", () => {
    expect([...ROLLOUT_SIGNALS]).toEqual(vectors.signals);
    expect(SIGNALS_A_FLAG_MAY_NOT_GUARD_ON).toEqual(vectors.signals_a_flag_may_not_guard_on);
  });

  it("a plan may guard on every signal, except a flag on one its own effect moves", () => {
    const spec = { ...SEED_PLANS.production[0]!, guardSignals: [...ROLLOUT_SIGNALS] };
    expect(validatePlan(spec).guardSignals).toEqual([...ROLLOUT_SIGNALS]);
    for (const [flagKey, signals] of Object.entries(vectors.signals_a_flag_may_not_guard_on)) {
      for (const signal of signals) {
        expect(() => validatePlan({ ...spec, flagKey, startsAfter: null, guardSignals: ["permanent_failure_rate", signal] }))
          .toThrow(new InvalidPlan(`${flagKey} cannot guard on ${signal}: the flag changes the watchdog's rescue rule itself, so its canary is rescued sooner with nothing wrong; a rescue of a live job shows as duplicate_execution_rate`));
      }
      const allowed = ROLLOUT_SIGNALS.filter((s) => !signals.includes(s));
      expect(validatePlan({ ...spec, flagKey, startsAfter: null, guardSignals: allowed }).guardSignals).toEqual(allowed);
    }
  });
});
