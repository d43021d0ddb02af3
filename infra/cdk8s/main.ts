// `cdk8s synth` entry (cdk8s.yaml): the CLI sets CDK8S_OUTDIR, which App reads.
import { defineApps } from "./app";

for (const app of defineApps()) app.synth();
