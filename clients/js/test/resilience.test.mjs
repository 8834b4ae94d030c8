// Delivery across failures, against a real roomd: 1,000 sends while the sender's
// connection is cut 20 times (a TCP proxy in this process) and the server is killed
// with `kill -9` and restarted twice. The receiving application must see every acked
// message exactly once, in seq order, and the store must hold every send once.
//
// CHAOS_SEED=<n> replays a run (the seed is printed).

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";
import { CuttingProxy } from "./helpers/proxy.mjs";
import { seededRandom, until, within, sleep } from "./helpers/util.mjs";

const SENDS = 1000;
const CUTS = 20;
const KILLS = 2;

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("1,000 sends through 20 connection cuts and 2 kill -9 restarts: each stored once, each seen once in order", async (t) => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`CHAOS_SEED=${seed}`);
  const random = seededRandom(seed);

  // Frame limits raised so the test exercises failures, not the rate limiter.
  const server = await RoomdServer.start({ ROOMD__LIMITS__MSGS_PER_SEC: "5000", ROOMD__LIMITS__BURST: "5000" });
  cleanups.push(() => server.dispose());
  const proxy = await CuttingProxy.start(server.port);
  cleanups.push(() => proxy.close());
  await server.api("POST", "/rooms", { id: "chaos", name: "Chaos" });
  const alice = await server.createToken("user", "alice");
  const bob = await server.createToken("user", "bob");

  const fast = { reconnectBackoff: { baseMs: 100, maxMs: 1000 }, WebSocket };
  // The receiver talks to the server directly (it sees the kills, not the cuts).
  const receiver = await connect(server.wsUrl, { token: bob.token, ...fast });
  cleanups.push(() => receiver.close());
  const seen = [];
  receiver.on("message", (m) => seen.push(m));
  let receiverDrops = 0;
  receiver.on("disconnected", () => receiverDrops++);
  await receiver.join("chaos");

  // The sender goes through the proxy.
  const sender = await connect(proxy.wsUrl, { token: alice.token, ...fast });
  cleanups.push(() => sender.close());
  const senderSeen = [];
  sender.on("message", (m) => senderSeen.push(m));
  let senderDrops = 0;
  sender.on("disconnected", () => senderDrops++);
  await sender.join("chaos");

  // Where the failures happen, as send indices.
  const cutAt = new Set();
  while (cutAt.size < CUTS) cutAt.add(1 + Math.floor(random() * (SENDS - 2)));
  const killAt = [250 + Math.floor(random() * 150), 600 + Math.floor(random() * 150)];
  t.diagnostic(`cuts at ${[...cutAt].sort((a, b) => a - b).join(",")}; kills at ${killAt.join(",")}`);

  // Connections of the sender that have said hello; a cut waits for one made after
  // the previous failure, so every cut hits a live connection.
  let senderConnects = 1; // connect() resolved on the first hello
  sender.on("connected", () => senderConnects++);
  let connectsAtLastFailure = 0;
  const waitFreshConnection = (what) =>
    until(
      () => sender.connected && senderConnects > connectsAtLastFailure,
      (f) => sender.on("connected", f),
      30000,
      what,
    );

  const acks = [];
  let restarting = Promise.resolve();
  for (let i = 0; i < SENDS; i++) {
    acks.push(sender.send("chaos", `message ${i}`));
    if (cutAt.has(i)) {
      // Cut a live connection (after a kill the sender may still be reconnecting).
      await restarting;
      await waitFreshConnection(`the sender to reconnect before the cut at send ${i}`);
      connectsAtLastFailure = senderConnects;
      assert.ok(proxy.cut() >= 1, `cut at send ${i} found no connection to cut`);
    }
    if (killAt.includes(i)) {
      await restarting;
      await waitFreshConnection(`the sender to reconnect before the kill at send ${i}`);
      await server.kill9();
      connectsAtLastFailure = senderConnects;
      restarting = server.start();
    }
    // Pace the sends a little so the failures land in the middle of the stream.
    if (i % 5 === 4) await sleep(2);
  }
  await restarting;

  const acked = await within(Promise.all(acks), 60000, "every send to be acked");
  assert.equal(acked.length, SENDS);
  const clientIds = new Set(acked.map((a) => a.client_id));
  assert.equal(clientIds.size, SENDS, "every send has its own client_id");
  const ackSeqs = new Set(acked.map((a) => a.seq));
  assert.equal(ackSeqs.size, SENDS, "every send was acked with its own seq");
  const maxSeq = Math.max(...ackSeqs);
  t.diagnostic(
    `acked ${acked.length} (${acked.filter((a) => a.duplicate).length} as duplicates of a stored resend); ` +
      `proxy cut ${proxy.connectionsCut} connections in ${proxy.cuts} cuts; sender disconnected ${senderDrops} times; server started ${server.starts} times`,
  );
  assert.equal(proxy.cuts, CUTS);
  assert.ok(proxy.connectionsCut >= CUTS, "every cut hit a live connection");
  assert.ok(senderDrops >= CUTS + KILLS, `the sender saw ${senderDrops} disconnects, expected at least ${CUTS + KILLS}`);
  assert.equal(server.starts, 1 + KILLS);
  assert.ok(receiverDrops >= KILLS, `the receiver lost its connection ${receiverDrops} times, expected at least ${KILLS} (the kills)`);

  // The receiving application: every acked message once, in seq order.
  for (const [name, client, list] of [
    ["receiver", receiver, seen],
    ["sender", sender, senderSeen],
  ]) {
    await until(
      () => (client.lastSeq("chaos") ?? 0) >= maxSeq,
      (f) => client.on("message", f),
      30000,
      () => `the ${name} to see seq ${maxSeq} (it is at ${client.lastSeq("chaos")})`,
    );
    for (let k = 1; k < list.length; k++) {
      assert.ok(list[k].seq > list[k - 1].seq, `${name}: seq ${list[k].seq} after ${list[k - 1].seq}`);
    }
    const mine = list.filter((m) => m.from.id === "alice");
    const counts = new Map();
    for (const m of mine) counts.set(m.client_id, (counts.get(m.client_id) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], `${name} saw these client_ids more than once`);
    const missing = [...clientIds].filter((id) => !counts.has(id));
    assert.deepEqual(missing, [], `${name} never saw these acked client_ids`);
    assert.equal(mine.length, SENDS);
    for (const m of mine) {
      const ack = acked.find((a) => a.client_id === m.client_id);
      assert.equal(m.seq, ack.seq, `${name}: ${m.client_id} delivered at seq ${m.seq}, acked as ${ack.seq}`);
    }
  }

  // The store: every client_id exactly once (admin API listing).
  const stored = (await server.storedMessages("chaos")).filter((m) => m.from.id === "alice");
  const storedCounts = new Map();
  for (const m of stored) storedCounts.set(m.client_id, (storedCounts.get(m.client_id) ?? 0) + 1);
  assert.deepEqual(
    [...storedCounts].filter(([, n]) => n !== 1),
    [],
    "client_ids stored more than once",
  );
  assert.equal(stored.length, SENDS, "the store holds each send once");
  assert.deepEqual(new Set(storedCounts.keys()), clientIds);
});

test("a truncated rejoin is filled from history: the application still sees every message once, in order", async (t) => {
  const server = await RoomdServer.start({ ROOMD__ROOMS__MAX_REPLAY: "5" });
  cleanups.push(() => server.dispose());
  const proxy = await CuttingProxy.start(server.port);
  cleanups.push(() => proxy.close());
  const reader = await server.createToken("user", "reader");
  const writer = await server.createToken("user", "writer");

  const client = await connect(proxy.wsUrl, { token: reader.token, WebSocket, reconnectBackoff: { baseMs: 50, maxMs: 200 } });
  cleanups.push(() => client.close());
  const seen = [];
  client.on("message", (m) => seen.push(m));
  await client.join("trunc");
  const other = await connect(server.wsUrl, { token: writer.token, WebSocket });
  cleanups.push(() => other.close());
  await other.join("trunc");
  const first = await other.send("trunc", "before the cut");
  await until(() => client.lastSeq("trunc") >= first.seq, (f) => client.on("message", f), 10000, "the first message");

  // Keep the reader away while 30 messages (more than max_replay = 5) are posted:
  // the proxy refuses it by cutting, the test posts, then lets it back.
  let blocked = true;
  const stopBlocking = client.on("connected", () => {
    if (blocked) proxy.cut();
  });
  proxy.cut();
  const posted = [];
  for (let i = 0; i < 30; i++) posted.push(await other.send("trunc", `while away ${i}`));
  blocked = false;
  stopBlocking();
  const joined = await client.waitFor("joined", (e) => e.resumed, 20000);
  assert.equal(joined.truncated, true, "the server truncated the replay (more than max_replay missed)");
  const lastSeq = posted[posted.length - 1].seq;
  await until(() => client.lastSeq("trunc") >= lastSeq, (f) => client.on("message", f), 10000, `seq ${lastSeq}`);
  const seqs = seen.map((m) => m.seq);
  const expected = [];
  for (let s = first.seq; s <= lastSeq; s++) expected.push(s);
  assert.deepEqual(seqs.filter((s) => s >= first.seq), expected);
  t.diagnostic(`resumed after a truncated join; saw seqs ${seqs[0]}..${seqs[seqs.length - 1]}`);
});
