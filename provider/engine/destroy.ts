// Deleting a network: every object that carries its labels (and only those: a user's own Secret
// named in spec.rpc.secretName has no regnet labels and stays), then, if asked, waiting until its
// pods are gone so a re-create with the same name starts clean.
import { toSelector, type Kind } from "../kube";
import { isOwnedByNetwork, ownerLabels, selectorString } from "./labels";
import { ordinalOf } from "./desired";
import type { EngineContext } from "./context";
import type { NetworkRef } from "./types";
import { setTimeout as sleep } from "node:timers/promises";

const KINDS: Kind[] = ["StatefulSet", "Service", "Secret", "PersistentVolumeClaim"];

export async function destroy(ctx: EngineContext, ref: NetworkRef, opts: { wait: boolean; timeoutMs?: number }): Promise<void> {
  const owned = toSelector(ownerLabels(ref.name));
  for (const kind of KINDS) {
    for (const obj of await ctx.read.list(kind, ref.namespace, owned)) {
      const name = obj.metadata?.name;
      if (!name || !isOwnedByNetwork(obj, ref)) continue; // controlled by another owner: not ours
      if (await ctx.kube.delete(kind, ref.namespace, name)) ctx.logger.info({ network: ref.name, kind, name }, "deleted");
    }
  }
  await ctx.rpc.prune(ref.namespace, (pod) => ordinalOf(ref.name, pod) !== undefined);
  const key = `${ref.namespace}/${ref.name}`;
  for (const uid of ctx.podUids.get(key) ?? []) {
    ctx.versions.delete(uid);
    ctx.lagging.delete(uid);
  }
  ctx.podUids.delete(key);
  ctx.lastConditions.delete(key);
  if (!opts.wait) return;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await ctx.read.list("Pod", ref.namespace, selectorString(ref.name));
    const sts = await ctx.read.get("StatefulSet", ref.namespace, ref.name);
    if (pods.length === 0 && !(sts && isOwnedByNetwork(sts, ref))) return;
    if (Date.now() > deadline) {
      throw new Error(
        `destroy ${ref.namespace}/${ref.name}: still present after ${timeoutMs} ms: ${pods.map((p) => `pod ${p.metadata?.name}`).join(", ") || "StatefulSet"}`,
      );
    }
    await sleep(500);
  }
}
