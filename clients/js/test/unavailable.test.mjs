// room_unavailable against a real roomd: a send to a room whose actor is
// quarantined (fault injection: it crashed with no restart allowed) is answered
// room_unavailable; the library resends it with the same client_id after a short
// backoff until the operator restarts the room, and it is stored once.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";
import { until, within } from "./helpers/util.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("a send answered room_unavailable is resent with the same client_id and stored once", async (t) => {
  const server = await RoomdServer.start({
    ROOMD__DEBUG__FAULT_INJECTION: "true",
    ROOMD__SUPERVISOR__MAX_RESTARTS: "0",
  });
  cleanups.push(() => server.dispose());
  const tok = await server.createToken("user", "ivy");

  // A `ws` WebSocket that tells the test about every frame the server sends.
  const frames = [];
  const listeners = new Set();
  class Spy extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (e) => {
        frames.push(JSON.parse(String(e.data)));
        for (const l of listeners) l();
      });
    }
  }
  const subscribe = (f) => (listeners.add(f), () => listeners.delete(f));

  const client = await connect(server.wsUrl, {
    token: tok.token,
    WebSocket: Spy,
    retryBackoff: { baseMs: 50, maxMs: 200 },
  });
  cleanups.push(() => client.close());
  await client.join("fragile");
  const before = await client.send("fragile", "before the crash");

  await server.api("POST", "/rooms/fragile/crash");
  const status = async () => (await server.api("GET", "/rooms/fragile")).status;
  for (let i = 0; i < 100 && (await status()) !== "quarantined"; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await status(), "quarantined", "the room is quarantined after its crash");

  const sending = client.send("fragile", "while quarantined", { clientId: "q-1" });
  const unavailable = () => frames.filter((f) => f.type === "error" && f.code === "room_unavailable");
  await until(() => unavailable().length >= 2, subscribe, 10000, "two room_unavailable answers (a send and its resend)");
  await server.api("POST", "/rooms/fragile/restart");
  const ack = await within(sending, 10000, "the send to be acked after the room restarted");
  assert.equal(ack.client_id, "q-1");
  assert.ok(ack.seq > before.seq);
  t.diagnostic(`room_unavailable ${unavailable().length} times before the restart; acked at seq ${ack.seq}`);

  const stored = (await server.storedMessages("fragile")).filter((m) => m.client_id === "q-1");
  assert.equal(stored.length, 1, "stored once");
  assert.equal(stored[0].seq, ack.seq);
});
