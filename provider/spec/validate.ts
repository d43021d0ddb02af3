// validateSpec: the zod schema (shapes, defaults, bounds) then the CEL rules (cross-field), with
// every problem reported as {field, message}: field is a dotted path, message says what to fix.
import { Environment } from "@marcbachmann/cel-js";
import { z } from "zod";
import { CelRule, nameRules, specRules, transitionRules } from "./rules";
import { BitcoinNetworkSpec, specSchema, withImageDefault } from "./schema";

export interface SpecIssue {
  field: string;
  message: string;
}
export type SpecValidation = { ok: true; spec: BitcoinNetworkSpec } | { ok: false; issues: SpecIssue[] };

const cel = new Environment({ unlistedVariablesAreDyn: true });
const compiled = new Map<string, ReturnType<Environment["parse"]>>();
function evalCel(expr: string, ctx: Record<string, unknown>): unknown {
  let fn = compiled.get(expr);
  if (!fn) compiled.set(expr, (fn = cel.parse(expr)));
  return fn(ctx);
}

/** JSON numbers of integer fields are CEL ints on the API server; cel-js models ints as bigint. */
function toCel(v: unknown): unknown {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toCel);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

function checkRules(rules: CelRule[], ctx: Record<string, unknown>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const r of rules) {
    let ok: unknown;
    try {
      ok = evalCel(r.rule, ctx);
    } catch {
      ok = false; // the API server also treats a rule that errors as failed
    }
    if (ok === true) continue;
    let message = r.message;
    if (r.messageExpression) {
      try {
        message = String(evalCel(r.messageExpression, ctx));
      } catch {
        /* keep the static message, as the API server does */
      }
    }
    issues.push({ field: r.fieldPath.replace(/^\./, ""), message });
  }
  return issues;
}

type AnySchema = z.core.$ZodType;
/** The object schema at `path` inside specSchema, past defaults/optionals, for naming allowed keys. */
function objectKeysAt(path: PropertyKey[]): string[] {
  let s: AnySchema = specSchema;
  const unwrap = () => {
    for (;;) {
      const def = s._zod.def as { type: string; innerType?: AnySchema };
      if (def.innerType && ["default", "optional", "prefault", "nullable"].includes(def.type)) s = def.innerType;
      else return;
    }
  };
  unwrap();
  for (const key of path) {
    const def = s._zod.def as { type: string; shape?: Record<string, AnySchema> };
    if (def.type !== "object" || !def.shape || typeof key !== "string" || !def.shape[key]) return [];
    s = def.shape[key];
    unwrap();
  }
  const def = s._zod.def as { type: string; shape?: Record<string, AnySchema> };
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function zodIssues(error: z.ZodError): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const iss of error.issues) {
    const base = iss.path.map(String).join(".");
    if (iss.code === "unrecognized_keys") {
      const allowed = objectKeysAt(iss.path).join(", ");
      for (const key of iss.keys) {
        const field = base ? `${base}.${key}` : key;
        out.push({ field, message: `unknown field ${field}: remove it or fix its spelling (allowed here: ${allowed})` });
      }
      continue;
    }
    out.push({ field: base || "spec", message: iss.message });
  }
  return out;
}

/**
 * Validates a spec as a user wrote it and returns it with defaults applied. `previous` (the spec as
 * stored before this change) also checks the transition rules, e.g. that persistence did not change.
 */
export function validateSpec(input: unknown, previous?: BitcoinNetworkSpec): SpecValidation {
  const parsed = specSchema.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const ctx: Record<string, unknown> = { self: toCel(parsed.data) };
  const issues = checkRules(specRules, ctx);
  if (previous) issues.push(...checkRules(transitionRules, { ...ctx, oldSelf: toCel(previous) }));
  if (issues.length) return { ok: false, issues };
  return { ok: true, spec: withImageDefault(parsed.data) };
}

/**
 * The problems among the known values of a spec whose other values are not known yet (Pulumi's
 * preview marks them with a placeholder `isUnknown` recognises). Unknown values are left out (their
 * defaults stand in, and a list item holding one is dropped); what is then refused only because of
 * that, a missing field or a CEL rule that reads a left-out field, is not reported: it may pass once
 * the value is known, and validateSpec runs again then.
 */
export function validateKnownParts(input: unknown, isUnknown: (v: unknown) => boolean): SpecIssue[] {
  const left: string[] = [];
  const known = withoutUnknowns(input ?? {}, "", isUnknown, left);
  const touchesLeft = (path: string) => left.some((l) => path === l || path.startsWith(`${l}.`) || l.startsWith(`${path}.`));
  const parsed = specSchema.safeParse(known);
  if (!parsed.success) return zodIssues(parsed.error).filter((i) => !touchesLeft(i.field));
  const rules = specRules.filter((r) => !left.some((l) => r.rule.includes(`self.${l}`)));
  return checkRules(rules, { self: toCel(parsed.data) });
}

function withoutUnknowns(v: unknown, path: string, isUnknown: (v: unknown) => boolean, left: string[]): unknown {
  const holds = (x: unknown): boolean => isUnknown(x) || (!!x && typeof x === "object" && Object.values(x).some(holds));
  if (Array.isArray(v)) return v.filter((x) => !holds(x));
  if (!v || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const at = path ? `${path}.${k}` : k;
    if (isUnknown(x)) left.push(at);
    else out[k] = withoutUnknowns(x, at, isUnknown, left);
  }
  return out;
}

/** A network's name becomes the Service, StatefulSet and pod-name prefix: checked by the same CEL rules
 * the CRD applies to metadata.name. */
export function validateNetworkName(name: unknown): SpecIssue[] {
  if (typeof name !== "string" || name.length === 0)
    return [{ field: "metadata.name", message: "a network needs a name: set metadata.name" }];
  return checkRules(nameRules, { self: { metadata: { name } } });
}
