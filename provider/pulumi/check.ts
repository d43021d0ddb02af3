// Input validation for the BitcoinNetwork resource, run by `check` at preview and again before
// create/update. Every problem becomes a `{property, reason}` failure that names the property and says
// how to fix it, so bad input is refused before anything exists. The spec is validated by the engine's
// own validator (one schema for CRD, controller and Pulumi); this module only adds the resource-level
// fields. Values still unknown at preview are let through: check runs again once they are known.
// It reads no cluster, only whether a kubeconfigPath names a file.
import * as fs from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import { containsUnknown, isUnknown } from "./unknown";
import { kubeconfigFile } from "./project-dir";

type SpecValidation = { ok: true; spec: unknown } | { ok: false; issues: { field: string; message: string }[] };
export type SpecValidator = (input: unknown) => SpecValidation;
/** The problems among a spec's known values while others are still unknown (preview). */
export type KnownPartsValidator = (input: unknown, isUnknown: (v: unknown) => boolean) => { field: string; message: string }[];
/** The engine's name rule (a network's name prefixes its StatefulSet, Service and pods). */
export type NameValidator = (name: unknown) => { field: string; message: string }[];

type Props = Record<string, unknown>;
type Failure = pulumi.dynamic.CheckFailure;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_TIMEOUT_SECONDS = 24 * 3600;

export function checkNetwork(
  news: Props,
  validateSpec: SpecValidator,
  validateName: NameValidator,
  validateKnownParts: KnownPartsValidator,
): { inputs: Props; failures: Failure[] } {
  const failures: Failure[] = [];
  const inputs: Props = { ...news };

  if (!isUnknown(news.name))
    for (const issue of validateName(news.name))
      failures.push({ property: "name", reason: issue.message.replace("metadata.name", "name") });
  checkLabel(news.namespace, "namespace", 63, "the namespace to create the network in", failures);
  checkOptionalString(news.kubeconfigPath, "kubeconfigPath", "a path to a kubeconfig file", failures);
  if (
    typeof news.kubeconfigPath === "string" &&
    news.kubeconfigPath &&
    !isUnknown(news.kubeconfigPath) &&
    !fs.existsSync(kubeconfigFile(news.kubeconfigPath))
  ) {
    failures.push({
      property: "kubeconfigPath",
      reason: `no file at ${kubeconfigFile(news.kubeconfigPath)}: fix regnet:kubeconfigPath (relative to the project directory), or leave it out to use $REGNET_KUBECONFIG, $KUBECONFIG or ~/.kube/config`,
    });
  }
  checkOptionalString(news.kubeconfig, "kubeconfig", "the contents of a kubeconfig (as a Pulumi secret)", failures);
  const timeout = news.convergeTimeoutSeconds;
  if (timeout !== undefined && !isUnknown(timeout)) {
    if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      failures.push({
        property: "convergeTimeoutSeconds",
        reason: `must be a whole number of seconds between 1 and ${MAX_TIMEOUT_SECONDS} (got ${JSON.stringify(timeout)}); omit it for the default of 600`,
      });
    }
  }

  const spec = news.spec;
  if (spec === undefined || spec === null || (typeof spec !== "object" && !isUnknown(spec)) || Array.isArray(spec)) {
    failures.push({
      property: "spec",
      reason: `must be an object describing the network, e.g. { nodes: 3, implementation: "btcd" } (got ${JSON.stringify(spec)})`,
    });
  } else if (!containsUnknown(spec)) {
    const result = validateSpec(spec);
    if (result.ok) inputs.spec = result.spec;
    else
      for (const issue of result.issues) failures.push({ property: issue.field ? `spec.${issue.field}` : "spec", reason: issue.message });
  } else if (!isUnknown(spec)) {
    // A known mistake next to an unknown value is refused at preview already.
    for (const issue of validateKnownParts(spec, isUnknown)) failures.push({ property: `spec.${issue.field}`, reason: issue.message });
  }
  return { inputs, failures };
}

function checkLabel(value: unknown, property: string, max: number, what: string, failures: Failure[]): void {
  if (isUnknown(value)) return;
  if (typeof value !== "string" || value.length === 0) {
    failures.push({ property, reason: `is required: set ${what}, a DNS-1123 label such as "regtest-a"` });
  } else if (value.length > max || !DNS1123_LABEL.test(value)) {
    failures.push({
      property,
      reason: `"${value}" is not a valid name: use at most ${max} lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. "regtest-a")`,
    });
  }
}

function checkOptionalString(value: unknown, property: string, what: string, failures: Failure[]): void {
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string" || value.length === 0) {
    failures.push({
      property,
      reason: `must be ${what}, or left out (got ${typeof value === "string" ? "an empty string" : typeof value})`,
    });
  }
}
