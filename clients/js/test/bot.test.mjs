// Bot helpers against a real roomd: a bot made with client.command() answers a
// `!command` from another client, and answers again after the server restarted
// (the library reconnects, rejoins and registers the command again by itself).

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { connect } from "../dist/index.js";
import { RoomdServer } from "./helpers/server.mjs";
import { until } from "./helpers/util.mjs";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const fast = { WebSocket, reconnectBackoff: { baseMs: 100, maxMs: 1000 } };

test("a bot answers !commands, and again after the server restarted", async (t) => {
  const server = await RoomdServer.start();
  cleanups.push(() => server.dispose());
  const botToken = await server.createToken("bot", "echo-bot");
  const userToken = await server.createToken("user", "carol");

  const bot = await connect(server.wsUrl, { token: botToken.token, ...fast });
  cleanups.push(() => bot.close());
  const invocations = [];
  bot.on("command", (c) => invocations.push(c));
  // One command answered by its return value, one through ctx.reply.
  bot.command("echo", { description: "Echo text back" }, (ctx) => ctx.args || "usage: !echo TEXT");
  bot.command("shout", { description: "Echo in capitals" }, async (ctx) => {
    await ctx.reply(ctx.args.toUpperCase());
  });
  const registeredBoth = (after) =>
    Promise.all(
      ["echo", "shout"].map((name) =>
        bot.waitFor("registered", (e) => e.name === name && e.room === "lobby" && bot.session !== after, 15000),
      ),
    );
  let registered = registeredBoth(undefined);
  await bot.join("lobby");
  await registered;

  const user = await connect(server.wsUrl, { token: userToken.token, ...fast });
  cleanups.push(() => user.close());
  await user.join("lobby");

  const heard = [];
  user.on("message", (m) => heard.push(m));

  /** Sends `text` as the user and waits for the bot's answer to it. */
  const ask = async (text) => {
    const forwarded = bot.waitFor("command", (c) => c.from.id === "carol" && `!${c.name} ${c.args}` === text, 10000);
    const ack = await user.send("lobby", text);
    const invocation = await forwarded;
    assert.equal(invocation.seq, ack.seq, "the invocation names the invoking message");
    const answerOf = () => heard.find((m) => m.reply_to === invocation.invocation);
    await until(() => answerOf() !== undefined, (f) => user.on("message", f), 10000, `the answer to ${text}`);
    const answer = answerOf();
    assert.equal(answer.from.kind, "bot");
    assert.equal(answer.from.id, "echo-bot");
    assert.ok(answer.seq > ack.seq);
    return answer.text;
  };

  assert.equal(await ask("!echo hello there"), "hello there");
  assert.equal(await ask("!shout quiet words"), "QUIET WORDS");

  // Restart the server: every session is closed (1001), both clients reconnect on
  // their own; the bot rejoins and registers again.
  const sessionBefore = bot.session;
  registered = registeredBoth(sessionBefore);
  const userBack = user.waitFor("joined", (e) => e.resumed, 30000);
  await server.restart();
  await registered;
  await userBack;
  assert.notEqual(bot.session, sessionBefore, "the bot is on a new session");

  assert.equal(await ask("!echo after the restart"), "after the restart");
  assert.equal(await ask("!shout again"), "AGAIN");
  t.diagnostic(`the bot handled ${invocations.length} invocations`);
  assert.equal(invocations.length, 4);
});
