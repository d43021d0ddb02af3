// A provider whose Pulumi CLI is gone ends (provider/pulumi/engine-gone.ts). Run in Pulumi's real
// dynamic-provider host (its uncaughtException handler is what made an orphaned provider spin): the
// test holds the read end of the host's stderr, as the CLI does, and closes it, as the CLI's death does.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { once } from "node:events";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { EXIT_ENGINE_GONE } from "../../provider/pulumi/engine-gone";

const HOST = path.join(repoRoot, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js");
const PRELOAD = path.join(__dirname, "..", "fixtures", "engine-gone-fixture.js");

test("a provider writing progress exits with SIGPIPE's status once the CLI's end of its stderr is closed", async (t) => {
  // The engine address is only required to be there: the host dials it for nothing before a call.
  const host = spawn(process.execPath, ["-r", PRELOAD, HOST, "127.0.0.1:1"], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => host.kill("SIGKILL"));
  const exited = once(host, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let said = "";
  for await (const chunk of host.stderr) if ((said += String(chunk)).includes("alpha: 0/3 ready")) break; // up, writing progress
  host.stderr.destroy(); // the only reader: what a SIGKILLed CLI leaves

  const outcome = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 30_000).unref())]);
  assert.notEqual(outcome, "running", "the provider still runs 30 s after its stderr's reader went (an orphan, spinning on EPIPE)");
  assert.deepEqual(outcome, [EXIT_ENGINE_GONE, null], said);
});
