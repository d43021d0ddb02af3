// The stack program under Pulumi's mocks: what it declares for a given config (create/update never run).
import * as pulumi from "@pulumi/pulumi";
import { regnetStack } from "../../infra/pulumi/stack";
import { repoRoot } from "../../sandbox/toolchain/paths";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
}

export async function declared(config: Record<string, string>): Promise<Registered[]> {
  const registered: Registered[] = [];
  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    "regnet",
    "test",
    false,
  );
  const out = regnetStack(repoRoot);
  await new Promise<void>((resolve) => pulumi.output(out.networks).apply(() => resolve()));
  return registered;
}
