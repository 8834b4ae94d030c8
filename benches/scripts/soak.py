#!/usr/bin/env python3
"""Soak: hours of steady load with churn and resumes; does anything grow or get lost?

Starts a real `roomd serve` (the binary given) on 127.0.0.1 on a fresh store and runs,
all at once, for --minutes:

  traffic     the project's load runner (`examples/load`, docs/LOAD.md) in its `rooms`
              scenario against this server (`--nodes`): --rooms rooms x --members
              sessions, every one sending, open loop, at --rate msg/s in total. Without
              --rate the script measures the capacity first (a ladder of 6 s `rooms` runs
              at doubling rates; capacity = the highest rate whose run passed every
              check with p99 delivery under 0.5 s) and soaks at half of it.
  durable     --senders clients in room `soak`, each sending 10 msg/s with a unique
              client_id and resending what is unacked after every reconnect; each
              closes its connection and comes back every 5-30 s.
  resumers    --resumers clients in `soak` that leave (close) every 5-30 s and join
              again with `after_seq` = the last seq they saw (docs/PROTOCOL.md): every
              seq must arrive once, in order.
  churn       --churners clients that loop: connect, join a random traffic room,
              read 0.2-2 s, `leave`, close. Every cycle adds and removes a session and
              a member.
  sampler     every --sample-secs: the server's VmRSS / RssAnon (/proc), GET /metrics
              (open sessions, `roomd_mailbox_depth` and `roomd_mailbox_depth_max` by
              actor kind), the deepest single mailbox of each kind (GET
              /api/v1/actors?top=100&sort=depth), and for SQLite the database and WAL
              file sizes.

Then it stops the clients, checks the stored history of `soak` (every acked message
stored once with its acked seq, no seq gap: the checks of chaos.py) and prints one JSON
line per sample to --samples (default /tmp/roomd-soak-samples.jsonl) and one summary
line on stdout. The summary's verdict fails (exit status 1) when: an acked message is
lost or stored twice, a seq is missing, a resumer missed or repeated a seq, the load
runner's own checks failed, RSS grew more than --max-rss-growth percent from the end of
the warm-up (--warmup-minutes, default a quarter of the run, at most 10) to the end
(the median of the last three samples against the median of the three at warm-up end,
so one allocator burst does not decide it), or one actor's mailbox depth was ever
sampled above --max-depth.

    python3 benches/scripts/soak.py target/release/roomd --minutes 60
    python3 benches/scripts/soak.py target/release/roomd --minutes 60 \\
        --db postgres://postgres@127.0.0.1:5432/test
    python3 benches/scripts/soak.py target/debug/roomd --load-bin target/debug/examples/load \\
        --minutes 2        # what .ci/run runs

docs/RELIABILITY.md ("Soak") has the figures. Python 3.11, the standard library and
`websockets`; the load runner is built by `cargo build --release --example load` (or
`cargo test --examples --no-run` for the debug one).
"""

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaos import Server, Store, joined, now, stored_history  # noqa: E402  (the same server and store handling)

ROOM = "soak"
DURABLE_RATE = 10.0       # new sends per second per durable sender
ACK_TIMEOUT = 10.0        # resend an unanswered send this long after it went
WS_OPTS = dict(open_timeout=10, ping_interval=None, close_timeout=1, max_size=2 ** 24)


def url(server, token):
    return f"ws://127.0.0.1:{server.port}/ws?token={urllib.parse.quote(token)}"


class Stop:
    """Shared by the clients: when to stop, and what went wrong on the way."""

    def __init__(self):
        self.now = False
        # Set once every durable sender has finished (its last send acked): only then is
        # the last acked seq final, and may the resumers stop once they have seen it.
        self.senders_done = False
        self.closes = collections.Counter()
        self.errors = collections.Counter()

    def note_close(self, e):
        code = getattr(getattr(e, "rcvd", None), "code", None)
        if isinstance(e, RuntimeError) and "join refused" in str(e):
            code = str(e).split("'code': '", 1)[-1].split("'", 1)[0]   # the error frame's code
        self.closes[f"{type(e).__name__} {code}" if code else type(e).__name__] += 1


# ---- the clients of room `soak` -----------------------------------------------------

class DurableSender:
    """Sends with client_ids, reconnects every 5-30 s and resends the unacked."""

    def __init__(self, idx, token, server, stop):
        self.idx, self.token, self.server, self.stop = idx, token, server, stop
        self.next_n, self.pending, self.acked, self.conflicts = 0, {}, {}, 0
        self.reconnects = 0

    async def run(self):
        while not (self.stop.now and not self.pending):
            try:
                async with websockets.connect(url(self.server, self.token), **WS_OPTS) as ws:
                    await joined(ws, ROOM)
                    for cid in self.pending:
                        self.pending[cid] = 0.0
                    await self.session(ws, now() + random.uniform(5, 30))
            except Exception as e:
                self.stop.note_close(e)
                await asyncio.sleep(0.2)
            self.reconnects += 1

    async def session(self, ws, leave_at):
        next_new = now()
        while now() < leave_at and not (self.stop.now and not self.pending):
            t = now()
            for cid, due in list(self.pending.items()):
                if due <= t:
                    self.pending[cid] = t + ACK_TIMEOUT
                    await ws.send(self.frame(cid))
            if not self.stop.now and t >= next_new:
                next_new = max(next_new + 1 / DURABLE_RATE, t - 1)
                cid = f"d{self.idx}-{self.next_n}"
                self.next_n += 1
                self.pending[cid] = t + ACK_TIMEOUT
                await ws.send(self.frame(cid))
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 0.05))
            except asyncio.TimeoutError:
                continue
            if msg.get("type") == "ack":
                cid, seq = msg["client_id"], msg["seq"]
                if cid in self.acked and self.acked[cid] != seq:
                    self.conflicts += 1
                self.acked.setdefault(cid, seq)
                self.pending.pop(cid, None)
            elif msg.get("type") == "error":
                self.stop.errors[msg.get("code")] += 1
                if msg.get("id") in self.pending:
                    self.pending[msg["id"]] = now() + 0.25
        await ws.close()

    def frame(self, cid):
        return json.dumps({"type": "send", "room": ROOM, "id": cid, "client_id": cid,
                           "text": f"soak {cid}"})


class Resumer:
    """Leaves every 5-30 s and joins again after the last seq it saw."""

    def __init__(self, token, server, stop):
        self.token, self.server, self.stop = token, server, stop
        self.last, self.seen = 0, collections.Counter()
        self.out_of_order, self.resumes, self.truncated = 0, 0, 0

    def take(self, msg):
        if msg.get("type") == "message" and msg.get("room") == ROOM:
            seq = msg["seq"]
            self.seen[seq] += 1
            self.out_of_order += seq != self.last + 1
            self.last = max(self.last, seq)

    async def run(self, target):
        while True:
            try:
                async with websockets.connect(url(self.server, self.token), **WS_OPTS) as ws:
                    reply, early = await joined(ws, ROOM, self.last)
                    self.resumes += 1
                    self.truncated += bool(reply.get("truncated"))
                    for msg in early:
                        self.take(msg)
                    leave_at = now() + random.uniform(5, 30)
                    while now() < leave_at:
                        if self.stop.senders_done and self.last >= target():
                            await ws.close()
                            return
                        try:
                            self.take(json.loads(await asyncio.wait_for(ws.recv(), 0.1)))
                        except asyncio.TimeoutError:
                            pass
            except Exception as e:
                self.stop.note_close(e)
                await asyncio.sleep(0.2)


class Churner:
    """connect → join a random traffic room → read a moment → leave → close, in a loop."""

    def __init__(self, token, server, stop, rooms):
        self.token, self.server, self.stop, self.rooms = token, server, stop, rooms
        self.cycles, self.failed = 0, 0

    async def run(self):
        while not self.stop.now:
            room = f"r{random.randrange(self.rooms)}"
            try:
                async with websockets.connect(url(self.server, self.token), **WS_OPTS) as ws:
                    await joined(ws, room)
                    read_until = now() + random.uniform(0.2, 2.0)
                    while now() < read_until:
                        try:
                            await asyncio.wait_for(ws.recv(), max(0.01, read_until - now()))
                        except asyncio.TimeoutError:
                            pass
                    await ws.send(json.dumps({"type": "leave", "room": room, "id": "l"}))
                    self.cycles += 1
            except Exception as e:
                self.failed += 1
                self.stop.note_close(e)
                await asyncio.sleep(0.2)


# ---- what the sampler reads ---------------------------------------------------------

def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                    out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def metrics(server):
    """Open sessions and the mailbox gauges by actor kind, from GET /metrics."""
    out = {"depth": {}, "depth_max": {}}
    try:
        with urllib.request.urlopen(server.base + "/metrics", timeout=5) as r:
            text = r.read().decode()
    except Exception as e:
        return {"error": str(e)}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        for family, key in (("roomd_mailbox_depth{", "depth"), ("roomd_mailbox_depth_max{", "depth_max")):
            if name.startswith(family):
                kind = name.split('actor="', 1)[1].split('"', 1)[0]
                out[key][kind] = float(value)
        if name.startswith("roomd_ws_connections") or name.startswith("process_open_fds"):
            out[name.split("{")[0]] = float(value)
    return out


def file_sizes(run_dir):
    sizes = {}
    for name in ("roomd.db", "roomd.db-wal", "roomd.db-shm"):
        try:
            sizes[name] = os.path.getsize(os.path.join(run_dir, name))
        except OSError:
            pass
    return sizes


def deepest_by_kind(server):
    """The deepest single mailbox of each kind among the 100 deepest (GET /api/v1/actors)."""
    try:
        items = server.api("GET", "/api/v1/actors?top=100&sort=depth")["items"]
    except Exception as e:
        return {"error": str(e)}
    out = {}
    for a in items:
        out[a["kind"]] = max(out.get(a["kind"], 0), a["mailbox"]["depth"])
    return out


async def sampler(server, run_dir, t0, every, samples, out):
    while True:
        s = {"t_s": round(now() - t0, 1), **proc_status(server.proc.pid),
             **await asyncio.to_thread(metrics, server), "files": file_sizes(run_dir),
             "deepest": await asyncio.to_thread(deepest_by_kind, server)}
        samples.append(s)
        out.write(json.dumps(s) + "\n")
        out.flush()
        await asyncio.sleep(every)


# ---- the load runner ----------------------------------------------------------------

def load_args(load_bin, server, rooms, members, rate, secs):
    return [load_bin, "rooms", "--nodes", f"127.0.0.1:{server.port}", "--admin-token", server.admin,
            "--server-pid", str(server.proc.pid), "--rooms", str(rooms), "--members", str(members),
            "--rate", str(rate), "--duration", str(secs), "--warmup", "1", "--drain", "30"]


def run_load(args):
    p = subprocess.run(args, capture_output=True, text=True)
    line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else None
    if line is None:
        raise RuntimeError(f"load runner printed nothing (exit {p.returncode}): {p.stderr[-500:]}")
    return json.loads(line)


def passed(r):
    p99 = (r.get("latency_us") or {}).get("p99")
    return bool(r.get("ok")) and p99 is not None and p99 < 500_000


def calibrate(load_bin, server, rooms, members, start=1000, top=128_000):
    """Doubles the rate from `start` until a 6 s run fails; returns (capacity, ladder)."""
    ladder, best, rate = [], 0, start
    while rate <= top:
        r = run_load(load_args(load_bin, server, rooms, members, rate, 5))
        ok = passed(r)
        ladder.append({"rate": rate, "ok": ok, "p99_us": (r.get("latency_us") or {}).get("p99"),
                       "delivered_per_s": r.get("delivered_per_s"),
                       "server_cpu_pct": (r.get("server") or {}).get("cpu_pct")})
        print(json.dumps({"calibration": ladder[-1]}), file=sys.stderr, flush=True)
        if not ok:
            break
        best, rate = rate, rate * 2
    return best, ladder


# ---- the run ------------------------------------------------------------------------

def check_history(server, senders, resumers):
    history = stored_history(server, ROOM)
    seqs = [m["seq"] for m in history]
    by_cid = collections.defaultdict(list)
    for m in history:
        if m.get("client_id") is not None:
            by_cid[m["client_id"]].append(m["seq"])
    acked = {cid: seq for s in senders for cid, seq in s.acked.items()}
    last = max(seqs, default=0)
    # Resumers wait for the last acked seq, then leave: what is stored after it
    # (nothing, unless system messages follow) is not theirs to have seen.
    upto = max(acked.values(), default=0)
    missed = sorted({q for r in resumers for q in range(1, upto + 1) if q not in r.seen})
    by_seq = {m["seq"]: m for m in history}
    return {
        "acked": len(acked),
        "acked_lost": sum(1 for cid, seq in acked.items() if by_cid.get(cid) != [seq]),
        "duplicated": sum(1 for v in by_cid.values() if len(v) > 1),
        "seq_gaps": len(set(range(1, last + 1)) - set(seqs)),
        "ack_conflicts": sum(s.conflicts for s in senders),
        "unacked_left": sum(len(s.pending) for s in senders),
        "resumer_missed": sum(sum(1 for q in range(1, upto + 1) if q not in r.seen) for r in resumers),
        "resumer_repeats": sum(sum(c - 1 for c in r.seen.values()) for r in resumers),
        "resumer_out_of_order": sum(r.out_of_order for r in resumers),
        "stored_after_last_ack": last - upto,
        "_missed": [by_seq.get(q, {"seq": q, "stored": False}) for q in missed[:10]],
    }


def median_rss(samples):
    return statistics.median(s.get("VmRSS", 0) for s in samples) if samples else None


async def soak(args):
    run_dir = tempfile.mkdtemp(prefix="roomd-soak-")
    store = Store(args.db, run_dir)
    server = Server(os.path.abspath(args.binary), store, run_dir, name="soak",
                    env={"ROOMD__LOG__LEVEL": "warning"})
    summary = {"soak": True, "store": "postgres" if args.db else "sqlite", "minutes": args.minutes,
               "rooms": args.rooms, "members": args.members}
    try:
        server.start()
        await asyncio.to_thread(server.wait_admin_token)
        if not await asyncio.to_thread(server.wait_ready):
            raise RuntimeError("server never became ready")
        if args.rate:
            rate, summary["capacity"] = args.rate, None
        else:
            capacity, summary["calibration"] = await asyncio.to_thread(
                calibrate, args.load_bin, server, args.rooms, args.members)
            if not capacity:
                raise RuntimeError("not even the first calibration rate passed")
            summary["capacity"], rate = capacity, capacity / 2
        summary["rate"] = rate
        await asyncio.to_thread(server.api, "POST", "/api/v1/rooms",
                                {"id": ROOM, "settings": {"welcome_template": ""}})
        n = args.senders + args.resumers + args.churners
        tokens = [(await asyncio.to_thread(server.api, "POST", "/api/v1/tokens",
                                           {"kind": "user", "name": f"soak{i}"}))["token"] for i in range(n)]
        stop = Stop()
        senders = [DurableSender(i, tokens[i], server, stop) for i in range(args.senders)]
        resumers = [Resumer(tokens[args.senders + i], server, stop) for i in range(args.resumers)]
        churners = [Churner(tokens[args.senders + args.resumers + i], server, stop, args.rooms)
                    for i in range(args.churners)]
        target = lambda: max((max(s.acked.values(), default=0) for s in senders), default=0)

        secs = args.minutes * 60
        t0 = now()
        samples = []
        out = open(args.samples, "w")
        sample_task = asyncio.create_task(sampler(server, run_dir, t0, args.sample_secs, samples, out))
        load_task = asyncio.create_task(asyncio.to_thread(
            run_load, load_args(args.load_bin, server, args.rooms, args.members, rate, secs)))
        rtasks = [asyncio.create_task(r.run(target)) for r in resumers]
        stasks = [asyncio.create_task(s.run()) for s in senders]
        ctasks = [asyncio.create_task(c.run()) for c in churners]
        await asyncio.sleep(secs)
        stop.now = True
        await asyncio.wait_for(asyncio.gather(*stasks, *ctasks), 120)
        stop.senders_done = True
        await asyncio.wait_for(asyncio.gather(*rtasks), 60)
        load = await load_task
        sample_task.cancel()
        out.close()

        warm_s = args.warmup_minutes * 60 if args.warmup_minutes is not None else min(secs / 4, 600)
        at_warm = [s for s in samples if s["t_s"] >= warm_s][:3]
        at_end = [s for s in samples if s["t_s"] <= secs][-3:]
        rss_warm, rss_end = median_rss(at_warm), median_rss(at_end)
        growth = round(100 * (rss_end - rss_warm) / rss_warm, 2) if rss_warm else None
        depth_peak, sum_peak = collections.Counter(), collections.Counter()
        for s in samples:
            for kind, d in (s.get("deepest") or {}).items():
                if kind != "error":
                    depth_peak[kind] = max(depth_peak[kind], d)
            for kind, d in (s.get("depth") or {}).items():
                sum_peak[kind] = max(sum_peak[kind], d)
        history = await asyncio.to_thread(check_history, server, senders, resumers)
        summary.update({
            "load": {k: load.get(k) for k in ("ok", "sent", "acked", "lost", "duplicated", "reordered",
                                             "closed_early", "errors", "sent_per_s", "delivered_per_s",
                                             "latency_us", "ack_latency_us", "server", "client")},
            "durable": history,
            "durable_reconnects": sum(s.reconnects for s in senders),
            "resumes": sum(r.resumes for r in resumers),
            "resumes_truncated": sum(r.truncated for r in resumers),
            "churn_cycles": sum(c.cycles for c in churners),
            "churn_failed": sum(c.failed for c in churners),
            "client_errors": dict(stop.errors), "client_closes": dict(stop.closes),
            "warmup_s": warm_s,
            "rss_kib": {"start": samples[0].get("VmRSS") if samples else None, "warm": rss_warm,
                        "end": rss_end, "peak": max((s.get("VmHWM", 0) for s in samples), default=None)},
            "rss_growth_pct_after_warmup": growth,
            "mailbox_depth_peak": dict(depth_peak),
            "mailbox_depth_summed_peak": dict(sum_peak),
            "mailbox_depth_max_at_end": samples[-1].get("depth_max") if samples else None,
            "files_at_end": samples[-1].get("files") if samples else None,
            "samples": len(samples), "samples_file": args.samples,
        })
        bad = [k for k, v in history.items()
               if k not in ("acked", "stored_after_last_ack") and not k.startswith("_") and v]
        if not load.get("ok"):
            bad.append("load_runner_checks")
        if growth is None or growth > args.max_rss_growth:
            bad.append("rss_growth")
        if any(d > args.max_depth for d in depth_peak.values()):
            bad.append("mailbox_depth")
        if not history["acked"]:
            bad.append("nothing_acked")
        summary["exit_after_sigterm"] = await asyncio.to_thread(server.stop)
        if summary["exit_after_sigterm"] != 0:
            bad.append("bad_exit")
        summary["verdict"] = "ok" if not bad else bad
    except Exception as e:
        summary["verdict"] = [f"failure: {type(e).__name__}: {e}"]
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
        if summary.get("verdict") != "ok":
            keep = tempfile.mkdtemp(prefix="roomd-soak-finding-")
            shutil.copy(server.log_path, keep)
            summary["server_log"] = os.path.join(keep, os.path.basename(server.log_path))
        store.drop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--load-bin", default="target/release/examples/load")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--warmup-minutes", type=float)
    ap.add_argument("--db", help="PostgreSQL base URL (default: SQLite in a temp dir)")
    ap.add_argument("--rate", type=float, help="traffic msg/s in total (default: half the measured capacity)")
    ap.add_argument("--rooms", type=int, default=100)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--resumers", type=int, default=4)
    ap.add_argument("--churners", type=int, default=8)
    ap.add_argument("--sample-secs", type=float, default=10)
    ap.add_argument("--samples", default="/tmp/roomd-soak-samples.jsonl")
    ap.add_argument("--max-rss-growth", type=float, default=5.0, help="percent")
    ap.add_argument("--max-depth", type=float, default=1000)
    args = ap.parse_args()
    args.load_bin = os.path.abspath(args.load_bin)
    summary = asyncio.run(soak(args))
    print(json.dumps(summary), flush=True)
    sys.exit(0 if summary.get("verdict") == "ok" else 1)


if __name__ == "__main__":
    main()
