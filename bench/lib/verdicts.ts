// Verdicts on HTTP targets that a busy load generator, or a busy machine, cannot fool.
//
// A run was held back, and its req/s is only a lower bound of what the server can do (its
// latency an upper bound: requests also waited for wrk or for the core), when wrk kept its own
// core busy (GENERATOR_BOUND_SHARE or more: the generator may have set the rate) or the server
// did not keep its core busy (under SATURATED_SERVER_SHARE: something else set the rate, such as
// other processes on the machine). That still decides some verdicts:
//
//   throughput ratio = function req/s / baseline req/s, target ">= min"
//     baseline held back only:  ratio < min  -> missed (the true baseline is higher, the true ratio lower still)
//     function held back only:  ratio >= min -> met (the true function rate is higher, the ratio higher still)
//   p99 ratio = function p99 / baseline p99, target "<= max"
//     baseline held back only:  ratio > max  -> missed (the true baseline p99 is lower, the true ratio higher still)
//     function held back only:  ratio <= max -> met (the true function p99 is lower, the ratio lower still)
//
// A throughput verdict req/s cannot reach is taken from server CPU per request on the same pinned
// core, which wrk does not limit: capacity ratio = baseline µs / function µs, the ratio of the rates
// each server reaches with its core saturated. It stands in only when the baseline's server kept
// its core at least SATURATED_SERVER_SHARE busy, so its CPU per request was measured near the load
// at which it would saturate (a lightly loaded server spends more CPU per request, which would flatter
// the function). Anything else is "not judged". docs/benchmarks.md explains the same to readers.
import { ratioTarget, type Figure, type Target } from "./results.ts";

/** A generator busier than this share of its core may have set the rate itself. */
export const GENERATOR_BOUND_SHARE = 0.9;
/** The baseline's server must have been this busy for CPU per request to stand in for req/s. */
export const SATURATED_SERVER_SHARE = 0.8;

/** How one case's runs went (medians over its runs): wrk's and the server's CPU share of their core. */
export interface RunShares {
  generatorShare: number;
  serverShare: number;
}

export interface RunFacts {
  case: RunShares;
  baseline: RunShares;
  /** Throughput only: baseline µs per request / function µs per request (median of the runs, paired run by run). */
  capacityRatio?: number;
}

const percent = (share: number) => `${(share * 100).toFixed(0)} %`;

/** Why a run's rate is only a lower bound, or null when it is not. */
function heldBack(run: RunShares): string | null {
  if (run.generatorShare >= GENERATOR_BOUND_SHARE) return `wrk used ${percent(run.generatorShare)} of its core`;
  if (run.serverShare < SATURATED_SERVER_SHARE) return `the server used only ${percent(run.serverShare)} of its core`;
  return null;
}

/** The verdict on a ratio target ({ min } for throughput, { max } for p99) given how the runs went. */
export function judged(bound: { min: number } | { max: number }, facts: RunFacts): (figure: Omit<Figure, "target">) => Target {
  const measured = ratioTarget(bound);
  return (figure) => {
    const verdict = measured(figure);
    const caseHeld = heldBack(facts.case);
    const baselineHeld = heldBack(facts.baseline);
    if (caseHeld === null && baselineHeld === null) return verdict;
    const ratio = figure.baseline!.ratio.toFixed(2);
    const throughput = "min" in bound;
    const what = throughput ? "rate" : "p99";
    if (baselineHeld !== null && caseHeld === null && !verdict.met) {
      return { ...verdict, shortfall: `${verdict.shortfall}; in the baseline's runs ${baselineHeld}, so the true baseline ${what} is ${throughput ? "higher" : "lower"} and the true ratio ${throughput ? "lower" : "higher"} still` };
    }
    if (caseHeld !== null && baselineHeld === null && verdict.met) {
      return { ...verdict, basis: `${ratio} x while in this case's runs ${caseHeld}, so the true ${what} is ${throughput ? "higher" : "lower"} and the ratio ${throughput ? "higher" : "lower"} still` };
    }
    const runs = [caseHeld && `in this case's runs ${caseHeld}`, baselineHeld && `in the baseline's runs ${baselineHeld}`].filter(Boolean).join(" and ");
    const why = `${runs}, so the ${ratio} x ${throughput ? "req/s" : "p99"} ratio cannot decide`;
    if (throughput && facts.capacityRatio !== undefined && facts.baseline.serverShare >= SATURATED_SERVER_SHARE) {
      const capacity = facts.capacityRatio;
      const onCpu = `on server CPU per request: capacity ${capacity.toFixed(2)} x (baseline µs / function µs, same core; the baseline's server at ${percent(facts.baseline.serverShare)} of its core)`;
      if (capacity >= bound.min) return { text: verdict.text, met: true, basis: `${onCpu}; ${why}` };
      return { text: verdict.text, met: false, shortfall: `${((1 - capacity / bound.min) * 100).toFixed(0)} % below the target ${onCpu}; ${why}` };
    }
    const cpuNote = throughput && facts.capacityRatio !== undefined ? `; CPU per request cannot stand in, as the baseline's server used only ${percent(facts.baseline.serverShare)} of its core` : "";
    return { text: verdict.text, met: false, inconclusive: `${why}${cpuNote}` };
  };
}
