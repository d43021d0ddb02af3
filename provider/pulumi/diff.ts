// What `pulumi preview` reports for a BitcoinNetwork: PURE — no cluster, no RPC. `olds` are the old
// outputs (create/update echo the inputs into the outputs), `news` the checked new inputs.
// Scaling and tuning fields are updates the engine applies in place; a new name or namespace, another
// implementation or a persistence change means new objects, and because the new objects would take the
// old ones' names, the old network goes first (deleteBeforeReplace).
import type * as pulumi from "@pulumi/pulumi";
import { ACCESS_KEYS } from "./types";
import { containsUnknown } from "./unknown";
import { stableJson } from "../json";

/** Spec fields whose change needs a new network: a StatefulSet's volumeClaimTemplates are immutable,
 * and another implementation is another chain state and another RPC dialect. Every other spec field
 * (nodes, image, mining, topology, extraArgs, resources, rpc) the engine changes in place. */
const REPLACE_SPEC_FIELDS = ["implementation", "persistence", "chain"] as const;
/** Identity fields: the objects' names and namespace. */
const REPLACE_KEYS = ["name", "namespace"] as const;

export interface NetworkDiff extends pulumi.dynamic.DiffResult {
  /** Property paths that change in place, e.g. `spec.nodes` (for logs and tests; the engine only uses `changes`). */
  updates: string[];
}

type Props = Record<string, unknown>;

export function diffNetwork(olds: Props, news: Props): NetworkDiff {
  const updates: string[] = [];
  const replaces: string[] = [];
  for (const key of REPLACE_KEYS) if (!same(olds[key], news[key])) replaces.push(key);
  for (const key of ACCESS_KEYS) if (!same(olds[key], news[key])) updates.push(key);

  const oldSpec = asProps(olds.spec);
  const newSpec = asProps(news.spec);
  if (containsUnknown(news.spec) && !isPlainObject(news.spec)) {
    // The whole spec is unknown: it may change anything, including what forces a replace.
    replaces.push("spec");
  } else {
    const fields = new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)]);
    for (const field of [...fields].sort()) {
      if (same(oldSpec[field], newSpec[field])) continue;
      const isReplace = (REPLACE_SPEC_FIELDS as readonly string[]).includes(field);
      (isReplace ? replaces : updates).push(`spec.${field}`);
    }
  }
  const changes = updates.length > 0 || replaces.length > 0;
  return {
    changes,
    replaces,
    deleteBeforeReplace: replaces.length > 0,
    updates,
  };
}

function isPlainObject(v: unknown): v is Props {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function asProps(v: unknown): Props {
  return isPlainObject(v) ? v : {};
}

/** Structural equality that ignores key order and keys whose value is undefined; an unknown
 * (preview) value is never equal to anything, since it may resolve to something else. */
export function same(a: unknown, b: unknown): boolean {
  if (containsUnknown(a) || containsUnknown(b)) return false;
  return stableJson(a) === stableJson(b);
}
