"""Bots: `!commands` registered with a decorator and answered automatically.

`Bot` owns the command table, registers every command in every room it joined
after each (re)connect (a bot's registrations end with its connection,
docs/PROTOCOL.md "Bots"), runs a handler per invocation and sends what it returns
(or what it passes to `ctx.reply`) with `reply_to` = the invocation id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Union

from .client import Client, TokenSource
from .errors import RoomdError
from .events import Ack, Command, Event, User

log = logging.getLogger("roomd.bot")

Handler = Callable[["CommandContext"], Awaitable[Union[str, None]]]

ROLES = ("member", "moderator", "admin", "owner")


@dataclass
class CommandContext:
    """One invocation of a command, handed to its handler."""

    command: Command
    client: Client
    _replies: int = field(default=0, repr=False)

    @property
    def args(self) -> str:
        """The text after `!name`, trimmed."""
        return self.command.args

    @property
    def room(self) -> str:
        return self.command.room

    @property
    def sender(self) -> User:
        """Who invoked the command."""
        return self.command.sender

    @property
    def invocation(self) -> str:
        return self.command.invocation

    async def reply(self, text: str) -> Ack:
        """Answers the invocation (within the server's `commands.timeout_ms`). The
        reply's `client_id` is derived from the invocation, so a resend after a
        reconnect is stored once."""
        self._replies += 1
        cid = f"r{self._replies}-{self.invocation}"[:128]
        return await self.client.send(self.room, text, client_id=cid, reply_to=self.invocation)


@dataclass(frozen=True)
class _Registration:
    name: str
    description: str
    min_role: str
    handler: Handler


class Bot:
    """A bot: `@bot.command(...)` handlers, then `await bot.run()`.

        bot = roomd.Bot(url, token, rooms=["lobby"])

        @bot.command("echo", description="Echo text back")
        async def echo(ctx: roomd.CommandContext) -> str:
            return ctx.args

        asyncio.run(bot.run())

    `client_options` go to `roomd.Client` (backoff, token_transport, …).
    """

    def __init__(self, url: str, token: TokenSource, rooms: Iterable[str] = (), **client_options: Any) -> None:
        self.rooms = list(rooms)
        self.client = Client(url, token, **client_options)
        self._commands: dict[str, _Registration] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # generation -> rooms whose commands are all registered on that connection
        self._registered: dict[int, set[str]] = {}
        self._changed = asyncio.Condition()
        self.client.on_joined(self._register_all)

    def command(
        self, name: str, *, description: str = "", min_role: str = "member"
    ) -> Callable[[Handler], Handler]:
        """Registers the decorated coroutine function as `!name`. It gets a
        `CommandContext`; a string it returns is sent as the answer."""
        if min_role not in ROLES:
            raise ValueError(f"min_role must be one of {ROLES}, not {min_role!r}")

        def decorate(handler: Handler) -> Handler:
            self._commands[name.lower()] = _Registration(name.lower(), description, min_role, handler)
            return handler

        return decorate

    async def _register_all(self, room: str) -> None:
        gen = self.client.generation
        for reg in self._commands.values():
            try:
                await self.client.register_command(
                    room, reg.name, description=reg.description, min_role=reg.min_role
                )
            except RoomdError as e:
                log.warning("roomd bot: registering !%s in %s failed: %s", reg.name, room, e)
                return
            except Exception:  # the connection dropped: the next join registers again
                return
        log.info("roomd bot: registered %s in %s", ", ".join("!" + n for n in self._commands), room)
        async with self._changed:
            self._registered.setdefault(gen, set()).add(room)
            self._changed.notify_all()

    async def wait_registered(self, newer_than: int = 0, timeout: float | None = None) -> int:
        """Waits until every command is registered in every room of `self.rooms` on
        one connection whose generation is above `newer_than`; returns it. Use it to
        know when a bot is answering (again, after a reconnect)."""

        def done() -> int | None:
            for gen, rooms in self._registered.items():
                if gen > newer_than and set(self.rooms) <= rooms:
                    return gen
            return None

        async def wait() -> int:
            async with self._changed:
                await self._changed.wait_for(lambda: done() is not None)
                result = done()
                assert result is not None
                return result

        return await asyncio.wait_for(wait(), timeout)

    async def start(self) -> None:
        """Connects and joins `self.rooms` (commands register on each join)."""
        await self.client.start()
        for room in self.rooms:
            await self.client.join(room)

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await self.client.close()

    async def run(self) -> None:
        """Connects, joins, and answers commands until the client stops: returns
        after `close()`, raises the `RoomdClosed` error that stopped it otherwise."""
        await self.start()
        async for event in self.client:
            self.handle(event)

    def handle(self, event: Event) -> None:
        """Starts the handler of a `Command` event (other events are ignored)."""
        if isinstance(event, Command) and event.name.lower() in self._commands:
            task = asyncio.create_task(self._invoke(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _invoke(self, cmd: Command) -> None:
        reg = self._commands[cmd.name.lower()]
        ctx = CommandContext(cmd, self.client)
        try:
            answer = await reg.handler(ctx)
            if answer:
                await ctx.reply(str(answer))
        except RoomdError as e:
            log.warning("roomd bot: answering !%s (%s) failed: %s", cmd.name, cmd.invocation, e)
        except Exception:
            log.exception("roomd bot: handler of !%s failed", cmd.name)
