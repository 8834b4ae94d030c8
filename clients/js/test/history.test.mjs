// History paging against a real roomd: client.history() walks back page by page
// with before_seq, newest first; historyPage() returns one page oldest first.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect, RequestRefused } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("history() pages backwards with before_seq, newest first", async () => {
  const server = await RoomdServer.start();
  cleanups.push(() => server.dispose());
  const tok = await server.createToken("user", "kim");
  const client = await connect(server.wsUrl, { token: tok.token, WebSocket });
  cleanups.push(() => client.close());
  await client.join("archive");
  const acks = [];
  for (let i = 0; i < 25; i++) acks.push(await client.send("archive", `old ${i}`));
  const seqs = acks.map((a) => a.seq);

  const walked = [];
  for await (const m of client.history("archive", { pageSize: 10 })) walked.push(m);
  const mine = walked.filter((m) => m.from.id === "kim");
  assert.deepEqual(mine.map((m) => m.seq), [...seqs].reverse());
  assert.deepEqual(mine.map((m) => m.text), acks.map((_, i) => `old ${i}`).reverse());
  assert.ok(walked.every((m) => m.type === "message" && m.room === "archive"));
  for (let k = 1; k < walked.length; k++) assert.ok(walked[k].seq < walked[k - 1].seq);

  // Starting before a given seq.
  const middle = seqs[12];
  const older = [];
  for await (const m of client.history("archive", { beforeSeq: middle, pageSize: 4 })) older.push(m.seq);
  assert.deepEqual(older.filter((s) => seqs.includes(s)), seqs.slice(0, 12).reverse());

  const page = await client.historyPage("archive", { limit: 5 });
  assert.deepEqual(page.messages.map((m) => m.seq), seqs.slice(20));
  assert.equal(page.has_more, true);

  await assert.rejects(client.historyPage("never-joined"), (e) => e instanceof RequestRefused && e.errorCode === "not_joined");
});
