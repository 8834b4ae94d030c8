// Moderation against a real roomd: deleting messages (delete(), message_deleted,
// tombstones in history, forbidden), bans (room_closed "banned", a join refused with
// Banned, a rejoin after a reconnect refused with banned) and mutes (a send refused
// with Muted, not resent, not stored).

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect, Banned, Muted, RequestRefused } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";
import { CuttingProxy } from "./helpers/proxy.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

let serverPromise;
function sharedServer() {
  serverPromise ??= RoomdServer.start().then((s) => {
    cleanups.push(() => s.dispose());
    return s;
  });
  return serverPromise;
}

async function client(server, name, extra = {}) {
  const tok = await server.createToken("user", name);
  const c = await connect(extra.url ?? server.wsUrl, { token: tok.token, WebSocket, ...extra });
  cleanups.push(() => c.close());
  return c;
}

test("delete: both clients see message_deleted, history holds the tombstone; another's message is forbidden", async () => {
  const server = await sharedServer();
  const a = await client(server, "del-ann");
  const b = await client(server, "del-bob");
  await a.join("del");
  await b.join("del");

  const bGotMessage = b.waitFor("message", (m) => m.room === "del" && m.text === "oops", 10000);
  const ack = await a.send("del", "oops");
  await bGotMessage;
  const keep = await b.send("del", "bob's message");

  const seenA = a.waitFor("message_deleted", (e) => e.room === "del" && e.seq === ack.seq, 10000);
  const seenB = b.waitFor("message_deleted", (e) => e.room === "del" && e.seq === ack.seq, 10000);
  const reply = await a.delete("del", ack.seq, { reason: "typo" });
  assert.equal(reply.room, "del");
  assert.equal(reply.seq, ack.seq);
  assert.equal(reply.deleted_by, "del-ann");
  assert.equal(typeof reply.deleted_at, "string");
  for (const e of [await seenA, await seenB]) {
    assert.equal(e.type, "message_deleted");
    assert.equal(e.deleted_by, "del-ann");
    assert.equal(e.deleted_at, reply.deleted_at);
  }

  const page = await b.historyPage("del");
  const tomb = page.messages.find((m) => m.seq === ack.seq);
  assert.ok(tomb, "the tombstone keeps its seq");
  assert.equal(tomb.deleted, true);
  assert.equal(tomb.text, "");
  assert.equal(tomb.deleted_by, "del-ann");
  assert.equal(tomb.deleted_at, reply.deleted_at);
  const kept = page.messages.find((m) => m.seq === keep.seq);
  assert.equal(kept.text, "bob's message");
  assert.equal(kept.deleted, undefined);

  // Deleting it again answers with the original deletion.
  assert.deepEqual(await a.delete("del", ack.seq), reply);

  await assert.rejects(a.delete("del", keep.seq), (e) => e instanceof RequestRefused && e.errorCode === "forbidden");
  await assert.rejects(a.delete("del", 100000), (e) => e instanceof RequestRefused && e.errorCode === "not_found");
  await assert.rejects(a.delete("nowhere", 1), (e) => e instanceof RequestRefused && e.errorCode === "not_joined");
  assert.equal((await b.historyPage("del")).messages.find((m) => m.seq === keep.seq).text, "bob's message");
});

test("ban: room_closed with reason banned, then join rejects with Banned", async () => {
  const server = await sharedServer();
  const c = await client(server, "ban-cat");
  await c.join("banroom");
  const closed = c.waitFor("room_closed", (e) => e.room === "banroom", 10000);
  await server.api("PUT", "/rooms/banroom/bans/ban-cat", {});
  assert.equal((await closed).reason, "banned");
  assert.equal(c.lastSeq("banroom"), undefined, "the client forgot the room");
  await assert.rejects(c.send("banroom", "still here?"), (e) => e instanceof RequestRefused && e.errorCode === "not_joined");

  const err = await c.join("banroom").then(
    () => assert.fail("join should be refused"),
    (e) => e,
  );
  assert.ok(err instanceof Banned, `expected Banned, got ${err}`);
  assert.ok(err instanceof RequestRefused);
  assert.equal(err.errorCode, "banned");
  assert.equal(err.room, "banroom");
  assert.equal(err.expiresAt, null, "a ban until lifted");

  await server.api("PUT", "/rooms/banroom/bans/ban-cat", { duration: "1h" });
  const timed = await c.join("banroom").catch((e) => e);
  assert.ok(timed instanceof Banned);
  assert.equal(typeof timed.expiresAt, "string");
  assert.ok(Date.parse(timed.expiresAt) > Date.now());
});

test("ban while disconnected: the rejoin is refused, room_closed (banned), the room is not joined again", async () => {
  const server = await sharedServer();
  const proxy = await CuttingProxy.start(server.port);
  cleanups.push(() => proxy.close());
  const tok = await server.createToken("user", "ban-dan");
  let gate = null;
  const c = await connect(proxy.wsUrl, {
    token: async () => {
      if (gate) await gate.promise;
      return tok.token;
    },
    WebSocket,
  });
  cleanups.push(() => c.close());
  await c.join("banroom2");
  await c.join("other2");

  let release;
  gate = { promise: new Promise((res) => (release = res)) };
  const down = c.waitFor("disconnected", undefined, 10000);
  proxy.cut();
  assert.equal((await down).willReconnect, true);
  // Queued while disconnected: rejects once the rejoin is refused.
  const queued = c.send("banroom2", "queued before the ban").then(
    () => assert.fail("the queued send should be refused"),
    (e) => e,
  );
  await server.api("PUT", "/rooms/banroom2/bans/ban-dan", {});

  const closed = c.waitFor("room_closed", (e) => e.room === "banroom2", 10000);
  const rejoinedOther = c.waitFor("joined", (e) => e.room === "other2" && e.resumed, 10000);
  const errors = [];
  c.on("error", (e) => errors.push(e));
  release();
  assert.equal((await closed).reason, "banned");
  await rejoinedOther;
  const queuedError = await queued;
  assert.ok(queuedError instanceof Banned && queuedError.errorCode === "banned", `expected Banned, got ${queuedError}`);
  assert.equal(c.lastSeq("banroom2"), undefined);
  assert.deepEqual(errors, [], "a refused rejoin for a ban is a room_closed, not an error event");
  const stored = await server.storedMessages("banroom2");
  assert.equal(stored.filter((m) => m.text === "queued before the ban").length, 0);

  // Another reconnect does not join it again.
  const joins = [];
  c.on("joined", (e) => joins.push(e.room));
  const again = c.waitFor("joined", (e) => e.room === "other2", 10000);
  proxy.cut();
  await again;
  await new Promise((res) => setTimeout(res, 200));
  assert.deepEqual(joins, ["other2"]);
});

test("mute: send rejects with Muted (expiresAt), the message is not stored or resent", async () => {
  const server = await sharedServer();
  const m = await client(server, "mute-mo");
  const other = await client(server, "mute-ola");
  await m.join("muteroom");
  await other.join("muteroom");
  const before = await m.send("muteroom", "before the mute");

  const mute = await server.api("PUT", "/rooms/muteroom/mutes/mute-mo", { duration: "10m" });
  const err = await m.send("muteroom", "while muted", { clientId: "muted-1" }).then(
    () => assert.fail("send should be refused"),
    (e) => e,
  );
  assert.ok(err instanceof Muted, `expected Muted, got ${err}`);
  assert.ok(err instanceof RequestRefused);
  assert.equal(err.errorCode, "muted");
  assert.equal(err.room, "muteroom");
  assert.equal(typeof err.expiresAt, "string");
  assert.ok(Date.parse(err.expiresAt) > Date.now());
  if (mute && typeof mute.expires_at === "string") assert.equal(Date.parse(err.expiresAt), Date.parse(mute.expires_at));

  // Still in the room: reads what others post.
  const seen = m.waitFor("message", (x) => x.text === "you can still read", 10000);
  await other.send("muteroom", "you can still read");
  await seen;
  await new Promise((res) => setTimeout(res, 300)); // room for a (wrong) resend
  const stored = await server.storedMessages("muteroom");
  assert.equal(stored.filter((x) => x.client_id === "muted-1" || x.text === "while muted").length, 0);
  assert.ok(stored.some((x) => x.seq === before.seq));

  // Until lifted: a mute with no end has expiresAt null; lifting it lets sends through.
  await server.api("PUT", "/rooms/muteroom/mutes/mute-mo", {});
  const forever = await m.send("muteroom", "still muted").catch((e) => e);
  assert.ok(forever instanceof Muted);
  assert.equal(forever.expiresAt, null);
  await server.api("DELETE", "/rooms/muteroom/mutes/mute-mo");
  const ok = await m.send("muteroom", "unmuted");
  assert.ok(ok.seq > before.seq);
});
