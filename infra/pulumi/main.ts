// Entry for `pulumi up` in the project directory (Pulumi.yaml `main`): the same function the demo
// and the tests run inline through the Automation API.
import { regnetStack } from "./stack";

export = regnetStack();
