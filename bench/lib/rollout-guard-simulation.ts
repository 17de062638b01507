// Simulated rollout steps, judged by the real decision rule (decide in rollout-guard.ts), to
// measure the guard's false-alarm rate (identical cohorts halted) and its power (a worse canary
// halted before it advances). Pure and seeded: the same settings give the same figures.
//
// One run is one step: jobs finish at a steady rate, each in the canary with the step's share,
// each failing for good with its cohort's rate; the tick looks every `lookEveryMinutes` at the
// counts so far, as pg_cron does, until the rule halts or advances (or the run gives up after
// twice the step's time, still waiting for data).
import { decide, type GuardInput } from "../../functions/_shared/rollout-guard.ts";
import { seededRandom } from "./seeded-random.ts";

export interface StepScenario {
  jobsPerDay: number;
  /** Share of jobs in the canary, 0..1 (the step's percentage / 100). */
  canaryShare: number;
  stepDays: number;
  controlFailureRate: number;
  /** The canary's rate as a multiple of control's: 1 for identical cohorts, 2 for a 2x regression. */
  canaryRateRatio: number;
  minSample: number;
  confidence: number;
  tolerance: number;
  lookEveryMinutes: number;
}

export interface RunTally {
  runs: number;
  halted: number;
  advanced: number;
  stillWaiting: number;
  /** Mean days from the step's start to the halts. */
  meanDaysToHalt: number | null;
}

export function simulateSteps(scenario: StepScenario, runs: number, seed: number): RunTally {
  const random = seededRandom(seed);
  const tally: RunTally = { runs, halted: 0, advanced: 0, stillWaiting: 0, meanDaysToHalt: null };
  const canaryRate = scenario.controlFailureRate * scenario.canaryRateRatio;
  const jobsPerLook = (scenario.jobsPerDay * scenario.lookEveryMinutes) / 1440;
  const looksPerDay = 1440 / scenario.lookEveryMinutes;
  const stepLooks = Math.round(scenario.stepDays * looksPerDay);
  let haltDays = 0;
  for (let run = 0; run < runs; run++) {
    const input: GuardInput = {
      time_passed: false, last_step: false, min_sample: scenario.minSample, tolerance: scenario.tolerance, confidence: scenario.confidence,
      signals: [{ signal: "permanent_failure_rate", canary_jobs: 0, canary_events: 0, control_jobs: 0, control_events: 0 }],
    };
    const counts = input.signals[0]!;
    let carry = 0;
    let outcome: "halted" | "advanced" | "stillWaiting" = "stillWaiting";
    for (let look = 1; look <= 2 * stepLooks; look++) {
      carry += jobsPerLook;
      for (; carry >= 1; carry--) {
        if (random() < scenario.canaryShare) {
          counts.canary_jobs++;
          if (random() < canaryRate) counts.canary_events++;
        } else {
          counts.control_jobs++;
          if (random() < scenario.controlFailureRate) counts.control_events++;
        }
      }
      input.time_passed = look >= stepLooks;
      // Before both cohorts reach the minimum sample the rule can only wait: skip the call.
      if (!input.time_passed && (counts.canary_jobs < scenario.minSample || counts.control_jobs < scenario.minSample)) continue;
      const decision = decide(input).decision;
      if (decision === "halt") {
        outcome = "halted";
        haltDays += look / looksPerDay;
        break;
      }
      if (decision === "advance") {
        outcome = "advanced";
        break;
      }
    }
    tally[outcome]++;
  }
  tally.meanDaysToHalt = tally.halted > 0 ? haltDays / tally.halted : null;
  return tally;
}

/** One look with fixed cohort sizes: the test's own error rate, without repeated looks. */
export function simulateSingleLook(
  sizes: { canary: number; control: number }, rates: { canary: number; control: number },
  guard: { confidence: number; tolerance: number }, runs: number, seed: number,
): number {
  const random = seededRandom(seed);
  let halted = 0;
  const draw = (n: number, p: number) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  };
  for (let run = 0; run < runs; run++) {
    const result = decide({
      time_passed: true, last_step: false, min_sample: Math.min(sizes.canary, sizes.control), ...guard,
      signals: [{ signal: "permanent_failure_rate", canary_jobs: sizes.canary, canary_events: draw(sizes.canary, rates.canary), control_jobs: sizes.control, control_events: draw(sizes.control, rates.control) }],
    });
    if (result.decision === "halt") halted++;
  }
  return halted / runs;
}

/** Wilson score interval for a measured proportion (95 % by default): how sure the figure is. */
export function wilsonInterval(successes: number, trials: number, z = 1.959963984540054): [number, number] {
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
