"""Test fixtures: a real `roomd serve` on an ephemeral loopback port, and a TCP proxy
in the test process whose connections a test can cut.

The server binary is `$ROOMD_BIN`, by default `<repo>/target/debug/roomd` (built by
`cargo build`). Each test gets its own server, SQLite file and working directory;
`RoomdServer` can `kill9()` it (SIGKILL to the pid it started, never by name) and
`start()` it again on the same port and file. Settings are chosen as in
benches/scripts/chaos.py: generous rate limits, no repeated-text limit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

import roomd

REPO = Path(__file__).resolve().parents[3]
ROOMD_BIN = Path(os.environ.get("ROOMD_BIN") or REPO / "target" / "debug" / "roomd")
# The tests are written for the token carrier libraries use (subprotocols, 1.1).
TOKEN_TRANSPORT = os.environ.get("ROOMD_TEST_TOKEN_TRANSPORT", "subprotocol")


def pytest_report_header() -> list[str]:
    return [f"roomd client: {Path(roomd.__file__).parent}", f"roomd server: {ROOMD_BIN}"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RoomdServer:
    """One roomd process at a time on a fixed port and SQLite file."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.db = workdir / "roomd.db"
        self.log_path = workdir / "server.log"
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin_token: str | None = None
        self.starts = 0
        self.kills = 0
        self.http: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        env = dict(os.environ)
        env.update(
            {
                "ROOMD__SERVER__BIND": f"127.0.0.1:{self.port}",
                "ROOMD__DATABASE__URL": f"sqlite://{self.db}",
                "ROOMD__ROOMS__AUTO_CREATE": "true",
                "ROOMD__LIMITS__MSGS_PER_SEC": "100000",
                "ROOMD__LIMITS__BURST": "100000",
                "ROOMD__LIMITS__ADMIN_PER_SEC": "100000",
                "ROOMD__LIMITS__ADMIN_BURST": "100000",
                "ROOMD__SPAM__MAX_REPEATS": "0",
                "ROOMD__LOG__LEVEL": "warning",
            }
        )
        env.update(self.extra_env)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"---- start {self.starts} ----\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [str(ROOMD_BIN), "serve"], cwd=self.workdir, env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"roomd exited with {self.proc.returncode}; log: {self.tail()}")
            if self.admin_token is None:
                self.admin_token = self._find_admin_token()
            if self.admin_token is not None and self._ready():
                if self.http is None:
                    self.http = httpx.Client(
                        base_url=self.base + "/api/v1",
                        headers={"Authorization": f"Bearer {self.admin_token}"},
                        timeout=10,
                    )
                return
            time.sleep(0.02)
        raise RuntimeError(f"roomd not ready within {timeout}s; log: {self.tail()}")

    def _find_admin_token(self) -> str | None:
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("rmd_"):
                return line.strip()
        return None

    def _ready(self) -> bool:
        try:
            return httpx.get(self.base + "/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill9(self) -> None:
        """SIGKILL to the process this fixture started, and reap it."""
        assert self.proc is not None
        self.kills += 1
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    async def restart_after_kill9(self) -> None:
        """kill -9, then start again on the same port and store (off the event loop)."""
        self.kill9()
        await asyncio.to_thread(self.start)

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    # ---- admin API helpers (docs/ADMIN_API.md) ----

    def api(self, method: str, path: str, **kw: Any) -> Any:
        assert self.http is not None
        r = self.http.request(method, path, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def token(self, kind: str, name: str) -> tuple[str, str]:
        """Creates a token; returns (id, secret)."""
        t = self.api("POST", "/tokens", json={"kind": kind, "name": name})
        return str(t["id"]), str(t["token"])

    def room(self, room_id: str, **settings: Any) -> None:
        body = {"id": room_id, "name": room_id, "settings": {"welcome_template": "", **settings}}
        self.api("POST", "/rooms", json=body)

    def stored_messages(self, room_id: str) -> list[dict[str, Any]]:
        """Every stored message of the room, oldest first."""
        out: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.api("GET", f"/rooms/{room_id}/messages", params={"after_seq": after, "limit": 500})
            out.extend(page["items"])
            if not page["items"] or not page["has_more"]:
                return out
            after = page["items"][-1]["seq"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RoomdServer]:
    if not ROOMD_BIN.is_file():
        pytest.fail(f"no roomd binary at {ROOMD_BIN}: build it (cargo build) or set ROOMD_BIN")
    srv = RoomdServer(tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        if srv.http is not None:
            srv.http.close()


def fast_backoff() -> roomd.Backoff:
    return roomd.Backoff(base=0.05, cap=0.5)


def client_for(server: RoomdServer, token: Any, url: str | None = None, **kw: Any) -> roomd.Client:
    """A library client with test-friendly backoff."""
    kw.setdefault("backoff", fast_backoff())
    kw.setdefault("token_transport", TOKEN_TRANSPORT)
    return roomd.Client(url or server.url, token, **kw)


class TcpProxy:
    """A TCP relay in the test's event loop; `cut()` resets every connection."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.accepted = 0
        self.cuts = 0
        self.refusing = False  # True: new connections are reset at once

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.refusing:
            cwriter.transport.abort()
            return
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            cwriter.transport.abort()  # server down: the client sees a failed attempt
            return
        pair = (cwriter, swriter)
        self._pairs.add(pair)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                w.transport.abort()

        try:
            await asyncio.gather(pipe(creader, swriter), pipe(sreader, cwriter))
        finally:
            self._pairs.discard(pair)

    def cut(self) -> int:
        """Resets both sides of every open connection; returns how many."""
        pairs = list(self._pairs)
        for cw, sw in pairs:
            cw.transport.abort()
            sw.transport.abort()
        self.cuts += 1
        return len(pairs)

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest_asyncio.fixture
async def proxy(server: RoomdServer) -> AsyncIterator[TcpProxy]:
    p = TcpProxy(server.port)
    await p.start()
    try:
        yield p
    finally:
        await p.close()
