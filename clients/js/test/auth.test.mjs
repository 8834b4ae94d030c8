// Authentication failures against a real roomd (protocol 1.1): the library stops on
// the close codes that say so (4500 unauthorized, 4501 expired, 4502 revoked) and
// raises the typed error, while a server that is down is retried. Part of it uses
// a browser-like WebSocket — Node's built-in WHATWG WebSocket, which like a browser
// cannot see the handshake's HTTP status (run with --experimental-websocket; the
// test.sh script does).

import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { WebSocket as WsPackage } from "ws";

import {
  connect,
  RoomdClient,
  RoomdError,
  TokenExpired,
  TokenRevoked,
  Unauthorized,
} from "../dist/index.js";
import { JWT_SECRET, RoomdServer } from "./helpers/server.mjs";
import { jwt, until } from "./helpers/util.mjs";

const BrowserLikeWebSocket = globalThis.WebSocket;
const cleanups = [];
let server;

before(async () => {
  server = await RoomdServer.start();
  cleanups.push(() => server.dispose());
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Records a client's `disconnected` events. */
function recordDrops(client) {
  const drops = [];
  client.on("disconnected", (e) => drops.push(e));
  return drops;
}

test("revoking the token of a connected client closes it with 4502 and the library stops with TokenRevoked", async () => {
  const tok = await server.createToken("user", "dave");
  const client = await connect(server.wsUrl, { token: tok.token, WebSocket: WsPackage });
  cleanups.push(() => client.close());
  await client.join("lobby");
  const drops = recordDrops(client);
  const pendingSend = client.send("lobby", "sent while revoked").catch((e) => e);
  // The send may be acked before the revoke lands, or reject with the revoke: both
  // are fine; what matters is how the client ends.
  await server.api("DELETE", `/tokens/${tok.id}`);
  const error = await client.closed;
  assert.ok(error instanceof TokenRevoked, `expected TokenRevoked, got ${error?.name}: ${error?.message}`);
  assert.ok(error instanceof RoomdError);
  assert.equal(error.code, 4502);
  assert.equal(drops.length, 1);
  assert.equal(drops[0].willReconnect, false);
  assert.equal(client.connected, false);
  const sendOutcome = await pendingSend;
  assert.ok(sendOutcome instanceof TokenRevoked || typeof sendOutcome.seq === "number");
  await assert.rejects(client.send("lobby", "after the end"), RoomdError);
});

test("connecting with a revoked token raises TokenRevoked (4502), with an unknown one Unauthorized (4500)", async () => {
  const tok = await server.createToken("user", "erin");
  await server.api("DELETE", `/tokens/${tok.id}`);
  await assert.rejects(connect(server.wsUrl, { token: tok.token, WebSocket: WsPackage }), (err) => {
    assert.ok(err instanceof TokenRevoked, `got ${err.name}: ${err.message}`);
    assert.equal(err.code, 4502);
    return true;
  });
  await assert.rejects(
    connect(server.wsUrl, { token: "rmd_" + "x".repeat(40), WebSocket: WsPackage }),
    (err) => {
      assert.ok(err instanceof Unauthorized, `got ${err.name}: ${err.message}`);
      assert.equal(err.code, 4500);
      return true;
    },
  );
});

test("a handshake answered with HTTP 401 (query carrier, no roomd.v1 offered) is Unauthorized", async () => {
  await assert.rejects(
    connect(server.wsUrl, { token: "rmd_unknown", WebSocket: WsPackage, tokenCarrier: "query" }),
    (err) => err instanceof Unauthorized && err.code === 4500,
  );
});

test("an expired JWT stops with TokenExpired (4501); with a token provider the library fetches a fresh one", async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = jwt({ sub: "frank", exp: now - 60 }, JWT_SECRET);
  await assert.rejects(connect(server.wsUrl, { token: expired, WebSocket: WsPackage }), (err) => {
    assert.ok(err instanceof TokenExpired, `got ${err.name}: ${err.message}`);
    assert.equal(err.code, 4501);
    return true;
  });

  let asked = 0;
  const provider = async () => {
    asked += 1;
    return asked === 1 ? expired : jwt({ sub: "frank", exp: now + 600 }, JWT_SECRET);
  };
  const client = new RoomdClient(server.wsUrl, {
    token: provider,
    WebSocket: WsPackage,
    reconnectBackoff: { baseMs: 50, maxMs: 200 },
  });
  cleanups.push(() => client.close());
  const drops = recordDrops(client);
  client.start();
  await client.opened();
  assert.equal(asked, 2, "the provider was asked again after the expiry");
  assert.equal(drops.length, 1);
  assert.equal(drops[0].code, 4501);
  assert.equal(drops[0].willReconnect, true);
  assert.equal(client.user.id, "frank");
});

test("browser-like WebSocket: a bad token is reported as unauthorized and the library stops", async () => {
  assert.equal(typeof BrowserLikeWebSocket, "function", "run with node --experimental-websocket (test.sh does)");
  const client = new RoomdClient(server.wsUrl, { token: "rmd_" + "y".repeat(40) });
  const drops = recordDrops(client);
  client.start();
  const error = await client.closed;
  assert.ok(error instanceof Unauthorized, `expected Unauthorized, got ${error?.name}: ${error?.message}`);
  assert.equal(error.code, 4500);
  assert.deepEqual(
    drops.map((d) => [d.code, d.willReconnect]),
    [[4500, false]],
  );
});

test("browser-like WebSocket: a server that is down is a retryable failure, retried until it is up", async () => {
  assert.equal(typeof BrowserLikeWebSocket, "function", "run with node --experimental-websocket (test.sh does)");
  const down = await RoomdServer.start();
  cleanups.push(() => down.dispose());
  const tok = await down.createToken("user", "gina");
  await down.stop();

  const client = new RoomdClient(down.wsUrl, { token: tok.token, reconnectBackoff: { baseMs: 50, maxMs: 200 } });
  cleanups.push(() => client.close());
  const drops = recordDrops(client);
  client.start();
  await until(() => drops.length >= 3, (f) => client.on("disconnected", f), 15000, "three failed attempts");
  for (const d of drops) {
    assert.equal(d.code, 1006, "connection refused shows as 1006");
    assert.equal(d.willReconnect, true);
  }
  await down.start();
  await client.opened();
  assert.equal(client.connected, true);
  const joined = await client.join("lobby");
  assert.equal(joined.room, "lobby");
});
