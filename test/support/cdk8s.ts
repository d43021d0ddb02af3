// cdk8s's Testing.app() makes a temp outdir per app and never removes it: this one is removed when
// the test file is done.
import { after } from "node:test";
import * as fs from "node:fs";
import { Testing, type App } from "cdk8s";

const outdirs: string[] = [];
after(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

export function testApp(): App {
  const app = Testing.app();
  outdirs.push(app.outdir);
  return app;
}
