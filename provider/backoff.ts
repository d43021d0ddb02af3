// Exponential back-off, the one formula every retry here uses (work queue, informer restarts, RPC
// retries, the node runner's crash back-off): base·2^failures, capped.
export function backoffDelay(failures: number, base: number, max: number): number {
  // 2^n overflows to Infinity long before it matters; the cap keeps it finite.
  return Math.min(base * 2 ** Math.max(0, failures), max);
}
