// The library in a real browser: headless Chromium (Debian's `chromium`, driven by
// playwright-core) loads the built dist/ as an ES module from a page and talks to a
// real roomd. A browser's WebSocket API cannot see the HTTP status of a refused
// upgrade, so this is where protocol 1.1's close codes matter: a bad token must be
// told apart from a server that is down.
//
// Chromium is looked for at $CHROMIUM_BIN, then /usr/bin/chromium. Without it the
// tests are skipped, unless ROOMD_REQUIRE_CHROMIUM=1 (CI sets it, and installs it).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

import { RoomdServer } from "./helpers/server.mjs";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const CHROMIUM = [process.env.CHROMIUM_BIN, "/usr/bin/chromium"].find((p) => p && existsSync(p));
const REQUIRED = process.env.ROOMD_REQUIRE_CHROMIUM === "1";

if (!CHROMIUM && REQUIRED) {
  throw new Error("ROOMD_REQUIRE_CHROMIUM=1 but no Chromium at $CHROMIUM_BIN or /usr/bin/chromium");
}
const skip = CHROMIUM ? false : "no Chromium (install Debian's chromium or set CHROMIUM_BIN)";

let server;
let browser;
let page;
let pageServer;

before(async () => {
  if (skip) return;
  const { chromium } = await import("playwright-core");
  server = await RoomdServer.start();
  await server.api("POST", "/rooms", { id: "lobby", name: "Lobby" });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage();
  // The page and the library come from a static HTTP server on loopback, as an app
  // served from the same host would be (ES modules do not load from file://, and
  // Chromium blocks a page of a public or unknown origin from opening sockets to the
  // local network).
  pageServer = createHttpServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>roomd test</title>");
      return;
    }
    const file = normalize(join(DIST, path.replace(/^\/dist\//, "")));
    if (!path.startsWith("/dist/") || !file.startsWith(DIST) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(file));
  });
  await new Promise((r) => pageServer.listen(0, "127.0.0.1", r));
  await page.goto(`http://127.0.0.1:${pageServer.address().port}/`);
});

after(async () => {
  await browser?.close();
  pageServer?.close();
  await server?.dispose();
});

/** A TCP port nothing listens on: a server that is down. */
async function closedPort() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

test("the browser's own WebSocket sees close 4500 for a bad token and 1006 for a server that is down", { skip }, async () => {
  const downUrl = `ws://127.0.0.1:${await closedPort()}/ws`;
  const result = await page.evaluate(
    async ({ url, downUrl }) => {
      const closeOf = (u, protocols) =>
        new Promise((resolve) => {
          const ws = new WebSocket(u, protocols);
          ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, protocol: ws.protocol });
        });
      return {
        bad: await closeOf(url, ["roomd.v1", "roomd.token.rmd_not-a-real-token"]),
        down: await closeOf(downUrl, ["roomd.v1", "roomd.token.rmd_not-a-real-token"]),
      };
    },
    { url: server.wsUrl, downUrl },
  );
  assert.equal(result.bad.code, 4500, JSON.stringify(result));
  assert.match(result.bad.reason, /^unauthorized/);
  assert.equal(result.bad.protocol, "roomd.v1");
  assert.equal(result.down.code, 1006, JSON.stringify(result));
});

test("in the browser the library stops on a revoked token with TokenRevoked, and keeps retrying a server that is down", { skip }, async () => {
  const tok = await server.createToken("user", "browser-revoked");
  await server.api("DELETE", `/tokens/${tok.id}`);
  const downUrl = `ws://127.0.0.1:${await closedPort()}/ws`;
  const result = await page.evaluate(
    async ({ url, downUrl, token }) => {
      const { RoomdClient } = await import("/dist/index.js");
      const revoked = new RoomdClient(url, { token });
      revoked.start();
      const error = await revoked.closed;
      const down = new RoomdClient(downUrl, { token, reconnectBackoff: { baseMs: 20, maxMs: 50 } });
      const drops = [];
      down.on("disconnected", (e) => drops.push({ code: e.code, willReconnect: e.willReconnect }));
      down.start();
      await new Promise((r) => setTimeout(r, 1000));
      down.close();
      return { name: error?.name, code: error?.code, drops };
    },
    { url: server.wsUrl, downUrl, token: tok.token },
  );
  assert.equal(result.name, "TokenRevoked", JSON.stringify(result));
  assert.equal(result.code, 4502);
  assert.ok(result.drops.length >= 3, `a server that is down is retried: ${JSON.stringify(result.drops)}`);
  assert.ok(result.drops.every((d) => d.code === 1006 && d.willReconnect), JSON.stringify(result.drops));
});

test("in the browser the library joins, sends and gets its ack and the message", { skip }, async () => {
  const tok = await server.createToken("user", "browser-user");
  const result = await page.evaluate(
    async ({ url, token }) => {
      const { connect } = await import("/dist/index.js");
      const client = await connect(url, { token });
      const message = client.waitFor("message", (m) => m.text === "hello from Chromium", 5000);
      await client.join("lobby");
      const ack = await client.send("lobby", "hello from Chromium");
      const m = await message;
      client.close();
      return { ack, from: m.from, seq: m.seq, user: client.user };
    },
    { url: server.wsUrl, token: tok.token },
  );
  assert.equal(result.ack.duplicate, false);
  assert.equal(result.seq, result.ack.seq);
  assert.equal(result.from.id, "browser-user");
  const stored = await server.storedMessages("lobby");
  assert.ok(stored.some((m) => m.text === "hello from Chromium" && m.seq === result.ack.seq), JSON.stringify(stored));
});
