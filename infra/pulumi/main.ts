// Entry for `pulumi up` in the project directory (Pulumi.yaml `main`): the same function the demo
// and the tests run inline through the Automation API. The language host runs this file with its
// own folder as working directory; the SDK tells the program where Pulumi.yaml is.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { regnetStack } from "./stack";

const projectDir = pulumi.getRootDirectory();
if (!path.isAbsolute(projectDir)) {
  throw new Error(
    `regnet: the Pulumi CLI did not pass the project's root directory (got "${projectDir}"); use Pulumi CLI 3.259.0 or newer`,
  );
}

export = regnetStack(projectDir);
