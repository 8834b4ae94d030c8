#!/usr/bin/env python3
"""Crashes and store outages under load: does every acked message survive?

Runs a real `roomd serve` (the binary given) on 127.0.0.1 only, puts a room under
load (sender clients that pipeline `send`s with unique `client_id`s and record every
ack's seq, listener clients that record every `message`), then breaks something:

  kill9       `kill -9` the server at a random moment 0.5-3 s into the load, start it
              again on the same store, and let every sender resend its unacked sends
              with the same client_id (docs/PROTOCOL.md, Delivery guarantees).
              With --burst N, every sender writes N more sends without waiting just
              before the kill (0-50 ms before it), so the kill finds them in flight.
  pg-outage   stop PostgreSQL for --secs seconds under load (`pg_ctlcluster`), start
              it again; senders keep going, retrying `room_unavailable` answers and
              reconnecting after closes, with the same client_id.
  nats-outage a cluster (docs/CLUSTER.md) of --nodes nodes on one fresh PostgreSQL
              schema and a private `nats-server` on a free port; node n1 owns the
              room (its listener joins first), senders and listeners are spread
              over every node. After 3 s of load nats-server is stopped
              (--nats-signal, SIGKILL by default) for --secs seconds, then started
              again on the same port; 10 s more load. Reports, per node, what its
              clients saw (errors, closes, reconnects, the longest time without a
              delivery), /readyz during the outage, the node's log lines and how
              long each thing took to come back.

Then it checks the stored history (GET /api/v1/rooms/{id}/messages, docs/ADMIN_API.md):
every acked message is stored once with its acked seq (acked_lost), no client_id is
stored twice (duplicated), seqs run 1..last with no gap (seq_gaps), and every listener
saw every seq once in order. One JSON line per run, then a summary line. A run that
breaks a guarantee keeps its server log (and the SQLite store, or a dump of the
PostgreSQL schema) under /tmp/chaos-findings/. docs/RELIABILITY.md has the figures.

    python3 benches/scripts/chaos.py target/release/roomd kill9 --runs 100
    python3 benches/scripts/chaos.py target/release/roomd kill9 --runs 20 \\
        --db postgres://postgres@127.0.0.1:5432/test
    python3 benches/scripts/chaos.py target/release/roomd pg-outage --secs 30 \\
        --db postgres://postgres@127.0.0.1:5499/postgres --pg-cluster "15 chaos"
    python3 benches/scripts/chaos.py target/release/roomd nats-outage --secs 30 \\
        --db postgres://postgres@127.0.0.1:5432/test --nodes 2

Server environment: ROOMD__LIMITS__MSGS_PER_SEC / BURST and ADMIN_PER_SEC / ADMIN_BURST
= 1000000, ROOMD__SPAM__MAX_REPEATS=0, ROOMD__LOG__LEVEL=warning, a free loopback port;
the room is made with welcome messages off; nats-outage adds the cluster settings
(ROOMD__CLUSTER__ENABLED, NODE_ID, NATS_URL, a subject prefix of the run's own; lease
and heartbeat at their defaults) and ROOMD__LOG__LEVEL=info. PostgreSQL runs get a
fresh schema each (created and dropped with psql). pg-outage stops and starts the
cluster named by --pg-cluster: give it a private cluster, not one other work depends
on; nats-outage stops only the nats-server it started. Python 3.11, the standard
library and `websockets`.
"""

import argparse
import asyncio
import collections
import datetime
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import websockets

SENDERS = 10
LISTENERS = 3
WINDOW = 32            # sends in flight per sender
ACK_TIMEOUT = 10.0     # resend (same client_id) a send unanswered this long
RETRY_AFTER = 0.25     # resend after `room_unavailable` this long later
RECONNECT_AFTER = 0.05
DRAIN_TIMEOUT = 120.0  # every send acked within this after the fault, or the run fails
ROOM = "chaos"
FINDINGS = "/tmp/chaos-findings"
NATS_BIN = "/usr/sbin/nats-server"
LISTENERS_PER_NODE = 2  # nats-outage: listeners on each node


def now():
    return time.monotonic()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the store ----------------------------------------------------------------------

class Store:
    """A fresh SQLite file in the run's directory, or a fresh PostgreSQL schema."""

    def __init__(self, pg_base, run_dir):
        self.pg_base, self.run_dir, self.schema = pg_base, run_dir, None
        if pg_base:
            self.schema = f"chaos_{random.getrandbits(48):012x}"
            self.psql(f"CREATE SCHEMA {self.schema}")
            sep = "&" if "?" in pg_base else "?"
            self.url = f"{pg_base}{sep}options=-csearch_path%3D{self.schema}"
        else:
            self.url = f"sqlite://{run_dir}/roomd.db"

    def psql(self, sql):
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.pg_base, "-c", sql],
                       check=True, capture_output=True, timeout=60)

    def keep(self, dest):
        """Copies the store next to the finding's logs."""
        if self.schema:
            with open(os.path.join(dest, "schema.sql"), "w") as f:
                subprocess.run(["pg_dump", "-n", self.schema, self.pg_base], stdout=f,
                               stderr=subprocess.DEVNULL, timeout=120)

    def drop(self):
        if self.schema:
            try:
                self.psql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            except Exception as e:  # best effort: a schema left behind costs disk only
                print(f"drop schema {self.schema}: {e}", file=sys.stderr)


# ---- the server ---------------------------------------------------------------------

class Server:
    """`roomd serve` on a store; the log (stdout) and stderr of every start go to one file."""

    def __init__(self, binary, store, run_dir, name="server", env=None):
        self.binary, self.store, self.run_dir = binary, store, run_dir
        self.name, self.extra_env = name, dict(env or {})
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(run_dir, f"{name}.log")
        self.proc, self.admin, self.starts = None, None, 0

    def start(self):
        env = dict(os.environ)
        env.update({
            "ROOMD__SERVER__BIND": f"127.0.0.1:{self.port}",
            "ROOMD__DATABASE__URL": self.store.url,
            "ROOMD__LIMITS__MSGS_PER_SEC": "1000000",
            "ROOMD__LIMITS__BURST": "1000000",
            "ROOMD__LIMITS__ADMIN_PER_SEC": "1000000",   # the history check pages fast
            "ROOMD__LIMITS__ADMIN_BURST": "1000000",
            "ROOMD__SPAM__MAX_REPEATS": "0",
            "ROOMD__LOG__LEVEL": "warning",
        })
        env.update(self.extra_env)   # cluster settings, or a different log level
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"---- start {self.starts} ----\n".encode())
            log.flush()
            self.proc = subprocess.Popen([self.binary, "serve"], cwd=self.run_dir, env=env,
                                         stdout=log, stderr=log)

    def wait_admin_token(self, timeout=30):
        deadline = now() + timeout
        while now() < deadline:
            with open(self.log_path) as f:
                for line in f:
                    if line.startswith("rmd_"):
                        self.admin = line.strip()
                        return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"no admin token printed (see {self.log_path})")

    def ready(self, timeout=1):
        return self.readyz(timeout)[0]

    def readyz(self, timeout=1):
        """(status, JSON body or None); status None when it did not answer."""
        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=timeout) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except Exception:
            return None, None
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None

    def wait_ready(self, timeout=60, period=0.01):
        deadline = now() + timeout
        while now() < deadline:
            if self.ready() == 200:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(period)
        return False

    def metric(self, name, timeout=2):
        """One unlabelled sample of GET /metrics, or None."""
        try:
            with urllib.request.urlopen(self.base + "/metrics", timeout=timeout) as r:
                for line in r.read().decode().splitlines():
                    if line.startswith(name + " "):
                        return float(line.split()[1])
        except Exception:
            pass
        return None

    def api(self, method, path, body=None):
        req = urllib.request.Request(
            self.base + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.admin}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit code (a crash shows here)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hung on SIGTERM"


class Nats:
    """A private `nats-server` (core NATS, no JetStream: docs/CLUSTER.md) on a free
    loopback port, stopped and started again on the same port for the outage."""

    def __init__(self, run_dir, binary=NATS_BIN):
        self.binary = binary
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.log_path = os.path.join(run_dir, "nats.log")
        self.proc = None

    def accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def start(self, timeout=30):
        """Starts it; returns the seconds until it accepts connections."""
        t0 = now()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        while now() - t0 < timeout:
            if self.accepts():
                return now() - t0
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError(f"nats-server did not start on {self.port} (see {self.log_path})")

    def stop(self, sig=signal.SIGKILL):
        """Signals it and reaps it; returns the exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---- clients ------------------------------------------------------------------------

class Load:
    """What every client shares: the server address and the phase flags."""

    def __init__(self, server):
        self.server = server       # where clients connect unless given a node of their own
        self.stop_new = False      # senders send nothing new, only resend the unacked
        self.extra = 0             # sends allowed in flight beyond WINDOW (--burst)
        self.rate = 0.0            # new sends per second per sender; 0 = as fast as acked (--rate)
        self.finish = False        # listeners leave once caught up
        self.errors = collections.Counter()   # error codes in `error` frames
        self.closes = collections.Counter()   # how connections ended or failed to open
        self.ack_times = []        # monotonic time of every first ack
        # The same two counters per node (Server.name), for runs with several nodes.
        self.node_errors = collections.defaultdict(collections.Counter)
        self.node_closes = collections.defaultdict(collections.Counter)

    def url(self, token, node=None):
        port = (node or self.server).port
        return f"ws://127.0.0.1:{port}/ws?token={urllib.parse.quote(token)}"

    def note_error(self, code, node):
        self.errors[code] += 1
        self.node_errors[node.name][code] += 1

    def note_close(self, exc, node=None):
        code = getattr(exc, "code", None)
        if code is None and getattr(exc, "rcvd", None) is not None:
            code = exc.rcvd.code
        status = getattr(exc, "status_code", None)
        if status is None and getattr(exc, "response", None) is not None:
            status = getattr(exc.response, "status_code", None)
        if status is not None:
            key = f"upgrade refused {status}"
        elif isinstance(exc, websockets.exceptions.ConnectionClosed):
            key = f"closed {code}" if code is not None else "closed without close frame"
        elif isinstance(exc, (ConnectionRefusedError,)):
            key = "connection refused"
        elif isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
            key = "timeout"
        else:
            key = type(exc).__name__
        self.closes[key] += 1
        self.node_closes[(node or self.server).name][key] += 1


async def joined(ws, room, after_seq=None):
    """Joins and returns the `joined` frame, handing earlier frames back."""
    frame = {"type": "join", "room": room, "id": "j"}
    if after_seq is not None:
        frame["after_seq"] = after_seq
    await ws.send(json.dumps(frame))
    early = []
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg.get("type") == "joined":
            return msg, early
        if msg.get("type") == "error":
            raise RuntimeError(f"join refused: {msg}")
        early.append(msg)


class Sender:
    def __init__(self, idx, token, load, node=None):
        self.idx, self.token, self.load = idx, token, load
        self.node = node or load.server   # the server (cluster node) it connects to
        self.next_n = 0
        self.pending = {}      # client_id -> time when it is due to be (re)sent
        self.created_at = {}   # client_id -> time of its first send
        self.acked = {}        # client_id -> seq of its first ack
        self.ack_time = {}     # client_id -> time of its first ack
        self.conflicts = []    # a client_id acked with two different seqs
        self.duplicate_acks = 0
        self.resends = 0
        self.conns = 0         # connections joined so far
        self.acked_later = 0   # first acks that came on a later connection than the first
        self.next_new_at = 0.0  # with a rate: when the next new send may go

    async def run(self):
        while not (self.load.stop_new and not self.pending):
            try:
                async with websockets.connect(self.load.url(self.token, self.node), open_timeout=5,
                                              ping_interval=None, close_timeout=0.5,
                                              max_size=2 ** 24) as ws:
                    await joined(ws, ROOM)
                    self.conns += 1
                    for cid in self.pending:          # every unacked send: resend now
                        self.pending[cid] = 0.0
                    await self.loop(ws)
                    return
            except Exception as e:  # a kill, an outage, a refused upgrade: try again
                self.load.note_close(e, self.node)
                await asyncio.sleep(RECONNECT_AFTER)

    def may_send_new(self):
        if not self.load.rate:
            return True
        t = now()
        if t < self.next_new_at:
            return False
        self.next_new_at = max(self.next_new_at + 1 / self.load.rate, t - 1)
        return True

    async def send(self, ws, cid, resend):
        self.pending[cid] = now() + ACK_TIMEOUT
        self.resends += resend
        await ws.send(json.dumps({"type": "send", "room": ROOM, "id": cid, "client_id": cid,
                                  "text": f"chaos message {cid}"}))

    async def loop(self, ws):
        while not (self.load.stop_new and not self.pending):
            t = now()
            for cid, due in list(self.pending.items()):
                if due <= t:
                    await self.send(ws, cid, True)
            while (not self.load.stop_new and len(self.pending) < WINDOW + self.load.extra
                   and self.may_send_new()):
                cid = f"s{self.idx}-{self.next_n}"
                self.next_n += 1
                self.created_at[cid] = now()
                await self.send(ws, cid, False)
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.1)
            except asyncio.TimeoutError:
                continue
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "ack":
                cid, seq = msg["client_id"], msg["seq"]
                self.duplicate_acks += bool(msg.get("duplicate"))
                if cid in self.acked:
                    if self.acked[cid] != seq:
                        self.conflicts.append({"client_id": cid, "first": self.acked[cid], "then": seq})
                else:
                    self.acked[cid] = seq
                    self.acked_later += self.conns > 1
                    self.ack_time[cid] = now()
                    self.load.ack_times.append(self.ack_time[cid])
                self.pending.pop(cid, None)
            elif kind == "error":
                self.load.note_error(msg.get("code"), self.node)
                cid = msg.get("id")
                if cid in self.pending:
                    self.pending[cid] = now() + RETRY_AFTER
        await ws.close()


class Listener:
    def __init__(self, idx, token, load, node=None):
        self.idx, self.token, self.load = idx, token, load
        self.node = node or load.server
        self.conns = 0
        self.arrivals = []     # (monotonic time, seq) of every message, as received
        self.last = 0
        self.seen = collections.Counter()
        self.out_of_order = 0
        self.truncated = 0
        self.joined_once = asyncio.Event()

    def take(self, msg):
        if msg.get("type") == "message" and msg.get("room") == ROOM:
            seq = msg["seq"]
            self.arrivals.append((now(), seq))
            self.seen[seq] += 1
            if seq != self.last + 1:
                self.out_of_order += 1
            self.last = max(self.last, seq)

    async def run(self, target):
        while True:
            try:
                async with websockets.connect(self.load.url(self.token, self.node), open_timeout=5,
                                              ping_interval=None, close_timeout=0.5,
                                              max_size=2 ** 24) as ws:
                    reply, early = await joined(ws, ROOM, self.last)
                    self.conns += 1
                    if reply.get("truncated"):
                        self.truncated += 1
                    self.joined_once.set()
                    for msg in early:
                        self.take(msg)
                    while True:
                        if self.load.finish and self.last >= target():
                            await ws.close()
                            return
                        try:
                            self.take(json.loads(await asyncio.wait_for(ws.recv(), 0.1)))
                        except asyncio.TimeoutError:
                            pass
            except Exception as e:
                self.load.note_close(e, self.node)
                await asyncio.sleep(RECONNECT_AFTER)


# ---- checking the store -------------------------------------------------------------

def stored_history(server, room=ROOM):
    items, after = [], 0
    while True:
        page = server.api("GET", f"/api/v1/rooms/{room}/messages?after_seq={after}&limit=500")
        items += page["items"]
        if not page["items"] or not page["has_more"]:
            return items
        after = page["items"][-1]["seq"]


def verify(server, senders, listeners):
    history = stored_history(server)
    seqs = [m["seq"] for m in history]
    by_cid = collections.defaultdict(list)
    for m in history:
        if m.get("client_id") is not None:
            by_cid[m["client_id"]].append(m["seq"])
    acked = {cid: seq for s in senders for cid, seq in s.acked.items()}
    lost = [cid for cid, seq in acked.items() if by_cid.get(cid) != [seq]]
    last = max(seqs, default=0)
    gaps = sorted(set(range(1, last + 1)) - set(seqs))
    out = {
        "acked": len(acked),
        "stored": len(history),
        "last_seq": last,
        "acked_lost": len(lost),
        "duplicated": sum(1 for v in by_cid.values() if len(v) > 1),
        "seq_gaps": len(gaps),
        "seq_repeats": len(seqs) - len(set(seqs)),
        "ack_conflicts": sum(len(s.conflicts) for s in senders),
        "unacked_left": sum(len(s.pending) for s in senders),
        "stored_unacked": sum(1 for cid in by_cid if cid not in acked),
        "listener_missed": sum(sum(1 for q in range(1, last + 1) if q not in l.seen) for l in listeners),
        "listener_repeats": sum(sum(c - 1 for c in l.seen.values()) for l in listeners),
        "listener_out_of_order": sum(l.out_of_order for l in listeners),
        "listener_truncated": sum(l.truncated for l in listeners),
    }
    out["_detail"] = {"lost": lost[:20], "gaps": gaps[:20],
                      "conflicts": [c for s in senders for c in s.conflicts][:20]}
    return out


BROKEN = ("acked_lost", "duplicated", "seq_gaps", "seq_repeats", "ack_conflicts",
          "unacked_left", "listener_missed", "listener_repeats", "listener_out_of_order")


# ---- one run ------------------------------------------------------------------------

async def boot(server, admin=None):
    """Starts `server` and waits for `/readyz` 200. The first server on a store prints
    the admin token; later nodes of a cluster print none and are given `admin`."""
    await asyncio.to_thread(server.start)
    if admin is None:
        await asyncio.to_thread(server.wait_admin_token)
    else:
        server.admin = admin
    if not await asyncio.to_thread(server.wait_ready):
        raise RuntimeError(f"{server.name} never became ready")


async def setup(server, nodes=None, listeners_per_node=1):
    """Boots `server`, makes the room and one token per client. Without `nodes` every
    client connects to `server`; with `nodes` (a cluster, `server` among them and
    booted already), sender i connects to nodes[i % len(nodes)] and
    `listeners_per_node` listeners to each node, in node order."""
    if nodes is None:
        await boot(server)
        sender_nodes, listener_nodes = [server] * SENDERS, [server] * LISTENERS
    else:
        sender_nodes = [nodes[i % len(nodes)] for i in range(SENDERS)]
        listener_nodes = [n for n in nodes for _ in range(listeners_per_node)]
    await asyncio.to_thread(server.api, "POST", "/api/v1/rooms",
                            {"id": ROOM, "settings": {"welcome_template": ""}})
    tokens = []
    for i in range(len(sender_nodes) + len(listener_nodes)):
        tok = await asyncio.to_thread(server.api, "POST", "/api/v1/tokens",
                                      {"kind": "user", "name": f"chaos{i}"})
        tokens.append(tok["token"])
    load = Load(server)
    senders = [Sender(i, tokens[i], load, node) for i, node in enumerate(sender_nodes)]
    listeners = [Listener(i, tokens[len(senders) + i], load, node)
                 for i, node in enumerate(listener_nodes)]
    return load, senders, listeners


def start_clients(load, senders, listeners):
    target = lambda: max((max(s.acked.values(), default=0) for s in senders), default=0)
    ltasks = [asyncio.create_task(l.run(target)) for l in listeners]
    return ltasks


async def finish(load, senders, stasks, ltasks, fault_at):
    """Waits for every send to be acked and every listener to catch up."""
    drained = True
    try:
        await asyncio.wait_for(asyncio.gather(*stasks), DRAIN_TIMEOUT)
    except asyncio.TimeoutError:
        drained = False
        for t in stasks:
            t.cancel()
    drain_s = now() - fault_at
    load.finish = True
    try:
        await asyncio.wait_for(asyncio.gather(*ltasks), 30)
    except asyncio.TimeoutError:
        for t in ltasks:
            t.cancel()
    return drained, drain_s


async def run_kill9(binary, pg_base, run_no, burst):
    run_dir = tempfile.mkdtemp(prefix="roomd-chaos-")
    store = Store(pg_base, run_dir)
    server = Server(binary, store, run_dir)
    result = {"mode": "kill9", "run": run_no, "store": "postgres" if pg_base else "sqlite",
              "burst": burst}
    try:
        load, senders, listeners = await setup(server)
        ltasks = start_clients(load, senders, listeners)
        await asyncio.wait_for(asyncio.gather(*(l.joined_once.wait() for l in listeners)), 10)
        stasks = [asyncio.create_task(s.run()) for s in senders]
        t0 = now()
        kill_after = random.uniform(0.5, 3.0)
        await asyncio.sleep(kill_after)
        if burst:  # every sender writes `burst` more sends at once; kill 0-50 ms later
            load.extra = burst
            await asyncio.sleep(random.uniform(0.0, 0.05))
        load.stop_new = True
        t_kill = now()
        server.kill9()
        acked_before = sum(len(s.acked) for s in senders)
        in_flight = sum(len(s.pending) for s in senders)
        await asyncio.to_thread(server.start)
        ok = await asyncio.to_thread(server.wait_ready)
        restart_s = now() - t_kill
        drained, drain_s = await finish(load, senders, stasks, ltasks, t_kill)
        result.update({
            "kill_after_s": round(kill_after, 3),
            "acked_before_kill": acked_before,
            "acks_per_s_before_kill": round(acked_before / (t_kill - t0), 1),
            "in_flight_at_kill": in_flight,
            "restart_s": round(restart_s, 3) if ok else None,
            "drain_s": round(drain_s, 3),
            "drained": drained,
            "resends": sum(s.resends for s in senders),
            "acked_after_reconnect": sum(s.acked_later for s in senders),
            "duplicate_acks": sum(s.duplicate_acks for s in senders),
            "errors": dict(load.errors),
            "closes": dict(load.closes),
        })
        result.update(await asyncio.to_thread(verify, server, senders, listeners))
        result["exit_after_sigterm"] = await asyncio.to_thread(server.stop)
    except Exception as e:
        result["failure"] = f"{type(e).__name__}: {e}"
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
    return conclude(result, store, run_dir)


def conclude(result, store, run_dir):
    bad = [k for k in BROKEN if result.get(k)]
    if not result.get("drained", True) or result.get("restart_s", 0) is None:
        bad.append("not_recovered")
    exits = result.get("exit_after_sigterm")
    if any(e not in (0, None) for e in (exits.values() if isinstance(exits, dict) else [exits])):
        bad.append("bad_exit")
    if "failure" in result:
        bad.append("failure")
    result["finding"] = bad
    if bad:
        dest = os.path.join(FINDINGS, f"{result['mode']}-{result['store']}-run{result['run']}-{int(time.time())}")
        shutil.copytree(run_dir, dest)
        store.keep(dest)
        with open(os.path.join(dest, "result.json"), "w") as f:
            json.dump(result, f, indent=1)
        result["kept"] = dest
    else:
        result.pop("_detail", None)
    store.drop()
    shutil.rmtree(run_dir, ignore_errors=True)
    return result


# ---- PostgreSQL outage --------------------------------------------------------------

async def run_pg_outage(binary, pg_base, cluster, secs, load_before=3.0, load_after=10.0):
    run_dir = tempfile.mkdtemp(prefix="roomd-chaos-")
    store = Store(pg_base, run_dir)
    server = Server(binary, store, run_dir)
    ctl = ["pg_ctlcluster", *cluster.split()]
    result = {"mode": "pg-outage", "run": 1, "store": "postgres", "outage_s": secs}
    try:
        load, senders, listeners = await setup(server)
        ltasks = start_clients(load, senders, listeners)
        await asyncio.wait_for(asyncio.gather(*(l.joined_once.wait() for l in listeners)), 10)
        stasks = [asyncio.create_task(s.run()) for s in senders]
        await asyncio.sleep(load_before)
        acked_before = sum(len(s.acked) for s in senders)
        t_stop = now()
        await asyncio.to_thread(subprocess.run, ctl + ["stop", "-m", "fast"], check=True)
        stopped_s = now() - t_stop
        ready_during, ready_slowest = collections.Counter(), 0.0
        while now() - t_stop < secs:
            t = now()
            ready_during[str(await asyncio.to_thread(server.ready, 5))] += 1
            ready_slowest = max(ready_slowest, now() - t)
            await asyncio.sleep(max(0.0, min(0.5, secs - (now() - t_stop))))
        errors_during = dict(load.errors)
        closes_during = dict(load.closes)
        acked_during = sum(len(s.acked) for s in senders) - acked_before
        t_start = now()
        await asyncio.to_thread(subprocess.run, ctl + ["start"], check=True)
        pg_up_s = now() - t_start
        t_pg_up = now()
        created_before_start = {cid for s in senders for cid, t in s.created_at.items() if t < t_start}
        t_ready = None
        while now() - t_start < 120 and t_ready is None:
            if await asyncio.to_thread(server.ready) == 200:
                t_ready = now()
            else:
                await asyncio.sleep(0.05)
        while now() - t_start < load_after:
            await asyncio.sleep(0.1)
        load.stop_new = True
        drained, drain_s = await finish(load, senders, stasks, ltasks, now())
        first_ack = min((t for t in load.ack_times if t >= t_start), default=None)
        ack_at = {cid: t for s in senders for cid, t in s.ack_time.items()}
        backlog = [ack_at.get(cid) for cid in created_before_start]
        backlog_done = None if None in backlog or not backlog else max(backlog) - t_start
        result.update({
            "acked_before_outage": acked_before,
            "acked_during_outage": acked_during,
            "pg_stop_took_s": round(stopped_s, 3),
            "pg_start_took_s": round(pg_up_s, 3),
            "readyz_during_outage": dict(ready_during),
            "readyz_slowest_answer_during_outage_s": round(ready_slowest, 3),
            "errors_during_outage": errors_during,
            "closes_during_outage": closes_during,
            "errors_total": dict(load.errors),
            "closes_total": dict(load.closes),
            "readyz_200_after_pg_start_s": round(t_ready - t_start, 3) if t_ready else None,
            "readyz_200_after_pg_up_s": round(t_ready - t_pg_up, 3) if t_ready else None,
            "first_ack_after_pg_start_s": round(first_ack - t_start, 3) if first_ack else None,
            "sends_before_pg_start": len(created_before_start),
            "all_of_them_acked_after_pg_start_s": round(backlog_done, 3) if backlog_done is not None else None,
            "drained": drained,
            "drain_s": round(drain_s, 3),
            "resends": sum(s.resends for s in senders),
            "acked_after_reconnect": sum(s.acked_later for s in senders),
            "duplicate_acks": sum(s.duplicate_acks for s in senders),
            "acks_per_s_from_load_start": timeline(load.ack_times, t_stop - load_before),
        })
        shutil.copy(server.log_path, "/tmp/chaos-pg-outage-server.log")
        result.update(await asyncio.to_thread(verify, server, senders, listeners))
        result["exit_after_sigterm"] = await asyncio.to_thread(server.stop)
    except Exception as e:
        result["failure"] = f"{type(e).__name__}: {e}"
    finally:
        subprocess.run(ctl + ["start"], capture_output=True)  # never leave it stopped
        if server.proc and server.proc.poll() is None:
            server.stop()
    return conclude(result, store, run_dir)


# ---- NATS outage (cluster) ----------------------------------------------------------

def log_lines(path, start, end):
    """Lines of a node's log between two byte offsets, counted by level and message
    (JSON lines; anything else by its first 80 characters)."""
    out = collections.Counter()
    with open(path, "rb") as f:
        f.seek(start)
        chunk = f.read(max(0, end - start)) if end is not None else f.read()
    for raw in chunk.decode(errors="replace").splitlines():
        try:
            rec = json.loads(raw)
            key = f"{rec.get('level')} {rec.get('msg')}"
            if rec.get("event"):
                key += f" ({rec['event']})"
        except ValueError:
            key = raw[:80]
        out[key] += 1
    return dict(out.most_common(20))


def parse_ts(ts):
    """A message's `ts` (RFC 3339, UTC) as seconds since the epoch."""
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


async def watch_deliveries(nodes, expected, t0, timeout=120):
    """Server side of the catch-up: polls each node's `roomd_deliveries_total` until it
    reaches `expected[node]`; returns {node: seconds after t0, or None}."""
    reached = {}
    while now() - t0 < timeout and len(reached) < len(nodes):
        for n in nodes:
            if n.name not in reached:
                v = await asyncio.to_thread(n.metric, "roomd_deliveries_total")
                if v is not None and v >= expected[n.name]:
                    reached[n.name] = round(now() - t0, 3)
        await asyncio.sleep(0.1)
    return reached


def socket_queues(port):
    """Bytes waiting in the kernel on a node's TCP connections: (unread by the clients,
    Recv-Q of the client ends; unsent by the server, Send-Q of the server ends)."""
    def total(flt):
        out = subprocess.run(["ss", "-tnH", "state", "established", flt],
                             capture_output=True, text=True, timeout=10).stdout
        return sum(int(line.split()[0]) for line in out.splitlines() if line.strip())
    return total(f"( dport = :{port} )"), total(f"( sport = :{port} )")


async def watch_socket_queues(nodes, t0, secs=12, period=1.0):
    """socket_queues of every node, every `period` for `secs` from t0:
    {node: [[seconds after t0, unread by clients, unsent by the server], …]}."""
    out = {n.name: [] for n in nodes}
    while now() - t0 < secs:
        for n in nodes:
            unread, unsent = await asyncio.to_thread(socket_queues, n.port)
            out[n.name].append([round(now() - t0, 1), unread, unsent])
        await asyncio.sleep(period)
    return out


def longest_gap(times, t_from, t_to):
    """The longest interval without an event in [t_from, t_to] (the ends count)."""
    ts = [t_from] + sorted(t for t in times if t_from <= t <= t_to) + [t_to]
    return max(b - a for a, b in zip(ts, ts[1:]))


async def run_nats_outage(binary, pg_base, n_nodes, secs, sig, rate, load_before=3.0, load_after=10.0):
    run_dir = tempfile.mkdtemp(prefix="roomd-chaos-")
    store = Store(pg_base, run_dir)
    nats = Nats(run_dir)
    prefix = f"chaos{random.getrandbits(32):08x}"
    nodes = [Server(binary, store, run_dir, f"n{i + 1}", {
        "ROOMD__CLUSTER__ENABLED": "true",
        "ROOMD__CLUSTER__NODE_ID": f"n{i + 1}",
        "ROOMD__CLUSTER__NATS_URL": nats.url,
        "ROOMD__CLUSTER__SUBJECT_PREFIX": prefix,
        "ROOMD__LOG__LEVEL": "info",       # the NATS connection events are info lines
    }) for i in range(n_nodes)]
    result = {"mode": "nats-outage", "run": 1, "store": "postgres", "nodes": n_nodes,
              "outage_s": secs, "signal": sig.name, "rate": rate or None,
              "loadavg_at_start": os.getloadavg()}
    try:
        await asyncio.to_thread(nats.start)
        await boot(nodes[0])
        for node in nodes[1:]:
            await boot(node, nodes[0].admin)
        load, senders, listeners = await setup(nodes[0], nodes, LISTENERS_PER_NODE)
        load.rate = rate / len(senders)
        target = lambda: max((max(s.acked.values(), default=0) for s in senders), default=0)
        # The first join makes the room live on its node: n1 owns the room.
        ltasks = [asyncio.create_task(listeners[0].run(target))]
        await asyncio.wait_for(listeners[0].joined_once.wait(), 10)
        ltasks += [asyncio.create_task(l.run(target)) for l in listeners[1:]]
        await asyncio.wait_for(asyncio.gather(*(l.joined_once.wait() for l in listeners)), 10)
        room = await asyncio.to_thread(nodes[0].api, "GET", f"/api/v1/rooms/{ROOM}")
        result["owner"] = room.get("owner_node")
        stasks = [asyncio.create_task(s.run()) for s in senders]
        t_load = now()
        await asyncio.sleep(load_before)
        acked_before = sum(len(s.acked) for s in senders)
        at_stop = {n.name: os.path.getsize(n.log_path) for n in nodes}
        t_stop = now()
        nats_exit = await asyncio.to_thread(nats.stop, sig)
        ready_during = {n.name: collections.Counter() for n in nodes}
        ready_slowest = 0.0
        while now() - t_stop < secs:
            for n in nodes:
                t = now()
                status, body = await asyncio.to_thread(n.readyz, 5)
                ready_slowest = max(ready_slowest, now() - t)
                nats_flag = body.get("nats") if isinstance(body, dict) else None
                ready_during[n.name][f"{status} nats={str(nats_flag).lower()}"] += 1
            await asyncio.sleep(max(0.0, min(0.5, secs - (now() - t_stop))))
        errors_during = {k: dict(v) for k, v in load.node_errors.items()}
        closes_during = {k: dict(v) for k, v in load.node_closes.items()}
        at_start = {n.name: os.path.getsize(n.log_path) for n in nodes}
        t_start, t_start_wall = now(), time.time()
        wall = lambda t: t_start_wall + (t - t_start)   # monotonic -> epoch seconds
        top_at_start = target()
        created_before_start = {cid: s.node.name for s in senders
                                for cid, t in s.created_at.items() if t < t_start}
        # Every session joined before seq 1 and gets every seq once: a node has handed
        # its sessions every message up to top_at_start when its deliveries counter
        # reaches sessions x top_at_start (a reconnect's replay would count twice).
        sessions = {n.name: sum(1 for c in senders + listeners if c.node is n) for n in nodes}
        delivered_at_start = {n.name: await asyncio.to_thread(n.metric, "roomd_deliveries_total")
                              for n in nodes}
        deliveries = asyncio.create_task(watch_deliveries(
            nodes, {k: v * top_at_start for k, v in sessions.items()}, t_start))
        queues = asyncio.create_task(watch_socket_queues(nodes, t_start))
        nats_up_s = await asyncio.to_thread(nats.start)
        t_nats_true = {}
        while now() - t_start < 120 and len(t_nats_true) < len(nodes):
            for n in nodes:
                if n.name not in t_nats_true:
                    status, body = await asyncio.to_thread(n.readyz, 5)
                    if status == 200 and isinstance(body, dict) and body.get("nats") is True:
                        t_nats_true[n.name] = now()
            await asyncio.sleep(0.05)
        while now() - t_start < load_after:
            await asyncio.sleep(0.1)
        load.stop_new = True
        t_end_load = now()
        at_end = {n.name: os.path.getsize(n.log_path) for n in nodes}   # the load's end
        drained, drain_s = await finish(load, senders, stasks, ltasks, now())
        delivered_all = await deliveries
        queued = await queues
        rel = lambda t: round(t - t_start, 3) if t is not None else None
        # Commit times (the stored `ts`) of each node's senders' messages.
        history = await asyncio.to_thread(stored_history, nodes[0])
        node_of = {f"s{s.idx}-": s.node.name for s in senders}
        commits = collections.defaultdict(list)
        for m in history:
            cid = m.get("client_id") or ""
            commits[node_of.get(cid[:cid.index("-") + 1] if "-" in cid else "")].append(parse_ts(m["ts"]))

        per_node = {}
        for n in nodes:
            ns = [s for s in senders if s.node is n]
            nl = [l for l in listeners if l.node is n]
            acks = sorted(t for s in ns for t in s.ack_time.values())
            ack_at = {cid: t for s in ns for cid, t in s.ack_time.items()}
            backlog = [ack_at.get(cid) for cid, name in created_before_start.items() if name == n.name]
            caught_up = []
            for l in nl:
                t_up = next((t for t, q in l.arrivals if t >= t_start and q >= top_at_start), None)
                caught_up.append(rel(t_up))
            done = [c for c in commits[n.name] if c >= t_start_wall]
            per_node[n.name] = {
                "senders": len(ns), "listeners": len(nl),
                "committed_during_outage": sum(1 for c in commits[n.name] if wall(t_stop) <= c < t_start_wall),
                "first_commit_after_nats_start_s": round(min(done) - t_start_wall, 3) if done else None,
                "deliveries_at_nats_start": delivered_at_start[n.name],
                "deliveries_expected": sessions[n.name] * top_at_start,
                "server_delivered_all_up_to_top_seq_after_nats_start_s": delivered_all.get(n.name),
                "socket_bytes_unread_by_clients_unsent_by_server_after_nats_start": queued[n.name],
                "acked_during_outage": sum(1 for t in acks if t_stop <= t < t_start),
                "longest_ack_silence_s": round(longest_gap(acks, t_load, t_end_load), 3),
                "first_ack_after_nats_start_s": rel(next((t for t in acks if t >= t_start), None)),
                "sends_before_nats_start": len(backlog),
                "all_of_them_acked_after_nats_start_s":
                    rel(max(backlog)) if backlog and None not in backlog else None,
                "listener_msgs_during_outage":
                    [sum(1 for t, _ in l.arrivals if t_stop <= t < t_start) for l in nl],
                "listener_longest_silence_s":
                    [round(longest_gap([t for t, _ in l.arrivals], t_load, t_end_load), 3) for l in nl],
                "listener_has_seq_acked_before_nats_start_after_s": caught_up,
                "readyz_during_outage": dict(ready_during[n.name]),
                "readyz_nats_true_after_nats_start_s": rel(t_nats_true.get(n.name)),
                "errors_during_outage": errors_during.get(n.name, {}),
                "closes_during_outage": closes_during.get(n.name, {}),
                "errors_total": dict(load.node_errors.get(n.name, {})),
                "closes_total": dict(load.node_closes.get(n.name, {})),
                "reconnects": sum(c.conns - 1 for c in ns + nl if c.conns),
                "acks_per_s_from_load_start": timeline(acks, t_load),
                "log_during_outage": log_lines(n.log_path, at_stop[n.name], at_start[n.name]),
                "log_after_nats_start_to_load_end": log_lines(n.log_path, at_start[n.name], at_end[n.name]),
            }
            shutil.copy(n.log_path, f"/tmp/chaos-nats-outage-{n.name}.log")
        result.update({
            "acked_before_outage": acked_before,
            "nats_exit_status": nats_exit,
            "nats_start_took_s": round(nats_up_s, 3),
            "readyz_slowest_answer_during_outage_s": round(ready_slowest, 3),
            "top_seq_at_nats_start": top_at_start,
            "drained": drained,
            "drain_s": round(drain_s, 3),
            "resends": sum(s.resends for s in senders),
            "acked_after_reconnect": sum(s.acked_later for s in senders),
            "duplicate_acks": sum(s.duplicate_acks for s in senders),
            "errors_total": dict(load.errors),
            "closes_total": dict(load.closes),
            "per_node": per_node,
            "loadavg_at_end": os.getloadavg(),
        })
        result.update(await asyncio.to_thread(verify, nodes[-1], senders, listeners))
        result["exit_after_sigterm"] = {}
        for n in nodes:
            result["exit_after_sigterm"][n.name] = await asyncio.to_thread(n.stop)
    except Exception as e:
        result["failure"] = f"{type(e).__name__}: {e}"
    finally:
        for n in nodes:
            if n.proc and n.proc.poll() is None:
                n.stop()
        nats.kill()
    return conclude(result, store, run_dir)


def timeline(times, t0):
    """Acks per whole second since t0."""
    buckets = collections.Counter(int(t - t0) for t in times if t >= t0)
    return [buckets.get(i, 0) for i in range(max(buckets, default=-1) + 1)]


# ---- main ---------------------------------------------------------------------------

def summary(results):
    ok = [r for r in results if "failure" not in r]
    restarts = [r["restart_s"] for r in ok if r.get("restart_s") is not None]
    total = lambda k: sum(r.get(k, 0) or 0 for r in ok)
    closes = collections.Counter()
    errors = collections.Counter()
    for r in ok:
        closes.update(r.get("closes") or r.get("closes_total") or {})
        errors.update(r.get("errors") or r.get("errors_total") or {})
    return {
        "summary": True, "mode": results[0]["mode"], "store": results[0]["store"],
        "burst": results[0].get("burst"),
        "runs": len(results), "failed_runs": len(results) - len(ok),
        "runs_with_findings": sum(1 for r in results if r["finding"]),
        "acked": total("acked"), "acked_lost": total("acked_lost"), "duplicated": total("duplicated"),
        "seq_gaps": total("seq_gaps"), "ack_conflicts": total("ack_conflicts"),
        "in_flight_at_kill": total("in_flight_at_kill"), "resends": total("resends"),
        "acked_after_reconnect": total("acked_after_reconnect"), "duplicate_acks": total("duplicate_acks"),
        "stored_unacked": total("stored_unacked"),
        "listener_missed": total("listener_missed"), "listener_repeats": total("listener_repeats"),
        "restart_s_p50": round(statistics.median(restarts), 3) if restarts else None,
        "restart_s_max": round(max(restarts), 3) if restarts else None,
        "drain_s_p50": round(statistics.median([r["drain_s"] for r in ok]), 3) if ok else None,
        "drain_s_max": round(max([r["drain_s"] for r in ok]), 3) if ok else None,
        "closes": dict(closes), "errors": dict(errors),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("mode", choices=["kill9", "pg-outage", "nats-outage"])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--db", help="PostgreSQL base URL (default: SQLite in a temp dir)")
    ap.add_argument("--secs", type=float, default=30)
    ap.add_argument("--burst", type=int, default=0,
                    help="kill9: just before the kill, every sender writes this many more "
                         "sends without waiting for acks, so the kill finds them in flight")
    ap.add_argument("--pg-cluster", default="15 chaos",
                    help="`VERSION NAME` of the cluster pg-outage stops and starts")
    ap.add_argument("--nodes", type=int, default=2, help="nats-outage: cluster nodes")
    ap.add_argument("--nats-signal", choices=["KILL", "TERM"], default="KILL",
                    help="nats-outage: how nats-server is stopped")
    ap.add_argument("--rate", type=float, default=0,
                    help="nats-outage: new sends per second, all senders together "
                         "(default: as fast as acks come back)")
    ap.add_argument("--max-minutes", type=float, default=60,
                    help="kill9: start no new run after this long")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    os.makedirs(FINDINGS, exist_ok=True)
    results = []
    if args.mode == "kill9":
        deadline = now() + args.max_minutes * 60
        for n in range(1, min(args.runs, 1000) + 1):
            if now() > deadline:
                print(f"stopping after {n - 1} runs: --max-minutes reached", file=sys.stderr)
                break
            r = asyncio.run(run_kill9(binary, args.db, n, min(args.burst, 10000)))
            results.append(r)
            print(json.dumps(r), flush=True)
    elif args.mode == "nats-outage":
        if not args.db:
            sys.exit("nats-outage needs --db (PostgreSQL: cluster mode)")
        r = asyncio.run(run_nats_outage(binary, args.db, max(2, min(args.nodes, 5)), min(args.secs, 600),
                                        getattr(signal, "SIG" + args.nats_signal), max(0.0, args.rate)))
        results.append(r)
        print(json.dumps(r), flush=True)
    else:
        if not args.db:
            sys.exit("pg-outage needs --db (PostgreSQL)")
        r = asyncio.run(run_pg_outage(binary, args.db, args.pg_cluster, min(args.secs, 600)))
        results.append(r)
        print(json.dumps(r), flush=True)
    print(json.dumps(summary(results)), flush=True)


if __name__ == "__main__":
    main()
