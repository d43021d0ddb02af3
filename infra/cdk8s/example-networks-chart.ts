// Two example networks declared with the typed constructs imported from the CRD (./imports): a
// three-node btcd ring and a two-node Bitcoin Core mesh that mines a block every 30 s.
import { Chart, ChartProps } from "cdk8s";
import { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { BitcoinNetwork, BitcoinNetworkSpecImplementation, BitcoinNetworkSpecTopologyType } from "./imports/regnet.dev";

export interface ExampleNetworksChartProps extends Omit<ChartProps, "namespace"> {
  /**
   * Namespace the example networks live in (created by this chart).
   * @default "regnet-examples"
   */
  readonly namespace?: string;
}

export class ExampleNetworksChart extends Chart {
  readonly networks: BitcoinNetwork[];

  constructor(scope: Construct, id: string, props: ExampleNetworksChartProps = {}) {
    // No chart namespace: it would be stamped on the (cluster-scoped) Namespace too.
    super(scope, id, { labels: props.labels, disableResourceNameHashes: true });
    const namespace = props.namespace ?? "regnet-examples";
    new kplus.Namespace(this, "namespace", { metadata: { name: namespace } });

    this.networks = [
      new BitcoinNetwork(this, "btcd-ring", {
        metadata: { name: "btcd-ring", namespace },
        spec: {
          implementation: BitcoinNetworkSpecImplementation.BTCD,
          nodes: 3,
          topology: { type: BitcoinNetworkSpecTopologyType.RING },
          mining: { initialBlocks: 101 },
        },
      }),
      new BitcoinNetwork(this, "core-mesh", {
        metadata: { name: "core-mesh", namespace },
        spec: {
          implementation: BitcoinNetworkSpecImplementation.BITCOIN_HYPHEN_CORE,
          nodes: 2,
          topology: { type: BitcoinNetworkSpecTopologyType.MESH },
          mining: { initialBlocks: 101, intervalSeconds: 30 },
        },
      }),
    ];
  }
}
