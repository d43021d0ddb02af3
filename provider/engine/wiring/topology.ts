// Which node peers with which: the topology of a spec as undirected edges [a, b] with a < b,
// sorted. Pure and deterministic; `random` is reproducible for a seed, always connected, and stable
// when the network is resized (see attachedEdges).
import type { Topology } from "../../spec";

export type Edge = [number, number];

function norm(a: number, b: number): Edge {
  return a < b ? [a, b] : [b, a];
}

function sortEdges(edges: Edge[]): Edge[] {
  return edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed for node `ordinal`'s own PRNG, from the network's seed. Hashed (murmur3's
 * finalizer), not added: mulberry32 streams of seeds a constant apart are the same stream shifted.
 */
function nodeSeed(seed: number, ordinal: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(ordinal + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** `k` distinct ordinals out of 0..i-1, uniformly (Floyd's algorithm: exactly k draws). */
function pickEarlier(i: number, k: number, rand: () => number): number[] {
  const picked = new Set<number>();
  for (let j = i - k; j < i; j++) {
    const t = Math.floor(rand() * (j + 1));
    picked.add(picked.has(t) ? j : t);
  }
  return [...picked];
}

/**
 * Random attachment: node i (i ≥ 1) links to min(i, degree) distinct earlier nodes, chosen by a
 * PRNG seeded from (seed, i) alone. Node i's links never depend on the network's size, so the graph
 * for n nodes is exactly the graph for n+k less the last k nodes: growing only adds the new nodes'
 * edges, shrinking only drops the departed nodes' edges, and no link between nodes that stay is
 * ever rewired (on btcd, a dropped live peer costs a node restart).
 *
 * Every node has at least min(degree, n-1) peers (node i < degree links to all earlier nodes and is
 * picked by every later j ≤ degree), and the graph is connected (each node links to an earlier one).
 * The mean degree is about 2·degree, earlier nodes collecting more (node 0 about
 * degree·(1 + ln(n/degree))). No resize-stable graph can do with fewer edges: at n = i+1, node i's
 * only links are to earlier nodes, so it needs min(degree, i) of them, which is all this makes.
 */
function attachedEdges(n: number, degree: number, seed: number): Edge[] {
  // later[j]: the nodes after j that link to it, ascending as i ascends: the edges come out sorted.
  const later = Array.from({ length: Math.max(n, 0) }, () => [] as number[]);
  for (let i = 1; i < n; i++) {
    for (const j of pickEarlier(i, Math.min(i, degree), seededRandom(nodeSeed(seed, i)))) later[j].push(i);
  }
  return later.flatMap((bs, a) => bs.map((b): Edge => [a, b]));
}

/** The edges the topology asks for among nodes 0..n-1. */
export function desiredEdges(topology: Topology, n: number): Edge[] {
  switch (topology.type) {
    case "mesh": {
      const edges: Edge[] = [];
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.push([a, b]);
      return edges;
    }
    case "ring": {
      if (n <= 1) return [];
      if (n === 2) return [[0, 1]];
      return sortEdges(Array.from({ length: n }, (_, i) => norm(i, (i + 1) % n)));
    }
    case "random":
      return attachedEdges(n, topology.degree ?? 2, topology.seed ?? 0);
    case "edges": {
      const seen = new Map<string, Edge>();
      for (const [x, y] of topology.edges ?? []) {
        if (x === y || x >= n || y >= n) continue;
        const e = norm(x, y);
        seen.set(`${e[0]},${e[1]}`, e);
      }
      return sortEdges([...seen.values()]);
    }
  }
}

/** The ordinals a node is linked to, ascending. */
export function expectedPeers(edges: readonly Edge[], ordinal: number): number[] {
  const peers: number[] = [];
  for (const [a, b] of edges) {
    if (a === ordinal) peers.push(b);
    else if (b === ordinal) peers.push(a);
  }
  return peers.sort((x, y) => x - y);
}

/** The edges whose both ends are in `ordinals` (e.g. the ready nodes). */
export function edgesAmong(edges: readonly Edge[], ordinals: Iterable<number>): Edge[] {
  const set = new Set(ordinals);
  return edges.filter(([a, b]) => set.has(a) && set.has(b));
}
