// The bitcoinnetworks.regnet.dev CRD. Its schema is the engine's own (provider/spec): the same
// definition validateSpec checks with, so the API server and the engine refuse the same specs.
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { GROUP, KIND, PLURAL, VERSION } from "../../provider/spec/constants";
import { crdOpenApiSchema } from "../../provider/spec/crd-schema";
import { platformLabels } from "./defaults";

export interface BitcoinNetworkCrdProps {
  /**
   * Short names for kubectl (`kubectl get btcnet`).
   * @default ["btcnet"]
   */
  readonly shortNames?: string[];
  /**
   * Categories: `kubectl get regnet` lists every kind in the category.
   * @default ["regnet"]
   */
  readonly categories?: string[];
}

export class BitcoinNetworkCrd extends Construct {
  /** `<plural>.<group>`: the only name the API server accepts for this CRD. */
  readonly name = `${PLURAL}.${GROUP}`;

  constructor(scope: Construct, id: string, props: BitcoinNetworkCrdProps = {}) {
    super(scope, id);
    // A plain ApiObject: the schema passes through verbatim (the typed L1 would rename
    // `x-kubernetes-validations` and friends).
    new ApiObject(this, "crd", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: this.name, labels: platformLabels("crd") },
      spec: {
        group: GROUP,
        scope: "Namespaced",
        names: {
          kind: KIND,
          listKind: `${KIND}List`,
          plural: PLURAL,
          singular: KIND.toLowerCase(),
          shortNames: props.shortNames ?? ["btcnet"],
          categories: props.categories ?? ["regnet"],
        },
        versions: [
          {
            name: VERSION,
            served: true,
            storage: true,
            schema: { openAPIV3Schema: crdOpenApiSchema() },
            subresources: {
              status: {},
              // `kubectl scale bitcoinnetwork/x --replicas=5` sets .spec.nodes.
              scale: {
                specReplicasPath: ".spec.nodes",
                statusReplicasPath: ".status.readyNodes",
                labelSelectorPath: ".status.selector",
              },
            },
            additionalPrinterColumns: [
              { name: "Nodes", type: "integer", jsonPath: ".spec.nodes" },
              { name: "Ready", type: "integer", jsonPath: ".status.readyNodes" },
              { name: "Wired", type: "boolean", jsonPath: ".status.wired" },
              { name: "Synced", type: "boolean", jsonPath: ".status.synced" },
              { name: "Height", type: "integer", jsonPath: ".status.height" },
              { name: "Implementation", type: "string", jsonPath: ".spec.implementation", priority: 1 },
              { name: "Topology", type: "string", jsonPath: ".spec.topology.type", priority: 1 },
              { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
            ],
          },
        ],
      },
    });
  }
}
