// Topology: the edges per type; for random, over many seeds, sizes and degrees: reproducible,
// connected, at least `degree` peers each, and stable when the network grows or shrinks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Edge, desiredEdges, edgesAmong, expectedPeers, seededRandom } from "../../provider/engine/wiring/topology";
import type { Topology } from "../../provider/spec";

/** Union-find over the edges: one component holding every node. */
function connected(edges: readonly Edge[], n: number): boolean {
  const parent = Array.from({ length: n }, (_, i) => i);
  const root = (x: number): number => (parent[x] === x ? x : (parent[x] = root(parent[x])));
  let components = n;
  for (const [a, b] of edges) {
    const [ra, rb] = [root(a), root(b)];
    if (ra !== rb) {
      parent[ra] = rb;
      components--;
    }
  }
  return components <= 1;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function peerCounts(edges: readonly Edge[], n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const [a, b] of edges) {
    counts[a]++;
    counts[b]++;
  }
  return counts;
}

function wellFormed(edges: readonly Edge[], n: number): void {
  const keys = edges.map(([a, b]) => `${a},${b}`);
  assert.equal(new Set(keys).size, keys.length, "no duplicates");
  for (const [a, b] of edges) assert.ok(0 <= a && a < b && b < n, `edge [${a},${b}] in range and a<b`);
  const sorted = [...edges].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  assert.deepEqual(edges, sorted, "sorted");
}

const mesh: Topology = { type: "mesh" };
const ring: Topology = { type: "ring" };

test("mesh and ring: small cases", () => {
  const cases: [Topology, number, Edge[]][] = [
    [mesh, 0, []],
    [mesh, 1, []],
    [mesh, 2, [[0, 1]]],
    [
      mesh,
      3,
      [
        [0, 1],
        [0, 2],
        [1, 2],
      ],
    ],
    [ring, 0, []],
    [ring, 1, []],
    [ring, 2, [[0, 1]]],
    [
      ring,
      3,
      [
        [0, 1],
        [0, 2],
        [1, 2],
      ],
    ],
    [
      ring,
      4,
      [
        [0, 1],
        [0, 3],
        [1, 2],
        [2, 3],
      ],
    ],
  ];
  for (const [t, n, want] of cases) assert.deepEqual(desiredEdges(t, n), want, `${t.type} n=${n}`);
});

test("mesh and ring: sizes up to 100", () => {
  for (const n of [5, 17, 100]) {
    const m = desiredEdges(mesh, n);
    wellFormed(m, n);
    assert.equal(m.length, (n * (n - 1)) / 2);
    const r = desiredEdges(ring, n);
    wellFormed(r, n);
    assert.equal(r.length, n);
    for (let i = 0; i < n; i++) assert.equal(expectedPeers(r, i).length, 2);
    assert.ok(connected(r, n));
  }
});

test("edges: as given, normalized, deduped, sorted; out-of-range and self-loops dropped", () => {
  const t: Topology = {
    type: "edges",
    edges: [
      [2, 0],
      [0, 2],
      [1, 2],
      [3, 4],
      [1, 1],
    ],
  };
  assert.deepEqual(desiredEdges(t, 3), [
    [0, 2],
    [1, 2],
  ]);
  assert.deepEqual(desiredEdges({ type: "edges", edges: [] }, 3), []);
});

test("random: reproducible for a seed, different for another", () => {
  const t = (seed: number): Topology => ({ type: "random", degree: 3, seed });
  assert.deepEqual(desiredEdges(t(42), 20), desiredEdges(t(42), 20));
  assert.notDeepEqual(desiredEdges(t(42), 20), desiredEdges(t(43), 20));
  // The generator is a pure function of its seed (no Math.random, no shared state).
  const a = seededRandom(1);
  a();
  assert.equal(seededRandom(1)(), seededRandom(1)());
  assert.notEqual(seededRandom(1)(), seededRandom(2)());
  assert.notEqual(a(), seededRandom(1)());
});

test("random: the graph of a seed is fixed (a change to the generator would rewire every random network on upgrade)", () => {
  // prettier-ignore
  const want: Edge[] = [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [1, 5], [1, 6], [1, 7], [2, 3], [2, 4], [2, 5], [2, 6], [2, 7], [3, 5], [3, 7], [4, 6]];
  assert.deepEqual(desiredEdges({ type: "random", degree: 3, seed: 42 }, 8), want);
});

// Random graphs over many seeds, every size up to 100 and degree 1..10 (each size's graph is
// checked against the 100-node graph of the same seed, so every pair of sizes is covered). Failure
// messages are built only on failure: these loops check about a million facts.
const SEEDS = 12;
const DEGREES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const random = (degree: number, seed: number): Topology => ({ type: "random", degree, seed });
/** Σ_{i=1}^{n-1} min(i, degree): node i links to min(i, degree) earlier nodes. */
const attachedCount = (n: number, degree: number) =>
  Array.from({ length: Math.max(0, n - 1) }, (_, i) => Math.min(i + 1, degree)).reduce((a, b) => a + b, 0);
const check = (ok: boolean, why: () => string) => ok || assert.fail(why());
const key = ([a, b]: Edge) => a * 128 + b;
const sameEdges = (x: readonly Edge[], y: readonly Edge[]) => x.length === y.length && x.every((e, i) => key(e) === key(y[i]));

test("random: connected, every node has at least min(degree, n-1) peers, exactly Σ min(i, degree) links", () => {
  let graphs = 0;
  for (const degree of DEGREES) {
    for (let seed = 0; seed < SEEDS; seed++) {
      for (let n = 0; n <= 100; n++) {
        const at = () => `n=${n} degree=${degree} seed=${seed}`;
        const edges = desiredEdges(random(degree, seed), n);
        check(
          edges.every(([a, b], i) => 0 <= a && a < b && b < n && (i === 0 || key(edges[i - 1]) < key([a, b]))),
          () => `${at()}: edges in range, a < b, sorted, none twice`,
        );
        check(connected(edges, n), () => `${at()}: not connected`);
        const peers = peerCounts(edges, n);
        for (let i = 0; i < n; i++) check(peers[i] >= Math.min(degree, n - 1), () => `${at()}: node ${i} has ${peers[i]} peers`);
        // Node i's links to earlier nodes: all of them below degree, else exactly degree.
        const back = new Array<number>(n).fill(0);
        for (const [, b] of edges) back[b]++;
        for (let i = 0; i < n; i++) check(back[i] === Math.min(i, degree), () => `${at()}: node ${i} has ${back[i]} earlier peers`);
        check(edges.length === attachedCount(n, degree), () => `${at()}: ${edges.length} links`);
        graphs++;
      }
    }
  }
  assert.equal(graphs, DEGREES.length * SEEDS * 101);
});

test("random: resizing never rewires the nodes that stay (grow adds only the new nodes' links, shrink drops only the departed ones')", () => {
  for (const degree of DEGREES) {
    for (let seed = 0; seed < SEEDS; seed++) {
      const graphs = Array.from({ length: 101 }, (_, n) => desiredEdges(random(degree, seed), n));
      for (let n = 0; n <= 100; n++) {
        const at = () => `degree=${degree} seed=${seed}`;
        check(
          sameEdges(edgesAmong(graphs[100], range(n)), graphs[n]),
          () => `${at()}: 100 nodes restricted to 0..${n - 1} differ from ${n} nodes`,
        );
        for (const k of [1, 2, 3, 10]) {
          if (n + k > 100) continue;
          // The links among 0..n-1 at n+k nodes are exactly the n-node graph: growing n → n+k
          // removes and rewires nothing, and adds only links that touch a new node; shrinking
          // n+k → n drops only links that touch a departed node.
          const [small, big] = [graphs[n], graphs[n + k]];
          check(
            sameEdges(
              big.filter(([, b]) => b < n),
              small,
            ),
            () => `${at()}: ${n} ↔ ${n + k} changes links between nodes that stay`,
          );
          check(
            big.length - small.length <= k * degree,
            () => `${at()}: ${n} → ${n + k} adds ${big.length - small.length} links > k·degree`,
          );
        }
      }
    }
  }
});

test("random: about twice degree peers on average, earlier nodes more (node 0 ≈ degree·(1 + ln(n/degree)))", () => {
  const n = 100;
  for (const degree of [2, 3, 4, 8]) {
    // The mean is exact: 2·Σ min(i, degree) / n = 2·degree − degree·(degree+1)/n.
    const edges = desiredEdges(random(degree, 7), n);
    const mean = (2 * edges.length) / n;
    assert.ok(Math.abs(mean - (2 * degree - (degree * (degree + 1)) / n)) < 1e-9, `degree ${degree}: mean ${mean}`);
    // Node 0 is linked by nodes 1..degree, then by each later node i with chance degree/i: over many
    // seeds its mean peers match that sum (the choice is uniform over the earlier nodes).
    let want = degree;
    for (let i = degree + 1; i < n; i++) want += degree / i;
    let sum = 0;
    const seeds = 400;
    for (let seed = 0; seed < seeds; seed++) sum += peerCounts(desiredEdges(random(degree, seed), n), n)[0];
    const node0 = sum / seeds;
    assert.ok(
      Math.abs(node0 - want) < 0.05 * want,
      `degree ${degree}: node 0 has ${node0.toFixed(2)} peers on average, expected ≈ ${want.toFixed(2)}`,
    );
    assert.ok(Math.abs(want - degree * (1 + Math.log(n / degree))) < 0.1 * want, "the documented approximation holds");
  }
});

test("random: degree ≥ n-1 is the mesh; one node or none has no links", () => {
  for (const n of [2, 3, 5]) assert.deepEqual(desiredEdges(random(n - 1, 9), n), desiredEdges(mesh, n));
  assert.deepEqual(desiredEdges(random(3, 1), 1), []);
  assert.deepEqual(desiredEdges(random(3, 1), 0), []);
});

test("expectedPeers and edgesAmong", () => {
  const edges: Edge[] = [
    [0, 1],
    [0, 3],
    [1, 2],
    [2, 3],
  ];
  assert.deepEqual(expectedPeers(edges, 0), [1, 3]);
  assert.deepEqual(expectedPeers(edges, 2), [1, 3]);
  assert.deepEqual(expectedPeers(edges, 9), []);
  assert.deepEqual(edgesAmong(edges, [0, 1, 2]), [
    [0, 1],
    [1, 2],
  ]);
  assert.deepEqual(edgesAmong(edges, []), []);
});
