// How API errors read: client-node 2.x throws ApiException {code, body}; watches fail with
// {statusCode}. One place to get the HTTP status and a one-line message out of either.

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === "number") return e.code;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

export function errorText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === "number" && e.body !== undefined) {
    const body = typeof e.body === "string" ? safeJson(e.body) : e.body;
    const message = (body as { message?: string })?.message;
    return `HTTP ${e.code}${message ? `: ${message}` : ""}`;
  }
  return e?.message ?? String(err);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { message: s };
  }
}
