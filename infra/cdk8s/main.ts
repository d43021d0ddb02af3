// `cdk8s synth` entry (cdk8s.yaml): the CLI sets CDK8S_OUTDIR, which App reads.
import { App } from "cdk8s";
import { defineApp } from "./app";

const app = new App();
defineApp(app);
app.synth();
