// `regnet wait <network> --for ready|wired|synced|converged [--timeout]`: for scripts and CI. Exits 0
// when the network is there, 3 when the time runs out (saying what is still missing). The conditions
// are the engine's own: status.conditions and `lacking` (the one definition of converged).
import { Command, Option } from "commander";
import type { NetworkView } from "../../engine";
import { lacking } from "../../engine/status";
import { parseDuration } from "../args";
import { NotReadyError } from "../exit";
import { pause, type Io } from "../io";
import { withClusterOptions, withSession, type ClusterOptions } from "../session";

const CONDITIONS = ["ready", "wired", "synced", "converged"] as const;
export type WaitCondition = (typeof CONDITIONS)[number];

interface WaitOptions extends ClusterOptions {
  for: WaitCondition;
  timeout: number;
  interval: number;
}

const CONDITION_TYPE: Record<Exclude<WaitCondition, "converged">, string> = { ready: "Ready", wired: "Wired", synced: "Synced" };

/** Whether `view` meets `cond`, and the engine's words for where it stands. */
export function conditionMet(cond: WaitCondition, view: NetworkView | undefined): { met: boolean; detail: string } {
  if (!view) return { met: false, detail: "the network does not exist (yet)" };
  const { spec, status } = view;
  if (cond === "converged") {
    const missing = lacking(spec, status);
    return missing.length
      ? { met: false, detail: missing.join("; ") }
      : { met: true, detail: `${spec.nodes} nodes at height ${status.height}` };
  }
  const c = status.conditions.find((x) => x.type === CONDITION_TYPE[cond]);
  return { met: c?.status === "True", detail: c?.message ?? "no status yet" };
}

export function waitCommand(io: Io): Command {
  const cmd = new Command("wait")
    .summary("wait until a network is ready, wired, synced or converged (exit 3 on timeout)")
    .description(
      "Waits until <network> meets --for, then exits 0; exits 3 when --timeout passes first, saying what is missing.\n" +
        "  ready      every node's pod is Ready\n" +
        "  wired      ready, and every node is connected to all the peers its topology gives it\n" +
        "  synced     ready, and every node has the same best block\n" +
        "  converged  ready, wired, the initial blocks mined and synced (what `pulumi up` waits for)\n" +
        "A network that does not exist yet is waited for too.",
    )
    .argument("<network>", "the network's name")
    .addOption(new Option("--for <condition>", "what to wait for").choices(CONDITIONS).default("converged"))
    .addOption(new Option("--timeout <duration>", "how long to wait").argParser(parseDuration).default(300_000, "5m"))
    .addOption(new Option("--interval <duration>", "how often to look").argParser(parseDuration).default(1000, "1s"));
  withClusterOptions(cmd).action(async (network: string, opts: WaitOptions) => {
    await withSession(opts, async (s) => {
      const ref = { name: network, namespace: s.namespace };
      const what = `network ${ref.namespace}/${network} to be ${opts.for}`;
      const deadline = Date.now() + opts.timeout;
      let last = "";
      for (;;) {
        const verdict = await s.engine.inspect(ref).then(
          (view) => conditionMet(opts.for, view),
          (err: unknown) => ({ met: false, detail: `error: ${(err as Error).message}` }),
        );
        if (verdict.met) {
          io.out.write(`network ${ref.namespace}/${network} is ${opts.for}: ${verdict.detail}\n`);
          return;
        }
        if (verdict.detail !== last) io.err.write(`waiting for ${what}: ${verdict.detail}\n`);
        last = verdict.detail;
        const left = deadline - Date.now();
        if (io.signal.aborted) throw new NotReadyError(`stopped while waiting for ${what}: ${verdict.detail}`);
        if (left <= 0)
          throw new NotReadyError(`timed out after ${Math.round(opts.timeout / 1000)} s waiting for ${what}: ${verdict.detail}`);
        await pause(Math.min(opts.interval, left), io.signal);
      }
    });
  });
  return cmd;
}
