// RPC error handling that needs no node: scrubbing and which failures are retried.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RpcError, scrub, authForms, isRetryable } from "../../provider/rpc/errors";

test("scrub removes the password in plain, URL-encoded and Basic-auth forms", () => {
  const pw = "s3cr/t+pw";
  const basic = Buffer.from(`regnet:${pw}`).toString("base64");
  const text = `auth ${pw} url ${encodeURIComponent(pw)} header Basic ${basic}`;
  const out = scrub(text, authForms("regnet", pw));
  assert.ok(!out.includes(pw) && !out.includes(encodeURIComponent(pw)) && !out.includes(basic), out);
  assert.equal(out.split("[redacted]").length - 1, 3);
});

test("RpcError names method, node and code", () => {
  const e = new RpcError("addnode", "ns/net-1", -8, "peer already connected");
  assert.equal(e.message, "addnode on ns/net-1 failed (-8): peer already connected");
  assert.deepEqual([e.method, e.node, e.code], ["addnode", "ns/net-1", -8]);
});

test("retries: warm-up and refused always; reset/timeout only where repeating is harmless", () => {
  const rows: [number | string, boolean, boolean][] = [
    // code, non-repeatable write?, retried?
    [-28, false, true],
    [-28, true, true],
    ["ECONNREFUSED", true, true],
    ["ECONNRESET", false, true],
    ["ECONNRESET", true, false],
    ["TIMEOUT", false, true],
    ["TIMEOUT", true, false],
    [-8, false, false],
    ["HTTP_401", false, false],
  ];
  for (const [code, write, want] of rows) {
    assert.equal(isRetryable(new RpcError("m", "n", code, "x"), write), want, `${code} write=${write}`);
  }
  assert.equal(isRetryable(new Error("plain"), false), false);
});
