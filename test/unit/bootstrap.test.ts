// When the initial blocks are mined: once, on node 0, and only once every node is wired, so each
// block is announced to peers that are already connected (a Core node in initial block download
// would otherwise sync from whichever single peer it met first, perhaps one with no blocks).
import { test } from "node:test";
import assert from "node:assert/strict";
import { blocksToMine } from "../../provider/engine/bootstrap";
import { nodeView } from "../support/nodes";

const mining = { mining: { initialBlocks: 101 } };
/** Node `ordinal`, Ready, at `height` (undefined: it did not answer). */
const view = (ordinal: number, height?: number, ready = true) => nodeView(ordinal, { ready, answered: height !== undefined, height });

test("a fresh network that is not wired yet waits; once wired, node 0 mines all initial blocks", () => {
  const nodes = [view(0, 0), view(1, 0), view(2, 0)];
  assert.equal(blocksToMine(mining, nodes, false), "waiting");
  assert.equal(blocksToMine(mining, nodes, true), 101);
});

test("a network that has its chain mines nothing, wired or not", () => {
  assert.equal(blocksToMine(mining, [view(0, 101), view(1, 0)], false), 0);
  assert.equal(blocksToMine(mining, [view(0, 150), view(1, 150)], true), 0);
});

test("node 0 behind a peer, or a ready node that did not answer: wait rather than mine blind", () => {
  assert.equal(blocksToMine(mining, [view(0, 10), view(1, 50)], true), "waiting");
  assert.equal(blocksToMine(mining, [view(0, 0), view(1)], true), "waiting");
});

test("initialBlocks 0 never mines", () => {
  assert.equal(blocksToMine({ mining: { initialBlocks: 0 } }, [view(0, 0)], true), 0);
});
