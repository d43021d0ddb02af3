// The leader-election decision (pure): who may write the Lease, when, and what they write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decide, microTime, type LeaseRecord } from "../../provider/controller/leader";

const T0 = Date.parse("2026-11-23T12:00:00.000Z");
const me = "pod-a_1234";
const other = "pod-b_5678";
const held = (holder: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: microTime(T0 - 60_000),
  renewTime: microTime(T0 - 1_000),
  leaseTransitions: 3,
  ...extra,
});

test("microTime writes RFC 3339 with six fractional digits", () => {
  assert.equal(microTime(Date.parse("2026-11-23T12:00:00.123Z")), "2026-11-23T12:00:00.123000Z");
});

const cases: {
  name: string;
  current: LeaseRecord | undefined;
  observedAgoMs: number;
  want: "held-by-other" | "acquire" | "renew";
  transitions?: number;
}[] = [
  { name: "no Lease yet: create it", current: undefined, observedAgoMs: 0, want: "acquire", transitions: 0 },
  { name: "held by another, seen changing just now: wait", current: held(other), observedAgoMs: 0, want: "held-by-other" },
  { name: "held by another, unchanged for 14 s of 15: wait", current: held(other), observedAgoMs: 14_000, want: "held-by-other" },
  { name: "held by another, unchanged for 15 s: take over", current: held(other), observedAgoMs: 15_000, want: "acquire", transitions: 4 },
  {
    name: "held by another, unchanged for a minute: take over",
    current: held(other),
    observedAgoMs: 60_000,
    want: "acquire",
    transitions: 4,
  },
  {
    name: "the holder's own lease duration counts, not ours",
    current: held(other, { leaseDurationSeconds: 60 }),
    observedAgoMs: 30_000,
    want: "held-by-other",
  },
  {
    name: "released (empty holder): take it at once",
    current: held("", { leaseDurationSeconds: 1 }),
    observedAgoMs: 0,
    want: "acquire",
    transitions: 4,
  },
  { name: "held by me: renew, keeping acquireTime and transitions", current: held(me), observedAgoMs: 0, want: "renew", transitions: 3 },
  { name: "held by me even if unrenewed for long: renew", current: held(me), observedAgoMs: 120_000, want: "renew", transitions: 3 },
];

for (const c of cases) {
  test(`decide: ${c.name}`, () => {
    const d = decide(c.current, T0 - c.observedAgoMs, me, T0, 15);
    if (c.want === "held-by-other") {
      assert.equal(d.kind, "held-by-other");
      if (d.kind === "held-by-other") {
        assert.equal(d.holder, other);
        assert.ok(d.expiresInMs > 0);
      }
      return;
    }
    assert.equal(d.kind, "write");
    if (d.kind !== "write") return;
    assert.equal(d.acquired, c.want === "acquire");
    assert.equal(d.record.holderIdentity, me);
    assert.equal(d.record.leaseDurationSeconds, 15);
    assert.equal(d.record.renewTime, microTime(T0));
    assert.equal(d.record.leaseTransitions, c.transitions);
    assert.equal(d.record.acquireTime, c.want === "renew" ? c.current!.acquireTime : microTime(T0));
  });
}

test("decide: a takeover reports how long the current holder still has", () => {
  const d = decide(held(other), T0 - 5_000, me, T0, 15);
  assert.deepEqual(d, { kind: "held-by-other", holder: other, expiresInMs: 10_000 });
});
