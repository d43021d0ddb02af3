// Reading the controller's JSON log lines (pino) in tests.

/**
 * The lines that record a refused request: an `err` of HTTP 403 or "forbidden". Only `err` is read:
 * every refusal the controller meets is logged there, while a line's other numbers (`ms`, `seconds`,
 * `requeueAfterMs`) may be 403 by chance. A line that is not JSON counts if it says "forbidden".
 */
export function refusals(log: string): string[] {
  return log.split("\n").filter((line) => {
    if (!line.trim()) return false;
    let entry: { err?: unknown };
    try {
      entry = JSON.parse(line) as { err?: unknown };
    } catch {
      return /forbidden/i.test(line);
    }
    return entry.err !== undefined && /\bHTTP 403\b|forbidden/i.test(JSON.stringify(entry.err));
  });
}
