// Verdicts on HTTP targets that a busy load generator cannot fool.
//
// A run in which wrk kept its own core busy (GENERATOR_BOUND_SHARE or more) may have been limited
// by wrk, not by the server: its req/s is a lower bound of what the server can do, and its
// latency an upper bound (requests also waited for wrk). That still decides some verdicts:
//
//   throughput ratio = function req/s / baseline req/s, target ">= min"
//     baseline bound only:  ratio < min  -> missed (the true baseline is higher, the true ratio lower still)
//     function bound only:  ratio >= min -> met (the true function rate is higher, the ratio higher still)
//   p99 ratio = function p99 / baseline p99, target "<= max"
//     baseline bound only:  ratio > max  -> missed (the true baseline p99 is lower, the true ratio higher still)
//     function bound only:  ratio <= max -> met (the true function p99 is lower, the ratio lower still)
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

export interface RunFacts {
  /** wrk's CPU share of its core (median over the case's runs). */
  caseGeneratorShare: number;
  baselineGeneratorShare: number;
  /**
   * Throughput only: baseline µs per request / function µs per request (median of the runs,
   * paired run by run), and the baseline server's CPU share of its core (median).
   */
  capacity?: { ratio: number; baselineServerShare: number };
}

const percent = (share: number) => `${(share * 100).toFixed(0)} %`;

/** The verdict on a ratio target ({ min } for throughput, { max } for p99) given how the runs went. */
export function judged(bound: { min: number } | { max: number }, facts: RunFacts): (figure: Omit<Figure, "target">) => Target {
  const measured = ratioTarget(bound);
  return (figure) => {
    const verdict = measured(figure);
    const caseBound = facts.caseGeneratorShare >= GENERATOR_BOUND_SHARE;
    const baselineBound = facts.baselineGeneratorShare >= GENERATOR_BOUND_SHARE;
    if (!caseBound && !baselineBound) return verdict;
    const ratio = figure.baseline!.ratio.toFixed(2);
    const throughput = "min" in bound;
    const what = throughput ? "rate" : "p99";
    if (baselineBound && !caseBound && !verdict.met) {
      return { ...verdict, shortfall: `${verdict.shortfall}; the baseline's wrk used ${percent(facts.baselineGeneratorShare)} of its core, so the true baseline ${what} is ${throughput ? "higher" : "lower"} and the true ratio ${throughput ? "lower" : "higher"} still` };
    }
    if (caseBound && !baselineBound && verdict.met) {
      return { ...verdict, basis: `${ratio} x while wrk used ${percent(facts.caseGeneratorShare)} of its core in this case's runs, so the true ${what} is ${throughput ? "higher" : "lower"} and the ratio ${throughput ? "higher" : "lower"} still` };
    }
    const why = `wrk used ${percent(Math.max(facts.caseGeneratorShare, facts.baselineGeneratorShare))} of its core in ${caseBound && baselineBound ? "both this case's and the baseline's runs" : caseBound ? "this case's runs" : "the baseline's runs"}, so the ${ratio} x req/s ratio cannot decide`;
    if (throughput && facts.capacity && facts.capacity.baselineServerShare >= SATURATED_SERVER_SHARE) {
      const capacity = facts.capacity.ratio;
      const onCpu = `on server CPU per request: capacity ${capacity.toFixed(2)} x (baseline µs / function µs, same core; the baseline's server at ${percent(facts.capacity.baselineServerShare)} of its core)`;
      if (capacity >= bound.min) return { text: verdict.text, met: true, basis: `${onCpu}; ${why}` };
      return { text: verdict.text, met: false, shortfall: `${((1 - capacity / bound.min) * 100).toFixed(0)} % below the target ${onCpu}; ${why}` };
    }
    const cpuNote = throughput && facts.capacity ? `, and the baseline's server used only ${percent(facts.capacity.baselineServerShare)} of its core, too little for CPU per request to stand in` : "";
    return { text: verdict.text, met: false, inconclusive: `load-generator-bound: ${why}${cpuNote}` };
  };
}
