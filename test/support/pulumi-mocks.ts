// The stack program under Pulumi's mocks: what it declares for a given config (create/update never run).
import * as pulumi from "@pulumi/pulumi";
import { regnetStack } from "../../infra/pulumi/stack";
import { repoRoot } from "../../sandbox/toolchain/paths";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

/** `program` runs the stack program and returns its outputs (default: regnetStack on the repo). */
export async function declared(
  config: Record<string, string>,
  program: () => ReturnType<typeof regnetStack> = () => regnetStack(repoRoot),
  /** Keys set as secrets (`pulumi config set --secret`). */
  secretKeys: string[] = [],
): Promise<Registered[]> {
  const registered: Registered[] = [];
  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: inputs };
      },
      call: () => ({}),
    },
    "regnet",
    "test",
    false,
  );
  const out = program();
  await new Promise<void>((resolve) => pulumi.output(out.networks).apply(() => resolve()));
  return registered;
}
