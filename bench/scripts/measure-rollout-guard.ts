// Measures the rollout guard's false-alarm rate (identical cohorts halted) and its power against
// a 2x regression, with the default guard, by simulated steps judged by the real decision rule.
// Prints Markdown tables (docs/rollout-plans.md quotes them); the last one is for rare events
// (rates like those of watchdog rescues and duplicate executions).
//
//   npx tsx bench/scripts/measure-rollout-guard.ts [--runs 1000] [--seed 12] [--only rare]
import { parseArgs } from "node:util";
import { PLAN_DEFAULTS } from "../../scripts/ops/plan/rollout-plan-sql.ts";
import { simulateSingleLook, simulateSteps, wilsonInterval, type StepScenario } from "../lib/rollout-guard-simulation.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "1000" }, seed: { type: "string", default: "12" }, only: { type: "string" } } });
const runs = Number(values.runs);
const seed = Number(values.seed);

const percent = (k: number, n: number) => {
  const [low, high] = wilsonInterval(k, n);
  return `${((100 * k) / n).toFixed(1)} % (${(100 * low).toFixed(1)}–${(100 * high).toFixed(1)})`;
};

const guard = { minSample: PLAN_DEFAULTS.minSample, confidence: PLAN_DEFAULTS.confidence, tolerance: PLAN_DEFAULTS.tolerance };
console.log(`Guard: min sample ${guard.minSample} per cohort, confidence ${guard.confidence}, tolerance ${guard.tolerance}; ${runs} runs per row, seed ${seed}.`);
console.log("Figures: share of runs, with its 95 % Wilson interval.\n");

if (values.only !== "rare") {
  console.log("One look at exactly the minimum sample (the test's own error rates):\n");
  console.log("| cohorts (canary / control) | control failure rate | false alarm (1x) | power (2x) |");
  console.log("|---|---|---|---|");
  for (const [canary, control] of [[500, 500], [500, 9500]] as const) {
    for (const rate of [0.02, 0.1]) {
      const falseAlarm = simulateSingleLook({ canary, control }, { canary: rate, control: rate }, guard, runs, seed);
      const power = simulateSingleLook({ canary, control }, { canary: 2 * rate, control: rate }, guard, runs, seed + 1);
      console.log(`| ${canary} / ${control} | ${rate * 100} % | ${percent(falseAlarm * runs, runs)} | ${percent(power * runs, runs)} |`);
    }
  }
  
  console.log("\nA 5 % canary step of 7 days, looked at every minute (as pg_cron does) until it halts or advances:\n");
  console.log("| jobs a day | control failure rate | false alarm (1x) | power (2x) | mean days to a 2x halt |");
  console.log("|---|---|---|---|---|");
  for (const jobsPerDay of [2_000, 10_000, 50_000]) {
    for (const rate of [0.02]) {
      const base: StepScenario = {
        jobsPerDay, canaryShare: 0.05, stepDays: 7, controlFailureRate: rate, canaryRateRatio: 1, lookEveryMinutes: 1, ...guard,
      };
      const same = simulateSteps(base, runs, seed);
      const worse = simulateSteps({ ...base, canaryRateRatio: 2 }, runs, seed + 1);
      console.log(`| ${jobsPerDay.toLocaleString("en")} | ${rate * 100} % | ${percent(same.halted, runs)} | ${percent(worse.halted, runs)} | ${worse.meanDaysToHalt?.toFixed(2) ?? "-"} |`);
    }
  }
}

console.log("\nRare events (rates like watchdog rescues' or duplicate executions'): a 5 % canary step of 7 days at 10,000 jobs a day, looked at every minute:\n");
console.log("| event rate (control) | false alarm (1x) | power (2x) | mean days to a 2x halt |");
console.log("|---|---|---|---|");
for (const rate of [0.0001, 0.001, 0.005]) {
  const base: StepScenario = {
    jobsPerDay: 10_000, canaryShare: 0.05, stepDays: 7, controlFailureRate: rate, canaryRateRatio: 1, lookEveryMinutes: 1, ...guard,
  };
  const same = simulateSteps(base, runs, seed);
  const worse = simulateSteps({ ...base, canaryRateRatio: 2 }, runs, seed + 1);
  console.log(`| ${rate * 100} % | ${percent(same.halted, runs)} | ${percent(worse.halted, runs)} | ${worse.meanDaysToHalt?.toFixed(2) ?? "-"} |`);
}
