// The figures a benchmark run produces, each with its spread, its ratio to a baseline measured in
// the same run and, where the issue sets one, whether its target is met and by how much it misses.
import { spread, type Spread } from "./stats.ts";

export interface Target {
  /** The target in words, e.g. ">= 0.70 x baseline". */
  text: string;
  met: boolean;
  /** When missed: by how much, in words. */
  shortfall?: string;
  /** Set when the figure cannot be judged (e.g. the load generator set the rate): why. Then met is false. */
  inconclusive?: string;
  /** When met other than by the plain ratio of medians (bench/lib/verdicts.ts): on what grounds. */
  basis?: string;
}

export interface Figure {
  id: string;
  group: string;
  label: string;
  unit: string;
  samples: number[];
  spread: Spread;
  /** The baseline's id and this figure's median divided by the baseline's median. */
  baseline?: { id: string; label: string; ratio: number };
  target?: Target;
  note?: string;
}

export interface NotMeasured {
  id: string;
  group: string;
  label: string;
  reason: string;
}

export interface FigureInput {
  id: string;
  label: string;
  unit: string;
  samples: number[];
  baselineId?: string;
  /** Decides the target from this figure (its spread and ratio); omitted when the issue sets none. */
  target?: (figure: Omit<Figure, "target">) => Target;
  note?: string;
}

/** A target on the ratio to the baseline: at least `min` (throughput) or at most `max` (latency). */
export function ratioTarget(bound: { min: number } | { max: number }): (figure: Omit<Figure, "target">) => Target {
  return (figure) => {
    const ratio = figure.baseline?.ratio;
    if (ratio === undefined) throw new Error(`${figure.id} has a ratio target but no baseline`);
    if ("min" in bound) {
      const met = ratio >= bound.min;
      return { text: `>= ${bound.min.toFixed(2)} x baseline`, met, shortfall: met ? undefined : `${((1 - ratio / bound.min) * 100).toFixed(0)} % below the target (${ratio.toFixed(2)} x)` };
    }
    const met = ratio <= bound.max;
    return { text: `<= ${bound.max.toFixed(2)} x baseline`, met, shortfall: met ? undefined : `${((ratio / bound.max - 1) * 100).toFixed(0)} % above the target (${ratio.toFixed(2)} x)` };
  };
}

/** A target on the figure's worst run: at most `limit` in the figure's unit. */
export function ceilingTarget(limit: number, text: string): (figure: Omit<Figure, "target">) => Target {
  return (figure) => {
    const met = figure.spread.max <= limit;
    return { text, met, shortfall: met ? undefined : `worst run ${formatNumber(figure.spread.max)} ${figure.unit}, ${formatNumber(figure.spread.max - limit)} ${figure.unit} over` };
  };
}

/** A target on the figure's median (as ratios are judged): at least `floor` in the figure's unit. */
export function floorTarget(floor: number, text: string): (figure: Omit<Figure, "target">) => Target {
  return (figure) => {
    const met = figure.spread.median >= floor;
    return { text, met, shortfall: met ? undefined : `median ${formatNumber(figure.spread.median)} ${figure.unit}, ${formatNumber(floor - figure.spread.median)} ${figure.unit} short` };
  };
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export class ResultBook {
  readonly figures: Figure[] = [];
  readonly notMeasured: NotMeasured[] = [];
  private group = "";

  startGroup(title: string): void {
    this.group = title;
  }

  add(input: FigureInput): Figure {
    if (this.figures.some((f) => f.id === input.id)) throw new Error(`figure ${input.id} recorded twice`);
    const summary = spread(input.samples);
    let baseline: Figure["baseline"];
    if (input.baselineId) {
      const base = this.figures.find((f) => f.id === input.baselineId);
      if (!base) throw new Error(`${input.id}: baseline ${input.baselineId} was not measured before it`);
      baseline = { id: base.id, label: base.label, ratio: summary.median / base.spread.median };
    }
    const partial = { id: input.id, group: this.group, label: input.label, unit: input.unit, samples: input.samples, spread: summary, baseline, note: input.note };
    const figure: Figure = { ...partial, target: input.target?.(partial) };
    this.figures.push(figure);
    return figure;
  }

  skip(id: string, label: string, reason: string): void {
    this.notMeasured.push({ id, group: this.group, label, reason });
  }
}
