// What the runner asks of the machine and of the API server, for finding where a pod's start time
// goes: processes it forks (each fork of this Node process blocks its one thread for 5-15 ms, more
// under load), API calls with their latency, and how late its event loop runs. Summed over an
// interval and logged as one line while there is activity.
import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";
import type { Logger } from "../../provider/log";

interface CallStats {
  n: number;
  totalMs: number;
  maxMs: number;
  failed: number;
}

class RunnerMetrics {
  private spawns = new Map<string, number>();
  private calls = new Map<string, CallStats>();
  private loop?: IntervalHistogram;

  /** A process forked by the runner, by what it runs (`ip`, `sh`, a probe's program, a container). */
  spawned(what: string): void {
    this.spawns.set(what, (this.spawns.get(what) ?? 0) + 1);
  }

  /** Times an API call (or any awaited request) under `name`. */
  async time<T>(name: string, call: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    let ok = false;
    try {
      const r = await call();
      ok = true;
      return r;
    } finally {
      const ms = performance.now() - t0;
      const s = this.calls.get(name) ?? { n: 0, totalMs: 0, maxMs: 0, failed: 0 };
      s.n++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      if (!ok) s.failed++;
      this.calls.set(name, s);
    }
  }

  /** Logs what happened since the last report every `everyMs`, when anything did; returns a stop function. */
  report(log: Logger, everyMs = 10_000): () => void {
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
    const timer = setInterval(() => this.flush(log), everyMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.loop?.disable();
    };
  }

  private flush(log: Logger): void {
    if (this.spawns.size === 0 && this.calls.size === 0) {
      this.loop?.reset();
      return;
    }
    const ms = (ns: number) => Math.round(ns / 1e6);
    const api = Object.fromEntries(
      [...this.calls].map(([k, s]) => [
        k,
        { n: s.n, meanMs: Math.round(s.totalMs / s.n), maxMs: Math.round(s.maxMs), ...(s.failed ? { failed: s.failed } : {}) },
      ]),
    );
    const loop = this.loop
      ? { p50Ms: ms(this.loop.percentile(50)), p99Ms: ms(this.loop.percentile(99)), maxMs: ms(this.loop.max) }
      : undefined;
    log.info({ spawns: Object.fromEntries(this.spawns), api, eventLoopDelay: loop }, "runner activity");
    this.spawns = new Map();
    this.calls = new Map();
    this.loop?.reset();
  }
}

/** The runner's one set of counters (the modules that fork or call record into it). */
export const metrics = new RunnerMetrics();

/** When each step of one pod's start first happened, in ms since the runner saw the pod. */
export class StartTimeline {
  private readonly t0 = performance.now();
  private readonly marks: Record<string, number> = {};

  mark(step: string): void {
    this.marks[step] ??= Math.round(performance.now() - this.t0);
  }

  has(step: string): boolean {
    return step in this.marks;
  }

  get steps(): Record<string, number> {
    return { ...this.marks };
  }
}
