// Parsing of argument and option values (pure). Each parser throws commander's InvalidArgumentError,
// which commander turns into "error: option '--timeout <duration>' argument 'x' is invalid. <why>",
// naming the option; the CLI exits 2 for it.
import { InvalidArgumentError } from "commander";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90`, `90s`, `1.5m`, `500ms`, `1h` → milliseconds (a bare number is seconds, as kubectl's). */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("Use a duration such as 90s, 5m, 1h or 500ms (a bare number is seconds).");
  const ms = Number(m[1]) * UNITS[m[2] ?? "s"];
  if (ms <= 0) throw new InvalidArgumentError("Use a duration above zero.");
  return ms;
}

/** A node's ordinal: 0, 1, 2, ... */
export function parseOrdinal(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("Use a node's ordinal: 0 for the first node, 1 for the second, ...");
  return Number(value);
}

/** A whole number ≥ 1 (blocks to mine). */
export function parsePositive(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError("Use a whole number of at least 1.");
  return Number(value);
}

/** A whole number ≥ 0 (log lines). */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("Use a whole number (0 or more).");
  return Number(value);
}

/**
 * RPC parameters as typed on a command line: each one that is valid JSON is that JSON value
 * (`5` → 5, `true`, `null`, `[1,2]`, `{"a":1}`, `"5"` → the string "5"), anything else is a string
 * (`bcrt1q...`, a block hash). Quote a number as JSON (`'"5"'`) to send it as a string.
 */
export function parseRpcParams(params: readonly string[]): unknown[] {
  return params.map((p) => {
    try {
      return JSON.parse(p) as unknown;
    } catch {
      return p;
    }
  });
}
