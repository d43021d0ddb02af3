// The wiring plan: add what is missing, remove what departed or moved, leave not-ready peers be, and
// nothing at all for a settled network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { desiredEdges, expectedPeers } from "../../provider/engine/wiring/topology";
import { type NodeWiring, planWiring } from "../../provider/engine/wiring/plan";
import { peerAddress, type NodeView } from "../../provider/engine/node";
import { nodeIp as ip, nodeView, type NodeSketch } from "../support/nodes";

const addr = (o: number) => `${ip(o)}:18444`;
/** A node that answered, having added `added`; `nodeIp` null: no IP yet. */
const node = (ordinal: number, added: string[] = [], ready = true, nodeIp: string | null = ip(ordinal), more: NodeSketch = {}): NodeView =>
  nodeView(ordinal, { added, ready, ip: nodeIp, ...more });

test("peerAddress", () => {
  assert.equal(peerAddress("10.0.0.1"), "10.0.0.1:18444");
  assert.equal(peerAddress("fd00::5", 18444), "[fd00::5]:18444");
});

const ring4 = desiredEdges({ type: "ring" }, 4); // 0-1 0-3 1-2 2-3
const mesh3 = desiredEdges({ type: "mesh" }, 3);

const cases: [string, ReturnType<typeof desiredEdges>, NodeView[], NodeWiring[]][] = [
  [
    "fresh ring of 4: the lower ordinal of each edge dials the higher",
    ring4,
    [node(0), node(1), node(2), node(3)],
    [
      { ordinal: 0, add: [addr(1), addr(3)], remove: [] },
      { ordinal: 1, add: [addr(2)], remove: [] },
      { ordinal: 2, add: [addr(3)], remove: [] },
    ],
  ],
  ["settled ring of 4: empty plan", ring4, [node(0, [addr(1), addr(3)]), node(1, [addr(2)]), node(2, [addr(3)]), node(3)], []],
  [
    "address case and spacing do not cause churn",
    mesh3,
    [node(0, [` ${addr(1)}`, addr(2).toUpperCase()]), node(1, [addr(2)]), node(2)],
    [],
  ],
  [
    "partially wired: only the missing edge is added",
    mesh3,
    [node(0, [addr(1)]), node(1, [addr(2)]), node(2)],
    [{ ordinal: 0, add: [addr(2)], remove: [] }],
  ],
  [
    "scale 5 → 2: survivors drop the departed peers",
    desiredEdges({ type: "mesh" }, 2),
    [node(0, [addr(1), addr(2), addr(3), addr(4)]), node(1, [addr(2), addr(3), addr(4)])],
    [
      { ordinal: 0, add: [], remove: [addr(2), addr(3), addr(4)] },
      { ordinal: 1, add: [], remove: [addr(2), addr(3), addr(4)] },
    ],
  ],
  [
    "a pod came back with a new IP: the old address goes, the new one comes",
    mesh3,
    [node(0, [addr(1), addr(2)]), node(1, [addr(2)]), node(2, [], true, "10.244.0.99")],
    [
      { ordinal: 0, add: ["10.244.0.99:18444"], remove: [addr(2)] },
      { ordinal: 1, add: ["10.244.0.99:18444"], remove: [addr(2)] },
    ],
  ],
  [
    "a peer that is restarting (not ready, same IP) keeps its entry and is not dialled anew",
    mesh3,
    [node(0, [addr(1)]), node(1, []), node(2, [], false)],
    [],
  ],
  [
    "a not-ready node is not asked to change, and a peer without an IP is not dialled",
    mesh3,
    [node(0, [], false), node(1, ["10.9.9.9:18444"]), node(2, [], true, null)],
    [{ ordinal: 1, add: [], remove: ["10.9.9.9:18444"] }],
  ],
  ["no nodes", [], [], []],
  ["one node, nothing to wire", [], [node(0)], []],
  [
    "duplicate stale entries are removed once",
    [],
    [node(0, ["10.1.1.1:18444", "10.1.1.1:18444"])],
    [{ ordinal: 0, add: [], remove: ["10.1.1.1:18444"] }],
  ],
];

for (const [name, edges, nodes, want] of cases) {
  test(`plan: ${name}`, () => {
    assert.deepEqual(planWiring(edges, nodes), want);
  });
}

test("applying a plan gives an empty plan next time (no-op reconcile makes no writes)", () => {
  for (const edges of [ring4, desiredEdges({ type: "random", degree: 2, seed: 3 }, 4), desiredEdges({ type: "mesh" }, 4)]) {
    const nodes = [node(0), node(1), node(2), node(3)];
    for (const step of planWiring(edges, nodes)) {
      const rpc = nodes[step.ordinal].rpc!;
      rpc.added = [
        ...rpc.added.filter((a) => !step.remove.includes(a.address)),
        ...step.add.map((address) => ({ address, connected: true })),
      ];
    }
    assert.deepEqual(planWiring(edges, nodes), []);
    // Every edge is dialled exactly once across the network.
    assert.equal(
      nodes.reduce((s, n) => s + n.rpc!.added.length, 0),
      edges.length,
    );
  }
});

// Catching up: with a chain on the network, two nodes that both lack it are not linked until one
// has it, and a node with no topology peer at the tip is seeded from the lowest-ordinal tip node.
const at = (n: NodeView, height: number, ibd?: boolean, peerIps: string[] = []): NodeView =>
  node(
    n.ordinal,
    n.rpc?.added.map((a) => a.address),
    n.ready,
    n.ip ?? null,
    { height, ibd, peerIps },
  );

test("plan: create (no chain yet) links every edge at once, no seeds", () => {
  const nodes = [0, 1, 2].map((o) => at(node(o), 0, true));
  assert.deepEqual(planWiring(mesh3, nodes), [
    { ordinal: 0, add: [addr(1), addr(2)], remove: [] },
    { ordinal: 1, add: [addr(2)], remove: [] },
  ]);
});

test("plan: mesh 3 → 5 with a chain: the new nodes link to the tip nodes first, not to each other", () => {
  const mesh5 = desiredEdges({ type: "mesh" }, 5);
  const nodes = [
    at(node(0, [addr(1), addr(2)]), 101, false),
    at(node(1, [addr(2)]), 101, false),
    at(node(2), 101, false),
    at(node(3), 0, true),
    at(node(4), 0, true),
  ];
  assert.deepEqual(planWiring(mesh5, nodes), [
    { ordinal: 0, add: [addr(3), addr(4)], remove: [] },
    { ordinal: 1, add: [addr(3), addr(4)], remove: [] },
    { ordinal: 2, add: [addr(3), addr(4)], remove: [] },
  ]);
  // Node 3 has caught up: now it links to node 4, still catching up.
  nodes[3] = at(node(3), 101, false);
  assert.deepEqual(
    planWiring(mesh5, nodes).find((w) => w.ordinal === 3),
    { ordinal: 3, add: [addr(4)], remove: [] },
  );
});

test("plan: ring 3 → 7: nodes with no neighbour at the tip are seeded from node 0; the old chord goes", () => {
  const ring7 = desiredEdges({ type: "ring" }, 7); // 0-1 0-6 1-2 2-3 3-4 4-5 5-6
  const nodes = [
    at(node(0, [addr(1), addr(2)]), 101, false),
    at(node(1, [addr(2)]), 101, false),
    at(node(2), 101, false),
    ...[3, 4, 5, 6].map((o) => at(node(o), 0, true)),
  ];
  assert.deepEqual(planWiring(ring7, nodes), [
    { ordinal: 0, add: [addr(6)], remove: [addr(2)] },
    { ordinal: 2, add: [addr(3)], remove: [] },
    { ordinal: 4, add: [], remove: [], seed: addr(0) },
    { ordinal: 5, add: [], remove: [], seed: addr(0) },
  ]);
  // Seeded (connected to a tip node): no second seed.
  nodes[4] = at(node(4), 0, true, [ip(0)]);
  assert.equal(
    planWiring(ring7, nodes).find((w) => w.ordinal === 4),
    undefined,
  );
});

test("plan: a node a block behind but out of initial block download is not held back", () => {
  const nodes = [at(node(0), 105, false), at(node(1), 104, false), at(node(2), 104, false)];
  assert.deepEqual(planWiring(mesh3, nodes), [
    { ordinal: 0, add: [addr(1), addr(2)], remove: [] },
    { ordinal: 1, add: [addr(2)], remove: [] },
  ]);
});

test("plan: btcd (no IBD flag): a lower height counts as catching up", () => {
  const nodes = [at(node(0, [addr(1)]), 101), at(node(1), 101), at(node(2), 0), at(node(3), 0)];
  const mesh4 = desiredEdges({ type: "mesh" }, 4);
  const plan = planWiring(mesh4, nodes);
  assert.deepEqual(
    plan.find((w) => w.ordinal === 2),
    undefined,
    "2-3 waits: both behind",
  );
  assert.deepEqual(
    plan.find((w) => w.ordinal === 0),
    { ordinal: 0, add: [addr(2), addr(3)], remove: [] },
  );
});

test("plan: an added peer that is not connected is dialled again; a connected one is not", () => {
  const nodes = [node(0, [addr(1), addr(2)], true, ip(0), { unconnected: [addr(2)] }), node(1, [addr(2)]), node(2)];
  assert.deepEqual(planWiring(mesh3, nodes), [{ ordinal: 0, add: [], remove: [], redial: [addr(2)] }]);
  // ...but not while that peer is restarting (not ready).
  nodes[2] = node(2, [], false);
  assert.deepEqual(planWiring(mesh3, nodes), []);
});

// Resizing a random network through the planner: the nodes that stay keep every link they have. On
// btcd a removed live link costs the node a restart (it cannot cancel its own redial), so a resize
// must plan no removal between two nodes that stay — only the new nodes' links, or the departed ones'.
test("plan: resizing a random network removes no link between nodes that stay (grow and shrink, many seeds)", () => {
  const random = (degree: number, seed: number, n: number) => desiredEdges({ type: "random", degree, seed }, n);
  /** Nodes 0..n-1 wired as `edges` want (each edge added by its lower end), all at height 101. */
  const settled = (edges: ReturnType<typeof desiredEdges>, n: number) =>
    Array.from({ length: n }, (_, o) =>
      at(
        node(
          o,
          expectedPeers(edges, o)
            .filter((p) => p > o)
            .map(addr),
        ),
        101,
        false,
      ),
    );
  const apply = (nodes: NodeView[], plan: NodeWiring[]) => {
    for (const step of plan) {
      const rpc = nodes[step.ordinal].rpc!;
      rpc.added = [
        ...rpc.added.filter((a) => !step.remove.includes(a.address)),
        ...step.add.map((address) => ({ address, connected: true })),
      ];
    }
  };
  let resizes = 0;
  for (let seed = 0; seed < 30; seed++) {
    for (const degree of [1, 2, 3, 5]) {
      for (const [n, k] of [
        [8, 3],
        [6, 5],
        [20, 2],
        [20, 10],
      ]) {
        if (degree >= n) continue;
        const small = random(degree, seed, n);
        const big = random(degree, seed, n + k);
        const newLinks = big.filter(([, b]) => b >= n).map(([a, b]) => `${a}→${addr(b)}`);

        // Grow n → n+k: the new nodes come up at height 0 and catch up; two passes (before and after).
        const nodes = [...settled(small, n), ...Array.from({ length: k }, (_, i) => at(node(n + i), 0, true))];
        const planned: string[] = [];
        for (let pass = 0; pass < 2; pass++) {
          const plan = planWiring(big, nodes);
          assert.deepEqual(
            plan.flatMap((w) => w.remove),
            [],
            `seed ${seed} degree ${degree}: ${n} → ${n + k} removes nothing`,
          );
          planned.push(...plan.flatMap((w) => w.add.map((a) => `${w.ordinal}→${a}`)));
          apply(nodes, plan);
          for (const x of nodes) Object.assign(x.rpc!.tip, { height: 101, ibd: false }); // caught up
        }
        assert.deepEqual(
          planned.sort(),
          newLinks.sort(),
          `seed ${seed} degree ${degree}: ${n} → ${n + k} adds exactly the new nodes' links`,
        );
        assert.ok(planned.length <= k * degree, `${planned.length} adds for ${k} new nodes of degree ${degree}`);
        assert.deepEqual(planWiring(big, nodes), []);

        // Shrink n+k → n: the pods beyond are not passed (reconcile leaves them out); the survivors
        // drop their links to departed nodes, and nothing else.
        const survivors = settled(big, n + k).slice(0, n);
        const departed = big.filter(([a, b]) => a < n && b >= n).map(([a, b]) => `${a}→${addr(b)}`);
        const plan = planWiring(small, survivors);
        assert.deepEqual(
          plan.flatMap((w) => w.add),
          [],
        );
        assert.deepEqual(
          plan.flatMap((w) => w.remove.map((a) => `${w.ordinal}→${a}`)).sort(),
          departed.sort(),
          `seed ${seed} degree ${degree}: ${n + k} → ${n} removes only the links to departed nodes`,
        );
        resizes++;
      }
    }
  }
  assert.ok(resizes > 400);
});
