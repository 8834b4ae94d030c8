// echo_bot.mjs: the smallest useful roomd bot, with the JS client.
//
// It connects with a bot token, joins one room and answers `!echo TEXT` with TEXT.
// The library does the rest: it reconnects with backoff when the connection drops,
// joins again where it left off, and registers `!echo` again (a bot's commands end
// with its connection). It is the JS twin of examples/echo_bot.rs.
//
//   # a bot token, printed once:
//   curl -s -X POST localhost:8080/api/v1/tokens -H "Authorization: Bearer $ADMIN" \
//        -H 'Content-Type: application/json' -d '{"kind":"bot","name":"echo-bot"}'
//   ROOMD_TOKEN=rmd_… node examples/echo_bot.mjs lobby
//
// Settings: ROOMD_TOKEN (required), ROOMD_URL (default ws://127.0.0.1:8080/ws), the
// room as the first argument or ROOMD_ROOM (default lobby). On Node 20 it uses the
// `ws` package (npm install ws) unless run with --experimental-websocket.

import { connect } from "../dist/index.js";

const token = process.env.ROOMD_TOKEN;
if (!token) {
  console.error('set ROOMD_TOKEN to a bot token (POST /api/v1/tokens with kind "bot")');
  process.exit(2);
}
const url = process.env.ROOMD_URL ?? "ws://127.0.0.1:8080/ws";
const room = process.argv[2] ?? process.env.ROOMD_ROOM ?? "lobby";
const WebSocket = globalThis.WebSocket ?? (await import("ws")).WebSocket;

const bot = await connect(url, { token, WebSocket });
bot.on("connected", (e) => console.error(`echo_bot: connected as ${e.user.id}`));
bot.on("disconnected", (e) =>
  console.error(`echo_bot: disconnected (${e.code} ${e.reason})${e.willReconnect ? `; reconnecting in ${e.delayMs} ms` : ""}`),
);
bot.on("registered", (e) => console.error(`echo_bot: !${e.name} registered in ${e.room}`));
bot.on("error", (e) => console.error(`echo_bot: error ${e.code}: ${e.message}`));

// The returned text is sent as the answer, with reply_to = the invocation id.
bot.command("echo", { description: "Echo text back" }, (ctx) => ctx.args || "usage: !echo TEXT");

const joined = await bot.join(room);
console.error(`echo_bot: joined ${room} at seq ${joined.seq}`);

// Runs until the server says to stop (revoked token, operator disconnect, …).
const error = await bot.closed;
console.error(`echo_bot: stopped: ${error?.message ?? "closed"}`);
process.exit(error ? 1 : 0);
