"""Bots made with the library: a `!command` from another client is answered (with
`reply_to`), again after a kill -9 and restart of the server, and the example bot
in examples/echo_bot.py works as shipped."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import roomd
from conftest import TOKEN_TRANSPORT, RoomdServer, client_for, fast_backoff

WAIT = 15.0


async def message_where(client: roomd.Client, pred: Callable[[roomd.Message], bool], what: str) -> roomd.Message:
    async def find() -> roomd.Message:
        async for ev in client:
            if isinstance(ev, roomd.Message) and pred(ev):
                return ev
        raise AssertionError(f"client stopped before {what}")

    try:
        return await asyncio.wait_for(find(), WAIT)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {what} within {WAIT}s") from None


async def test_bot_answers_and_answers_again_after_restart(server: RoomdServer) -> None:
    server.room("lobby")
    _, bot_token = server.token("bot", "echo-bot")
    _, user_token = server.token("user", "gina")
    bot = roomd.Bot(server.url, bot_token, rooms=["lobby"], backoff=fast_backoff(), token_transport=TOKEN_TRANSPORT)

    @bot.command("echo", description="Echo text back", min_role="member")
    async def echo(ctx: roomd.CommandContext) -> str:
        return ctx.args

    @bot.command("whoami", description="Says who asked")
    async def whoami(ctx: roomd.CommandContext) -> None:
        await ctx.reply(f"you are {ctx.sender.id}")

    @bot.command("purge", description="Moderators only", min_role="moderator")
    async def purge(ctx: roomd.CommandContext) -> str:
        return "purged"

    runner = asyncio.create_task(bot.run())
    first = await bot.wait_registered(timeout=WAIT)
    async with client_for(server, user_token) as user:
        await user.join("lobby")
        ask = await user.send("lobby", "!echo hello there")
        answer = await message_where(user, lambda m: m.reply_to is not None, "the answer to !echo")
        assert answer.text == "hello there" and answer.sender.kind == "bot" and answer.seq > ask.seq

        await user.send("lobby", "!whoami")
        answer = await message_where(user, lambda m: m.reply_to is not None, "the answer to !whoami")
        assert answer.text == "you are gina"

        await user.send("lobby", "!purge")  # gina is a member: the server refuses, the bot never sees it
        async for ev in user:
            if isinstance(ev, roomd.Notice):
                assert "moderator" in ev.text, ev
                break

        await server.restart_after_kill9()
        await bot.wait_registered(newer_than=first, timeout=WAIT)
        ask = await user.send("lobby", "!echo again")  # waits for the user's own rejoin
        answer = await message_where(user, lambda m: m.reply_to is not None, "the answer after the restart")
        assert answer.text == "again" and answer.seq > ask.seq
    await bot.close()
    await asyncio.wait_for(runner, WAIT)  # run() returns after close()


async def test_example_echo_bot(server: RoomdServer) -> None:
    server.room("lobby")
    _, bot_token = server.token("bot", "example-bot")
    _, user_token = server.token("user", "hank")
    example = Path(__file__).resolve().parents[1] / "examples" / "echo_bot.py"
    env = dict(os.environ, ROOMD_TOKEN=bot_token, ROOMD_URL=server.url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(example), "lobby", env=env, stderr=asyncio.subprocess.PIPE
    )
    stderr = proc.stderr
    assert stderr is not None
    try:

        async def registered() -> None:
            while line := await stderr.readline():
                if b"registered !echo in lobby" in line:
                    return
            raise AssertionError("the example bot exited before registering")

        await asyncio.wait_for(registered(), WAIT)
        async with client_for(server, user_token) as user:
            await user.join("lobby")
            await user.send("lobby", "!echo from the example")
            answer = await message_where(user, lambda m: m.reply_to is not None, "the example bot's answer")
            assert answer.text == "from the example"
    finally:
        proc.kill()  # the pid this test started
        await proc.wait()
