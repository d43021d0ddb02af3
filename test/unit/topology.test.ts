// Topology: the edges per type, degree, reproducibility for a seed, and connectedness of random
// graphs over many seeds and sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Edge, desiredEdges, edgesAmong, expectedPeers, seededRandom } from "../../provider/engine/wiring/topology";
import type { Topology } from "../../provider/spec";

function connected(edges: readonly Edge[], n: number): boolean {
  if (n <= 1) return true;
  const seen = new Set([0]);
  const stack = [0];
  while (stack.length) {
    const a = stack.pop()!;
    for (const b of expectedPeers(edges, a)) {
      if (seen.has(b)) continue;
      seen.add(b);
      stack.push(b);
    }
  }
  return seen.size === n;
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

test("random: connected, every node has ≥ degree peers and few more, for many seeds and sizes", () => {
  let graphs = 0;
  let maxExcess = 0;
  for (const n of [2, 3, 4, 5, 8, 13, 30, 100]) {
    for (const degree of [1, 2, 3, 5, 10, 99]) {
      if (degree >= n) continue;
      for (let seed = 0; seed < 40; seed++) {
        const edges = desiredEdges({ type: "random", degree, seed }, n);
        wellFormed(edges, n);
        assert.ok(connected(edges, n), `n=${n} degree=${degree} seed=${seed} not connected`);
        for (let i = 0; i < n; i++) {
          const d = expectedPeers(edges, i).length;
          assert.ok(d >= degree, `n=${n} degree=${degree} seed=${seed}: node ${i} has ${d}`);
          maxExcess = Math.max(maxExcess, d - Math.max(degree, 2));
        }
        graphs++;
      }
    }
  }
  assert.ok(maxExcess <= 1, `degrees stay within 1 of max(degree, 2), saw +${maxExcess}`);
  assert.ok(graphs > 1000);
});

test("random: average degree close to the target", () => {
  const n = 100;
  for (const degree of [2, 4, 8]) {
    const edges = desiredEdges({ type: "random", degree, seed: 7 }, n);
    const avg = (2 * edges.length) / n;
    assert.ok(avg >= degree && avg <= degree + 1, `degree ${degree}: average ${avg}`);
  }
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
