// The typed events against a real roomd: member_joined / member_left, typing, read
// receipts (markRead), leave, and room_closed (a deleted room is forgotten: sends
// to it are refused).

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect, RequestRefused } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("member, typing, read and room_closed events", async () => {
  const server = await RoomdServer.start();
  cleanups.push(() => server.dispose());
  const [lee, max] = await Promise.all([server.createToken("user", "lee"), server.createToken("user", "max")]);
  const a = await connect(server.wsUrl, { token: lee.token, WebSocket });
  cleanups.push(() => a.close());
  const b = await connect(server.wsUrl, { token: max.token, WebSocket });
  cleanups.push(() => b.close());
  await a.join("den");

  const joinedSeen = a.waitFor("member_joined", (e) => e.user.id === "max", 10000);
  await b.join("den");
  assert.equal((await joinedSeen).room, "den");

  const typingSeen = a.waitFor("typing", (e) => e.user.id === "max", 10000);
  assert.equal(b.typing("den", true), true);
  assert.equal((await typingSeen).active, true);
  assert.equal(b.typing("elsewhere", true), false, "typing in a room not joined is not sent");

  const ack = await a.send("den", "read me");
  const readSeen = a.waitFor("read", (e) => e.user.id === "max", 10000);
  assert.equal(await b.markRead("den", ack.seq), ack.seq);
  assert.equal((await readSeen).seq, ack.seq);

  const leftSeen = a.waitFor("member_left", (e) => e.user.id === "max", 10000);
  b.leave("den");
  assert.equal((await leftSeen).room, "den");
  await assert.rejects(b.send("den", "after leaving"), (e) => e instanceof RequestRefused && e.errorCode === "not_joined");

  const closedSeen = a.waitFor("room_closed", (e) => e.room === "den", 10000);
  await server.api("DELETE", "/rooms/den");
  assert.equal((await closedSeen).reason.length > 0, true);
  assert.equal(a.lastSeq("den"), undefined, "the client forgot the room");
  await assert.rejects(a.send("den", "to a deleted room"), RequestRefused);
});
