"""echo_bot: answers `!echo TEXT` with TEXT, and keeps doing so across reconnects.

    ROOMD_TOKEN=rmd_… python echo_bot.py lobby     # a bot token (POST /api/v1/tokens, kind "bot")

Settings: ROOMD_TOKEN (required), ROOMD_URL (default ws://127.0.0.1:8080/ws), the rooms
as arguments (default lobby). The Rust counterpart is examples/echo_bot.rs.
"""

import asyncio
import logging
import os
import sys

import roomd

logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
url = os.environ.get("ROOMD_URL", "ws://127.0.0.1:8080/ws")
bot = roomd.Bot(url, os.environ["ROOMD_TOKEN"], rooms=sys.argv[1:] or ["lobby"])


@bot.command("echo", description="Echo text back", min_role="member")
async def echo(ctx: roomd.CommandContext) -> str:
    return ctx.args or "usage: !echo TEXT"


if __name__ == "__main__":
    asyncio.run(bot.run())
