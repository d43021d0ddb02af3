// A rate-limited work queue, after client-go's workqueue: keys (namespace/name) rather than
// events, so bursts of events for one network collapse into one reconcile (level-based).
//  - dedup: a key is queued at most once; a key added while a worker holds it is marked dirty
//    and handed out again after `done`, never to two workers at once;
//  - per-key exponential back-off for failures (`addRateLimited`), reset by `forget`;
//  - delayed adds (`addAfter`) keep the earliest due time per key.
import { backoffDelay } from "../backoff";

/** Per-key exponential back-off: base·2^failures, capped. */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = 200,
    readonly maxMs = 5 * 60_000,
  ) {}

  /** The delay before the next retry of `key`; counts one more failure. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return backoffDelay(n, this.baseMs, this.maxMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys waiting to be processed (queued, or re-queue after `done` when held by a worker). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { dueAt: number; timer: NodeJS.Timeout }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(readonly backoff = new ExponentialBackoff()) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // handed out again by done()
    this.push(key);
  }

  /** Adds `key` after `delayMs`; an earlier pending due time for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const dueAt = Date.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.dueAt <= dueAt) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { dueAt, timer });
  }

  /** Re-adds `key` after its back-off delay; returns that delay. */
  addRateLimited(key: string): number {
    const delay = this.backoff.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure history of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Keys ready to be handed out (not those in flight or waiting out a delay). */
  len(): number {
    return this.queue.length;
  }

  /** Keys waiting out a delay (back-off or requeue-after). */
  delayed(): number {
    return this.waiting.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) getter(this.takeKey(key));
    else this.queue.push(key);
  }

  private take(): string {
    return this.takeKey(this.queue.shift()!);
  }

  private takeKey(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
