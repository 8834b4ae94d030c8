#!/usr/bin/env python3
"""Hostile and slow clients against a real roomd, with the server's memory sampled.

Starts `roomd serve` (the binary given, on a fresh SQLite store in a temp dir, on
127.0.0.1 only), runs each scenario once against a fresh server, and prints one JSON
line per scenario: what the attackers saw and the server's RSS (before, peak, and
after the attack ended). Only the Python standard library; every loop is bounded in
count and time. docs/RELIABILITY.md has the figures and how to read them.

    cargo build --release
    python3 benches/scripts/hostile.py target/release/roomd [scenario ...]

Scenarios: header_bomb, burst_nonreader, slow_clients, many_senders, bad_frame_flood,
silent_nonreader. The burst scenarios drive the well-behaved clients with wsload
(`WSLOAD`, default target/wsload/release/wsload; build it as benches/scripts/lib.sh does).
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsframes import frame, take_server_frame  # noqa: E402

PORT = 18431
BASE = f"http://127.0.0.1:{PORT}"


# ---- the server -------------------------------------------------------------------

class Server:
    def __init__(self, binary, env):
        self.dir = tempfile.TemporaryDirectory(prefix="roomd-hostile-")
        full_env = dict(os.environ)
        full_env.update({
            "ROOMD__SERVER__BIND": f"127.0.0.1:{PORT}",
            "ROOMD__DATABASE__URL": f"sqlite://{self.dir.name}/roomd.db",
            "ROOMD__LOG__LEVEL": "warning",
        })
        full_env.update(env)
        self.proc = subprocess.Popen([binary, "serve"], cwd=self.dir.name, env=full_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.admin = None
        deadline = time.time() + 30
        while time.time() < deadline and self.admin is None:
            line = self.proc.stderr.readline()
            if line.startswith("rmd_"):
                self.admin = line.strip()
        assert self.admin, "no admin token printed"
        while time.time() < deadline:
            try:
                urllib.request.urlopen(BASE + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.05)

    def api(self, method, path, body=None):
        req = urllib.request.Request(BASE + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {self.admin}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def user(self, name):
        return self.api("POST", "/api/v1/tokens", {"kind": "user", "name": name})["token"]

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


class RssSampler:
    """Samples the server's RSS every 50 ms while the attack runs."""

    def __init__(self, server):
        self.server, self.peak, self.running = server, 0, True
        self.before = server.rss_kib()

    async def run(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss_kib())
            await asyncio.sleep(0.05)


# ---- a raw WebSocket client (RFC 6455), enough to misbehave -----------------------

def text(obj):
    return frame(0x1, json.dumps(obj).encode())


class Ws:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.buf = b""

    @staticmethod
    async def connect(token, rcvbuf=None):
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", PORT))
        r, w = await asyncio.open_connection(sock=sock, limit=1 << 20)
        w.write((f"GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await r.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        ws = Ws(r, w)
        await ws.next()  # hello
        return ws

    async def next(self):
        """(opcode, payload) of the next server frame, or None at the end."""
        try:
            while True:
                taken = take_server_frame(self.buf)
                if taken:
                    op, payload, self.buf = taken
                    return op, payload
                chunk = await self.r.read(1 << 16)
                if not chunk:
                    return None
                self.buf += chunk
        except (ConnectionError, OSError):
            return None

    async def join(self, room):
        self.w.write(text({"type": "join", "room": room, "id": "j"}))
        while True:
            f = await self.next()
            if f is None or (f[0] == 1 and b'"joined"' in f[1]):
                return

    async def discard(self):
        """Reads and drops everything until the end (a client that keeps up);
        returns how often `marker` occurred in what it read."""
        seen, tail = 0, b""
        try:
            while True:
                chunk = await self.r.read(1 << 16)
                if not chunk:
                    return seen
                data = tail + chunk
                seen += data.count(MESSAGE_MARKER)
                tail = data[-(len(MESSAGE_MARKER) - 1):]
        except (ConnectionError, OSError):
            return seen

    async def drain(self, within=30.0):
        """Reads until the end, or for `within` seconds; returns (frames, bytes,
        close code or None)."""
        frames = size = 0
        deadline = time.time() + within
        while True:
            try:
                f = await asyncio.wait_for(self.next(), max(0.01, deadline - time.time()))
            except asyncio.TimeoutError:
                return frames, size, None
            if f is None:
                return frames, size, None
            frames, size = frames + 1, size + len(f[1])
            if f[0] == 0x8:
                return frames, size, int.from_bytes(f[1][:2], "big") if len(f[1]) >= 2 else None


MESSAGE_MARKER = b'"type":"message"'


def report(name, sampler, **fields):
    sampler.running = False
    print(json.dumps({"scenario": name, "rss_kib": {"before": sampler.before, "peak": sampler.peak},
                      **fields}), flush=True)


async def settle_rss(server, secs=12.0):
    await asyncio.sleep(secs)
    return server.rss_kib()


# ---- scenarios ----------------------------------------------------------------------

FAST = {"ROOMD__LIMITS__MSGS_PER_SEC": "1000000", "ROOMD__LIMITS__BURST": "1000000",
        "ROOMD__SPAM__MAX_REPEATS": "0", "ROOMD__LIMITS__ADMIN_PER_SEC": "10000",
        "ROOMD__LIMITS__ADMIN_BURST": "10000"}


async def header_bomb(server):
    """20 clients each declare a 2^62-byte text frame and stream junk as fast as they can."""
    token = server.user("bomber")
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    clients = [await Ws.connect(token) for _ in range(20)]
    junk = b"x" * (1 << 16)

    async def attack(ws):
        ws.w.write(frame(0x1, b"", declared=1 << 62))
        sent, started = 0, time.time()
        try:
            while sent < (64 << 20) and time.time() - started < 10:
                ws.w.write(junk)
                await ws.w.drain()
                sent += len(junk)
        except (ConnectionError, OSError):
            pass
        return sent

    results = await asyncio.gather(*(attack(c) for c in clients), *(c.drain() for c in clients))
    sent, drained = results[:20], results[20:]
    after = await settle_rss(server)
    report("header_bomb", sampler, clients=20, close_codes=sorted({d[2] for d in drained}, key=str),
           junk_mib_sent_max=round(max(sent) / (1 << 20), 1), rss_kib_after=after)
    task.cancel()


WSLOAD = os.environ.get("WSLOAD", "target/wsload/release/wsload")


def wsload(server, conns, senders, rate, secs):
    """Legitimate traffic in room r0 from wsload (clients that keep up): its JSON line."""
    tokens = os.path.join(server.dir.name, "tokens.txt")
    with open(tokens, "w") as f:
        for i in range(conns):
            f.write(server.user(f"load{i}") + "\n")
    out = subprocess.run(
        [WSLOAD, "run", "--url", f"ws://127.0.0.1:{PORT}/ws?token={{token}}", "--token-file", tokens,
         "--adapter", "json", "--hello", '"type":"hello"', "--join", '{"type":"join","room":"{room}"}',
         "--join-ack", '"type":"joined"',
         "--send", '{"type":"send","room":"{room}","text":"{payload}","client_id":"{id}"}',
         "--recv-match", '"type":"message"', "--payload-pointer", "/text",
         "--conns", str(conns), "--rooms", "1", "--senders", str(senders), "--rate", str(rate),
         "--payload-size", "1000", "--warmup", "0", "--duration", str(secs), "--drain", "10",
         "--server-pid", str(server.proc.pid)],
        capture_output=True, text=True, timeout=secs + 90)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": out.stderr[-500:]}


async def burst(server, name, nonreaders, conns, senders, rate, secs):
    """`nonreaders` clients that never read sit in room r0 while wsload's `conns`
    clients (`senders` of them sending) post 1 KB messages at `rate` for `secs`."""
    server.api("POST", "/api/v1/rooms", {"id": "r0"})
    stalled = []
    for i in range(nonreaders):
        ws = await Ws.connect(server.user(f"stalled{i}"), rcvbuf=4096)
        await ws.join("r0")
        ws.r._transport.pause_reading()
        stalled.append(ws)
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    load = await asyncio.get_running_loop().run_in_executor(None, wsload, server, conns, senders, rate, secs)
    metrics = urllib.request.urlopen(BASE + "/metrics", timeout=5).read().decode()
    closed = {l.split('"')[1]: float(l.split()[-1]) for l in metrics.splitlines()
              if l.startswith("roomd_ws_closed_total{")}
    at_end = server.rss_kib()
    after = await settle_rss(server)
    keep = ("sent", "expected", "received", "lost", "dup_or_reordered", "delivered_per_s")
    report(name, sampler, nonreaders=nonreaders, load={k: load.get(k) for k in keep} if "error" not in load else load,
           ws_closed=closed, rss_kib_at_end=at_end, rss_kib_after=after)
    task.cancel()


async def burst_nonreader(server):
    await burst(server, "burst_nonreader", 1, conns=4, senders=4, rate=5_000, secs=40)


async def slow_clients(server):
    await burst(server, "slow_clients", 20, conns=4, senders=4, rate=5_000, secs=10)


async def many_senders(server):
    await burst(server, "many_senders", 0, conns=160, senders=160, rate=8_000, secs=15)


async def bad_frame_flood(server):
    """300,000 one-byte bad frames (binary, malformed text, pings) in one go."""
    ws = await Ws.connect(server.user("flooder"))
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    kinds = [frame(0x2, b"x"), frame(0x1, b"x"), frame(0x9, b"")]
    flood = b"".join(kinds[i % 3] for i in range(300_000))
    sent_bytes = len(flood)
    try:
        ws.w.write(flood)
        await ws.w.drain()
    except (ConnectionError, OSError):
        pass
    frames, size, code = await ws.drain(within=20)
    report("bad_frame_flood", sampler, frames_sent=300_000, bytes_sent=sent_bytes,
           replies=frames, reply_bytes=size, close_code=code)
    task.cancel()


async def silent_nonreader(server):
    """A client that stops reading (and writing) while its room is busy: closed after
    the heartbeat timeout (session.heartbeat_ms = 2000 here) although its window is full."""
    room = "quiet"
    server.api("POST", "/api/v1/rooms", {"id": room})
    ws = await Ws.connect(server.user("silent"), rcvbuf=4096)
    await ws.join(room)
    ws.r._transport.pause_reading()
    sender = await Ws.connect(server.user("sender"))
    await sender.join(room)
    drainer = asyncio.create_task(sender.discard())
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    started = time.time()
    # 8 MB: more than the kernel's buffers for one connection hold; paced so that
    # the sender itself (which reads its echoes in this same process) keeps up.
    for i in range(8000):
        sender.w.write(text({"type": "send", "room": room, "text": "s" * 1000, "client_id": f"q{i}"}))
        if i % 50 == 49:
            await sender.w.drain()
            await asyncio.sleep(0.005)
    await sender.w.drain()
    closed_after = None
    while time.time() - started < 30:
        metrics = urllib.request.urlopen(BASE + "/metrics", timeout=5).read().decode()
        if any(l.startswith("roomd_ws_connections ") and float(l.split()[-1]) <= 1 for l in metrics.splitlines()):
            closed_after = round(time.time() - started, 2)
            break
        await asyncio.sleep(0.1)
    metrics = urllib.request.urlopen(BASE + "/metrics", timeout=5).read().decode()
    closed = {l.split('"')[1]: float(l.split()[-1]) for l in metrics.splitlines()
              if l.startswith("roomd_ws_closed_total{")}
    report("silent_nonreader", sampler, heartbeat_ms=2000, session_closed_after_secs=closed_after,
           ws_closed=closed or None)
    drainer.cancel()
    task.cancel()


SCENARIOS = {
    "header_bomb": ({}, header_bomb),
    "burst_nonreader": (FAST, burst_nonreader),
    "slow_clients": (FAST, slow_clients),
    "many_senders": (FAST, many_senders),
    "bad_frame_flood": ({}, bad_frame_flood),
    "silent_nonreader": ({**FAST, "ROOMD__SESSION__HEARTBEAT_MS": "2000"}, silent_nonreader),
}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    binary, names = sys.argv[1], sys.argv[2:] or list(SCENARIOS)
    for name in names:
        env, run = SCENARIOS[name]
        server = Server(binary, env)
        try:
            asyncio.run(run(server))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
