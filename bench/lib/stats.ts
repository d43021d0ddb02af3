// Figures as the bench reports them: the median of the runs with their min and max.

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** How many runs the figure is made of. */
  n: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no values");
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** undefined when there is no value (a part that did not run, a figure a strategy has not). */
export function summarize(xs: readonly (number | undefined)[]): Summary | undefined {
  const vals = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  if (vals.length === 0) return undefined;
  return { median: median(vals), min: Math.min(...vals), max: Math.max(...vals), n: vals.length };
}

/** `median (min–max)` with `digits` decimals, or "–" when there is no figure. */
export function fmtSummary(s: Summary | undefined, digits = 1, scale = 1): string {
  if (!s) return "–";
  const f = (x: number) => (x / scale).toFixed(digits);
  return s.n === 1 || s.min === s.max ? `${f(s.median)}` : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** A ratio of two medians, or undefined when either is missing. */
export function ratio(a: Summary | undefined, b: Summary | undefined): number | undefined {
  return a && b && b.median > 0 ? a.median / b.median : undefined;
}
