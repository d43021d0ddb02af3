// What an API error says. client-node 2.x throws ApiException {code, body} (body: the API server's
// Status, as JSON text or parsed; its message also holds raw headers); a watch fails with
// {statusCode}. One place reads the HTTP status and the server's message out of either.

/** The API server's Status carried by an API error. */
export interface ApiStatus {
  code: number;
  message?: string;
  details?: { kind?: string };
}

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === "number") return e.code;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

/** The Status in an API error's body; undefined for any other error. */
export function apiStatus(err: unknown): ApiStatus | undefined {
  const e = err as { code?: unknown; body?: unknown } | undefined;
  if (typeof e?.code !== "number" || e.body === undefined) return undefined;
  let body: unknown = e.body;
  if (typeof e.body === "string") {
    try {
      body = JSON.parse(e.body);
    } catch {
      body = { message: e.body.slice(0, 300) };
    }
  }
  const status = body as { message?: string; details?: { kind?: string } } | null;
  return { code: e.code, message: status?.message || undefined, details: status?.details };
}

/** One line for logs, status and Events: `HTTP 403: <the server's message>`, or the error's message. */
export function errorText(err: unknown): string {
  const s = apiStatus(err);
  if (s) return `HTTP ${s.code}${s.message ? `: ${s.message}` : ""}`;
  return (err as { message?: string } | undefined)?.message ?? String(err);
}
