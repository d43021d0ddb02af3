// The dynamic provider object that Pulumi serializes into state (`__provider`) and evaluates again,
// with require-from-string, in the pulumi-resource-pulumi-nodejs process for every check/diff/create/
// read/update/delete. Everything a provider function captures is serialized with it and local modules
// are copied by value, so capturing the engine would inline the whole engine (and any value it held,
// credentials included) into the state file. Hence this object is nothing but trampolines: each call
// `require`s the compiled adapter (dist/provider/pulumi/adapter.js) at call time, by a path resolved
// in the provider process. State then holds a few hundred bytes of code and no engine, no config, no
// secret; editing the engine does not change `__provider`, so it does not show up as a diff.
//
// Where the adapter is found: $REGNET_PULUMI_ADAPTER if set, else the first
// `dist/provider/pulumi/adapter.js` in the provider process's working directory or one of its
// parents. The Pulumi CLI starts the provider in the program's folder (infra/pulumi/ for `pulumi up`
// in this repo: Pulumi.yaml's `main`) or in the Automation API workspace's workDir (kept under this
// repo's `.regnet/`), so both find the repo's build. The adapter's own requires (engine, @kubernetes/client-node, zod…) then resolve from
// the repo's node_modules as usual. (require-from-string gives the evaluated `__provider` module an
// empty filename, so a bare `require("x")` inside it would resolve from the working directory's
// node_modules chain; these trampolines need only node built-ins and one absolute path.)
/* eslint-disable @typescript-eslint/no-require-imports -- the trampolines load at call time, by design (above) */
import type * as pulumi from "@pulumi/pulumi";

/** What the adapter module exports: a provider that does the real work, outside the state file. */
interface AdapterModule {
  provider: Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;
}

function adapter(): AdapterModule["provider"] {
  // Only globals and built-ins here: whatever this function references is serialized into state.
  const nodePath = require("node:path") as typeof import("node:path");
  const fs = require("node:fs") as typeof import("node:fs");
  let file = process.env.REGNET_PULUMI_ADAPTER;
  for (let dir = process.cwd(); !file; dir = nodePath.dirname(dir)) {
    const candidate = nodePath.join(dir, "dist", "provider", "pulumi", "adapter.js");
    if (fs.existsSync(candidate)) file = candidate;
    else if (nodePath.dirname(dir) === dir) {
      throw new Error(
        `regnet: dist/provider/pulumi/adapter.js not found in ${process.cwd()} or its parents; ` +
          "run `npm run build` in the regnet checkout, or set REGNET_PULUMI_ADAPTER to its path",
      );
    }
  }
  return (require(file) as AdapterModule).provider;
}

export const bitcoinNetworkProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => adapter().check(olds, news),
  diff: (id, olds, news) => adapter().diff(id, olds, news),
  create: (inputs) => adapter().create(inputs),
  read: (id, props) => adapter().read(id, props),
  update: (id, olds, news) => adapter().update(id, olds, news),
  delete: (id, props) => adapter().delete(id, props),
};
