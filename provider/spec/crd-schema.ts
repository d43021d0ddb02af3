// The CRD's openAPIV3Schema, generated from the zod spec (z.toJSONSchema) and reshaped into a
// Kubernetes *structural* schema: every node typed, no $schema/$ref, no `additionalProperties: false`
// (the API server prunes and, with strict field validation, rejects unknown fields instead), tuples as
// fixed-length arrays, int-or-string quantities, and the CEL rules from ./rules.ts attached to spec (and
// the name rules to the object itself).
import { z } from "zod";
import { nameRules, specRules, transitionRules } from "./rules";
import { QUANTITY_PATTERN, specSchema } from "./schema";
import { statusSchema } from "./status-schema";

export type JSONSchemaProps = Record<string, unknown>;

const SAFE = Number.MAX_SAFE_INTEGER;

/** Reshapes one zod-generated JSON Schema node (recursively) into its structural equivalent. */
function toStructural(node: JSONSchemaProps): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case "$schema":
        break;
      case "additionalProperties":
        if (value !== false) out[key] = typeof value === "object" ? toStructural(value as JSONSchemaProps) : value;
        break;
      case "const":
        out.enum = [value];
        break;
      case "minimum":
      case "maximum":
        // z.int() bounds itself to the JS safe range; not a user-facing bound.
        if (Math.abs(value as number) !== SAFE) out[key] = value;
        break;
      case "properties":
        out[key] = Object.fromEntries(Object.entries(value as Record<string, JSONSchemaProps>).map(([k, v]) => [k, toStructural(v)]));
        break;
      case "prefixItems": {
        // A tuple of one element type, e.g. an edge [a, b]: a fixed-length array of that type.
        const items = (value as JSONSchemaProps[]).map(toStructural);
        const first = JSON.stringify(items[0]);
        if (!items.every((i) => JSON.stringify(i) === first)) throw new Error("crd schema: mixed-type tuple");
        out.items = items[0];
        break;
      }
      case "items":
        if (value !== false && !("prefixItems" in node)) out[key] = toStructural(value as JSONSchemaProps);
        break;
      case "anyOf":
      case "oneOf":
        Object.assign(out, intOrString(value as JSONSchemaProps[]));
        break;
      default:
        if (key.startsWith("$")) throw new Error(`crd schema: unsupported keyword ${key}`);
        out[key] = value;
    }
  }
  return out;
}

/** A quantity (`int | string`) becomes the shape the API server's own types publish. */
function intOrString(branches: JSONSchemaProps[]): JSONSchemaProps {
  const types = branches.map((b) => b.type).sort();
  if (types.length !== 2 || types[0] !== "integer" || types[1] !== "string")
    throw new Error(`crd schema: only int-or-string unions are structural, got ${JSON.stringify(types)}`);
  const str = branches.find((b) => b.type === "string")!;
  if (str.pattern !== QUANTITY_PATTERN) throw new Error("crd schema: int-or-string is only used for quantities");
  // The integer branch's bound (a quantity is never negative) applies to integers only, as the pattern to strings.
  const min = branches.find((b) => b.type === "integer")!.minimum;
  return { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true, pattern: QUANTITY_PATTERN, minimum: min };
}

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): JSONSchemaProps {
  return toStructural(z.toJSONSchema(schema, { io, unrepresentable: "throw" }));
}

/** The spec part: as users write it (defaults filled by the API server), with the CEL rules. */
function specOpenApiSchema(): JSONSchemaProps {
  const spec = jsonSchemaOf(specSchema, "input");
  spec["x-kubernetes-validations"] = [...specRules, ...transitionRules].map((r) => ({ ...r }));
  return spec;
}

function statusOpenApiSchema(): JSONSchemaProps {
  const status = jsonSchemaOf(statusSchema, "output");
  // The controller writes status in one piece, but an old or partial status must not be refused.
  delete status.required;
  const props = status.properties as Record<string, JSONSchemaProps>;
  Object.assign(props.conditions, { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] });
  Object.assign(props.nodes, { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["ordinal"] });
  return status;
}

/** The `openAPIV3Schema` of the bitcoinnetworks.regnet.dev CRD (v1alpha1). */
export function crdOpenApiSchema(): JSONSchemaProps {
  return {
    type: "object",
    description: "BitcoinNetwork: a Bitcoin regtest network of nodes wired by regnet",
    // No fieldPath here: the API server resolves it against the schema, which does not declare metadata's fields.
    "x-kubernetes-validations": nameRules.map(({ fieldPath: _, ...r }) => r),
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      // An object with no spec gets every default (one Bitcoin Core node). Spelled out in full: the
      // API server checks the CEL rules against a default as written, before nested defaults.
      spec: { ...specOpenApiSchema(), default: specSchema.parse({}) },
      status: statusOpenApiSchema(),
    },
  };
}
