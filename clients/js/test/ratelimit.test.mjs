// Frame-rate limits against a real roomd with low limits: the client paces its
// frames under hello.limits (no rate_limited at all), and when the server does say
// rate_limited (here because the test floods the same socket behind the library's
// back) the send is written again after retry_after_ms and stored once. A handshake
// refused with HTTP 429 is retried after a delay.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect, RoomdClient } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A `ws` WebSocket that records every frame the server sends, and the last socket made. */
function spyingWebSocket() {
  const frames = [];
  class Spy extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      Spy.last = this;
      this.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
    }
  }
  return { Spy, frames };
}

test("the client paces its frames under hello.limits and retries rate_limited sends", async (t) => {
  const server = await RoomdServer.start({
    ROOMD__LIMITS__MSGS_PER_SEC: "20",
    ROOMD__LIMITS__BURST: "10",
    ROOMD__LIMITS__MAX_VIOLATIONS: "1000",
  });
  cleanups.push(() => server.dispose());
  const tok = await server.createToken("user", "hank");
  const { Spy, frames } = spyingWebSocket();
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

  // Keep the server's bucket empty behind the library's back for half a second
  // (pings at 100/s against a refill of 20/s) while the library sends.
  const flood = setInterval(() => Spy.last.send(JSON.stringify({ type: "ping" })), 10);
  const stopFlood = setTimeout(() => clearInterval(flood), 500);
  cleanups.push(() => (clearInterval(flood), clearTimeout(stopFlood)));
  const retried = await Promise.all(Array.from({ length: 5 }, (_, i) => client.send("pace", `retried ${i}`)));
  assert.ok(limited().length >= 1, "the server rate-limited at least one of the library's sends");
  assert.ok(
    limited().some((f) => typeof f.id === "string" && f.id.startsWith("o")),
    "a rate_limited error answered one of the library's frames",
  );
  assert.equal(drops, 0, "no disconnect");

  const stored = (await server.storedMessages("pace")).filter((m) => m.from.id === "hank");
  assert.equal(stored.length, 45, "every send stored once");
  assert.deepEqual(
    stored.map((m) => m.seq),
    [...paced, ...retried].map((a) => a.seq).sort((a, b) => a - b),
  );
});

test("a handshake refused with HTTP 429 (upgrades per IP) is retried after a delay, then connects", async () => {
  const server = await RoomdServer.start({
    ROOMD__LIMITS__CONNECTS_PER_IP_PER_SEC: "1",
    ROOMD__LIMITS__CONNECTS_LIMIT_LOOPBACK: "true",
  });
  cleanups.push(() => server.dispose());
  const tok = await server.createToken("user", "jill");
  const first = await connect(server.wsUrl, { token: tok.token, WebSocket });
  cleanups.push(() => first.close());

  // The second upgrade within the same second is refused with 429.
  const second = new RoomdClient(server.wsUrl, { token: tok.token, WebSocket });
  cleanups.push(() => second.close());
  const drops = [];
  second.on("disconnected", (e) => drops.push(e));
  second.start();
  await second.opened();
  assert.ok(drops.length >= 1, "the first attempt was refused");
  assert.equal(drops[0].httpStatus, 429);
  assert.equal(drops[0].willReconnect, true);
  assert.ok(drops[0].delayMs >= 1000, `waited ${drops[0].delayMs} ms before retrying`);
  assert.equal(second.connected, true);
});
