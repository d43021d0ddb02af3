// Credentials: rpcauth verified by recomputing the HMAC as Bitcoin Core does; the btcd certificate
// parses, has the right extensions, matches its key, and a TLS client that pins it connects over an
// address the certificate does not name (how regnet reaches pods).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { generateRpcCredentials, rpcauthLine, selfSignedCert } from "../../provider/engine/credentials";

/** Bitcoin Core's check (httprpc.cpp CheckUserAuthorized): HMAC-SHA256(key = salt hex text, password). */
function coreAccepts(rpcauth: string, user: string, password: string): boolean {
  const m = /^([^:]+):([0-9a-f]+)\$([0-9a-f]{64})$/.exec(rpcauth);
  if (!m || m[1] !== user) return false;
  const hash = crypto.createHmac("sha256", m[2]).update(password).digest("hex");
  return crypto.timingSafeEqual(Buffer.from(hash), Buffer.from(m[3]));
}

test("rpcauth: Core's HMAC check accepts the password and refuses others", () => {
  const c = generateRpcCredentials("bitcoin-core", "demo");
  assert.equal(c.user, "regnet");
  assert.ok(coreAccepts(c.rpcauth, c.user, c.password));
  assert.ok(!coreAccepts(c.rpcauth, c.user, c.password + "x"));
  assert.ok(!coreAccepts(c.rpcauth, "other", c.password));
  assert.ok(!c.rpcauth.includes(c.password), "the password is not in the rpcauth line");
  assert.equal(c.tlsCert, undefined);
});

test("rpcauth: known vector (salt is the hex text key)", () => {
  const line = rpcauthLine("alice", "secret", "00112233445566778899aabbccddeeff");
  const expected = crypto.createHmac("sha256", Buffer.from("00112233445566778899aabbccddeeff", "utf8")).update("secret").digest("hex");
  assert.equal(line, `alice:00112233445566778899aabbccddeeff$${expected}`);
  // Keying with the salt's raw bytes instead would be a different (wrong) hash.
  const rawKeyed = crypto.createHmac("sha256", Buffer.from("00112233445566778899aabbccddeeff", "hex")).update("secret").digest("hex");
  assert.notEqual(expected, rawKeyed);
});

test("passwords are random, long and config-file safe", () => {
  const a = generateRpcCredentials("bitcoin-core", "x");
  const b = generateRpcCredentials("bitcoin-core", "x");
  assert.notEqual(a.password, b.password);
  assert.notEqual(a.rpcauth.split("$")[0], b.rpcauth.split("$")[0], "fresh salt each time");
  assert.match(a.password, /^[A-Za-z0-9_-]{43}$/);
});

test("btcd certificate: parses, self-signed, names loopback, matches its key", () => {
  const c = generateRpcCredentials("btcd", "demo");
  assert.ok(c.tlsCert && c.tlsKey);
  const x = new crypto.X509Certificate(c.tlsCert);
  assert.ok(x.checkIssued(x), "self-signed");
  assert.ok(x.verify(x.publicKey), "signature verifies");
  assert.ok(x.checkPrivateKey(crypto.createPrivateKey(c.tlsKey)), "key matches");
  assert.match(x.subject, /CN=demo\.regnet/);
  assert.ok(x.ca, "its own CA, so it can be the pinned trust anchor");
  assert.match(x.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  assert.match(x.subjectAltName ?? "", /DNS:localhost/);
  assert.equal(crypto.createPrivateKey(c.tlsKey).asymmetricKeyDetails?.modulusLength, 2048);
  const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 3000, `valid for years (${days.toFixed(0)} days)`);
  assert.match(c.tlsKey, /^-----BEGIN RSA PRIVATE KEY-----/, "PKCS#1, which btcd's Go TLS loads");
  assert.notEqual(selfSignedCert("demo").cert, c.tlsCert, "a new key and serial each time");
});

async function handshake(serverCert: { cert: string; key: string }, pinnedPem: string, host: string): Promise<string> {
  const server = tls.createServer({ cert: serverCert.cert, key: serverCert.key }, (s) => s.end("hello"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const pinned = new crypto.X509Certificate(pinnedPem).raw;
  try {
    return await new Promise<string>((resolve, reject) => {
      const sock = tls.connect({
        host: "127.0.0.1",
        port,
        servername: host,
        ca: pinnedPem,
        checkServerIdentity: (_h, cert) => (cert.raw && pinned.equals(cert.raw) ? undefined : new Error("not the pinned certificate")),
      });
      let data = "";
      sock.on("data", (d) => (data += d));
      sock.on("end", () => resolve(data));
      sock.on("error", reject);
    });
  } finally {
    server.close();
  }
}

test("a client pinning the certificate connects, whatever name it dials; another certificate is refused", async () => {
  const mine = selfSignedCert("demo");
  // "pod-ip.example" stands for a pod IP: not in the certificate, accepted because it is pinned.
  assert.equal(await handshake(mine, mine.cert, "pod-ip.example"), "hello");
  const other = selfSignedCert("demo");
  await assert.rejects(handshake(other, mine.cert, "pod-ip.example"));
});
