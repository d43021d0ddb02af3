// A user's RPC Secret (spec.rpc.secretName): what regnet accepts from it, and the Secret it derives
// for the nodes — the files a generated Secret would hold, which the StatefulSet then mounts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { credentialProblems, generateRpcCredentials } from "../../provider/engine/credentials";
import { SECRET_KEYS, buildSecret, buildStatefulSet, rpcConfigSecretName, secretCredentials } from "../../provider/engine/desired";
import { validateSpec, type BitcoinNetworkSpec } from "../../provider/spec";

function spec(input: unknown): BitcoinNetworkSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}
const ref = { name: "demo", namespace: "ns1" };
const b64 = (s: string) => Buffer.from(s).toString("base64");

test("credentialProblems: user/password accepted for Core; each defect named by its key", () => {
  assert.deepEqual(credentialProblems("bitcoin-core", { user: "alice", password: "s3cret-Pass" }), []);
  assert.deepEqual(credentialProblems("bitcoin-core", {}), [`"user" is missing or empty`, `"password" is missing or empty`]);
  assert.deepEqual(credentialProblems("bitcoin-core", { user: "a:b", password: "p" }), [`"user" must not contain ":" or white space`]);
  for (const bad of ["has#hash", "two\nlines", " padded"]) {
    const [p] = credentialProblems("bitcoin-core", { user: "u", password: bad });
    assert.match(p, /^"password" must be one line without "#"/, JSON.stringify(bad));
  }
});

test("credentialProblems: btcd also needs tls.crt and tls.key", () => {
  assert.deepEqual(credentialProblems("btcd", { user: "u", password: "p" }), [
    `"tls.crt" is missing (btcd's RPC certificate, PEM)`,
    `"tls.key" is missing (that certificate's private key, PEM)`,
  ]);
  const c = generateRpcCredentials("btcd", "demo");
  assert.deepEqual(credentialProblems("btcd", { user: "u", password: "p", tlsCert: c.tlsCert, tlsKey: c.tlsKey }), []);
});

test("secretCredentials reads what a Secret holds, leaving out what it lacks", () => {
  assert.deepEqual(secretCredentials({ data: { user: b64("alice"), password: b64("pw") } }), {
    user: "alice",
    password: "pw",
    rpcauth: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
  });
});

test("the derived Secret is named <network>-rpc-config, and the StatefulSet mounts and reads the Secret it is given", () => {
  const core = spec({ nodes: 1, rpc: { secretName: "users-creds" } });
  const creds = { ...generateRpcCredentials("bitcoin-core", "demo"), user: "alice" };
  const derived = buildSecret(ref, core, creds, rpcConfigSecretName(ref));
  assert.equal(derived.metadata!.name, "demo-rpc-config");
  assert.ok(derived.data![SECRET_KEYS.rpcauth] && derived.data![SECRET_KEYS.cliConf]);
  const s = buildStatefulSet(ref, core, { configHash: "h", secretName: "demo-rpc-config" });
  assert.equal(s.spec!.template.spec!.volumes![0].secret!.secretName, "demo-rpc-config");
  const env = s.spec!.template.spec!.containers[0].env!;
  assert.deepEqual(
    env.map((e) => e.valueFrom?.secretKeyRef),
    [{ name: "demo-rpc-config", key: SECRET_KEYS.rpcauth }],
  );
});
