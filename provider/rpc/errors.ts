// RPC errors that say which call failed where, and never carry a credential.
// axios errors hold the request config (auth, Authorization header) and the socket: they are
// never rethrown, logged or attached as `cause`; only their code and message text survive,
// scrubbed of every secret the client knows.

export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    /** The RPC method, e.g. `addnode`. */
    readonly method: string,
    /** Which node: `<namespace>/<pod>` (or the address when there is no pod). */
    readonly node: string,
    /** The JSON-RPC error code (-28, -8, ...) or a transport code (`ECONNREFUSED`, `HTTP_401`, `TIMEOUT`). */
    readonly code: number | string,
    detail: string,
  ) {
    super(`${method} on ${node} failed (${code}): ${detail}`);
  }
}

/** Replaces every occurrence of each secret (and its Basic-auth encodings) in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    for (const form of [s, encodeURIComponent(s), Buffer.from(s).toString("base64")]) {
      out = out.split(form).join("[redacted]");
    }
  }
  return out;
}

/** Basic-auth header value forms of `user:password` that must never be printed. */
export function authForms(user: string, password: string): string[] {
  return [password, `${user}:${password}`, Buffer.from(`${user}:${password}`).toString("base64")];
}

/** JSON-RPC codes that mean "the node is starting up, ask again". */
const WARMUP = -28;

/** Transport failures where the request never reached the node, so retrying cannot repeat a write. */
const NOT_SENT = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET_BEFORE_SEND"]);

export function isRetryable(err: unknown, write: boolean): boolean {
  if (!(err instanceof RpcError)) return false;
  if (err.code === WARMUP) return true;
  if (typeof err.code === "string" && NOT_SENT.has(err.code)) return true;
  // A reset or timeout after the request was sent may have executed it: only reads are repeated.
  return !write && (err.code === "ECONNRESET" || err.code === "TIMEOUT" || err.code === "EPIPE");
}
