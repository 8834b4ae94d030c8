// Frame-rate limits against a real roomd with low limits: the client paces its
// frames under hello.limits (no rate_limited at all), and when the server does say
// rate_limited (here because the test floods the same socket behind the library's
// back) the send is written again after retry_after_ms and stored once. A handshake
// refused with HTTP 429 (a session quota) is retried after a delay.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect, RoomdClient } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";
import { until, within } from "./helpers/util.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * A `ws` WebSocket that records every frame the server sends (`frames`), calls the
 * `subscribe`d callbacks on each, and remembers the last socket made.
 */
function spyingWebSocket() {
  const frames = [];
  const listeners = new Set();
  class Spy extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      Spy.last = this;
      this.addEventListener("message", (e) => {
        frames.push(JSON.parse(String(e.data)));
        for (const l of [...listeners]) l();
      });
    }
  }
  const subscribe = (f) => (listeners.add(f), () => listeners.delete(f));
  return { Spy, frames, subscribe };
}

test("the client paces its frames under hello.limits and retries rate_limited sends", async (t) => {
  const server = await RoomdServer.start({
    ROOMD__LIMITS__MSGS_PER_SEC: "20",
    ROOMD__LIMITS__BURST: "10",
    ROOMD__LIMITS__MAX_VIOLATIONS: "1000",
  });
  cleanups.push(() => server.dispose());
  const tok = await server.createToken("user", "hank");
  const { Spy, frames, subscribe } = spyingWebSocket();
  const client = await connect(server.wsUrl, { token: tok.token, WebSocket: Spy });
  cleanups.push(() => client.close());
  let drops = 0;
  client.on("disconnected", () => drops++);
  await client.join("pace");

  // 40 sends at once: four times the burst.
  const started = Date.now();
  const paced = await Promise.all(Array.from({ length: 40 }, (_, i) => client.send("pace", `paced ${i}`)));
  const pacedMs = Date.now() - started;
  assert.equal(paced.length, 40);
  const limited = () => frames.filter((f) => f.type === "error" && f.code === "rate_limited");
  assert.deepEqual(limited(), [], "the server never had to say rate_limited");
  t.diagnostic(`40 paced sends took ${pacedMs} ms`);

  // Flood the same socket with pings behind the library's back (100/s against a
  // refill of 20/s) until the server refuses one of the library's own frames.
  const flood = setInterval(() => Spy.last.send(JSON.stringify({ type: "ping" })), 10);
  cleanups.push(() => clearInterval(flood));
  const limitedFloodPing = () => limited().some((f) => f.id === undefined);
  await until(limitedFloodPing, subscribe, 10000, "the flood to empty the server's bucket");
  const ownLimited = () => limited().some((f) => typeof f.id === "string" && f.id.startsWith("o"));
  const sending = Array.from({ length: 5 }, (_, i) => client.send("pace", `retried ${i}`));
  await until(ownLimited, subscribe, 10000, "a rate_limited answer to one of the library's sends");
  clearInterval(flood);
  const retried = await within(Promise.all(sending), 10000, "the rate-limited sends to be acked");
  assert.equal(drops, 0, "no disconnect");

  const stored = (await server.storedMessages("pace")).filter((m) => m.from.id === "hank");
  assert.equal(stored.length, 45, "every send stored once");
  assert.deepEqual(
    stored.map((m) => m.seq),
    [...paced, ...retried].map((a) => a.seq).sort((a, b) => a - b),
  );
});

test("a handshake refused with HTTP 429 (session quota) is retried after a delay, then connects", async () => {
  const server = await RoomdServer.start({ ROOMD__LIMITS__MAX_SESSIONS_PER_TOKEN: "1" });
  cleanups.push(() => server.dispose());
  const tok = await server.createToken("user", "jill");
  const first = await connect(server.wsUrl, { token: tok.token, WebSocket });
  cleanups.push(() => first.close());

  // A second session of the same token is over the quota: 429 until the first goes.
  const second = new RoomdClient(server.wsUrl, { token: tok.token, WebSocket });
  cleanups.push(() => second.close());
  const drops = [];
  second.on("disconnected", (e) => drops.push(e));
  second.start();
  const refused = await second.waitFor("disconnected", () => true, 10000);
  assert.equal(refused.httpStatus, 429);
  assert.equal(refused.willReconnect, true);
  assert.ok(refused.delayMs >= 1000, `waited ${refused.delayMs} ms before retrying`);
  first.close();
  await second.opened();
  assert.equal(second.connected, true);
  assert.ok(drops.every((d) => d.httpStatus === 429 && d.willReconnect));
});
