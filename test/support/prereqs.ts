// Real parts that a machine may lack: Bitcoin Core and Pulumi's Node language host come from the
// prebuilt builds in ../shared/toolchain, which a user's fresh machine does not have. A test that
// needs one is skipped with the reason; `npm test` under CI=true fails on any skip (test/run.ts).
import * as fs from "node:fs";
import { toolPath, type BinaryName } from "../../sandbox/toolchain/paths";

const NEEDS: Record<string, BinaryName[]> = {
  "bitcoin-core": ["bitcoind", "bitcoin-cli"],
  "pulumi-language-nodejs": ["pulumi-language-nodejs"],
};

/** `false` when every binary of `part` is installed, else why the test is skipped (for `{ skip }`). */
export function missing(part: keyof typeof NEEDS): string | false {
  const absent = NEEDS[part].filter((b) => !fs.existsSync(toolPath(b)));
  return absent.length ? `${part} not installed (${absent.join(", ")}): \`npm run setup\` installs it from ../shared/toolchain` : false;
}
