// The close-code table of docs/PROTOCOL.md as the library applies it, the backoff
// arithmetic, and the error for a missing WebSocket implementation. (Pure logic:
// the behaviour against a real server is in the other test files.)

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  closePolicy,
  ConnectionClosed,
  DisconnectedByOperator,
  NoWebSocketError,
  ProtocolViolation,
  RoomdClient,
  TokenExpired,
  TokenRevoked,
  Unauthorized,
} from "../dist/index.js";
import { Backoff } from "../dist/backoff.js";

test("close codes: reconnect, reconnect at once, or stop with the typed error", () => {
  const stop = (code, cls) => {
    const a = closePolicy(code, "why");
    assert.equal(a.kind, "stop", `code ${code}`);
    assert.ok(a.error instanceof cls, `code ${code}: ${a.error.name}`);
    assert.equal(a.error.code, code);
    assert.equal(a.error.reason, "why");
  };
  for (const code of [1001, 1006, 1011, 4002, 4100, 4499, 1005, 1013, 3000]) {
    assert.equal(closePolicy(code, "").kind, "reconnect", `code ${code}`);
  }
  // docs/PROTOCOL.md, Close codes: "reconnect at once".
  for (const code of [1012, 4000, 4001]) assert.equal(closePolicy(code, "").kind, "reconnect-now", `code ${code}`);
  stop(1000, ConnectionClosed);
  for (const code of [1002, 1007, 1009]) stop(code, ProtocolViolation);
  stop(4500, Unauthorized);
  stop(4502, TokenRevoked);
  stop(4503, DisconnectedByOperator);
  stop(4600, ConnectionClosed);
  stop(4999, ConnectionClosed);
  const expired = closePolicy(4501, "expired");
  assert.equal(expired.kind, "refresh-token");
  assert.ok(expired.error instanceof TokenExpired);
  // A 1.0 server closes a revoked token's sessions with 1008 "token revoked".
  const revoked10 = closePolicy(1008, "token revoked");
  assert.equal(revoked10.kind, "stop");
  assert.ok(revoked10.error instanceof TokenRevoked);
  assert.equal(closePolicy(1008, "too many policy violations").kind, "reconnect");
});

test("handshake HTTP statuses (seen only by non-browser WebSockets): 401 stops, 429/503 wait and retry", () => {
  const a = closePolicy(1006, "", 401);
  assert.equal(a.kind, "stop");
  assert.ok(a.error instanceof Unauthorized);
  assert.equal(a.error.code, 4500);
  for (const status of [429, 503]) {
    const r = closePolicy(1006, "", status);
    assert.equal(r.kind, "reconnect");
    assert.ok(r.minDelayMs >= 1000);
  }
  assert.equal(closePolicy(1006, "", 502).kind, "reconnect");
});

test("backoff: full jitter under a cap that doubles up to the maximum", () => {
  const b = new Backoff({ baseMs: 100, maxMs: 1000 }, () => 0.999999);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [99, 199, 399, 799, 999, 999]);
  b.reset();
  assert.equal(b.next(), 99);
  const zero = new Backoff({ baseMs: 100, maxMs: 1000 }, () => 0);
  assert.equal(zero.next(), 0);
});

test("no WebSocket implementation: a clear error naming the option", () => {
  const saved = globalThis.WebSocket;
  try {
    delete globalThis.WebSocket;
    assert.throws(() => new RoomdClient("ws://127.0.0.1:1/ws", { token: "t" }), (err) => {
      assert.ok(err instanceof NoWebSocketError);
      assert.match(err.message, /--experimental-websocket/);
      assert.match(err.message, /WebSocket/);
      return true;
    });
  } finally {
    if (saved !== undefined) globalThis.WebSocket = saved;
  }
});
