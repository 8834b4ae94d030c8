#!/usr/bin/env python3
"""Live protocol fuzzer: hostile WebSocket clients against a real roomd, with honest
clients whose acked messages are checked in the store at the end.

Starts `roomd serve` (the binary given, on a fresh SQLite store in a temp dir, on
127.0.0.1 only) and for DURATION seconds runs concurrently:

* fuzzing clients sending random and mutated frames (bit flips, truncation,
  duplication of valid frames), valid JSON with a wrong-typed value in every field of
  every frame type, unicode edge cases, texts and frames near and over
  `limits.max_text` / `limits.max_frame_bytes`, huge and negative numbers, deeply
  nested arrays, invalid WebSocket frames (bad opcodes, unmasked, RSV bits, stray or
  interleaved fragments, control frames over 125 bytes, invalid UTF-8), valid
  join/leave/send/history/typing/read in random order on a few rooms, and reconnects;
* an admin-API fuzzer (odd ids and query parameters);
* honest clients sending messages with unique `client_id`s, resending after
  `room_unavailable` or a reconnect, and recording every `ack` (room, seq, client_id);
* a monitor sampling the server's RSS every second, checking the process is alive and
  `GET /healthz` answers.

At the end every acked message is looked up through `GET /api/v1/rooms/{id}/messages`
(stored exactly once, with the acked seq; the room's seqs 1..last without a gap), and a
JSON summary is printed. Exit status 1 when a check failed (crash, HTTP 500, panic in
the server log, lost or duplicated acked message). Logs of a failing run are kept under
FINDINGS (default /tmp/fuzz-findings).

    cargo build --release
    python3 benches/scripts/fuzz_ws.py target/release/roomd [--duration 600] [--seed N] [--fuzzers 8] [--honest 4]

Only the Python standard library; the raw WebSocket frame helpers follow
benches/scripts/hostile.py.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsframes  # noqa: E402
from wsframes import ZERO_MASK, take_server_frame  # noqa: E402

ROOMS = ["r0", "r1", "r2", "r3"]
MAX_TEXT = 4000
MAX_FRAME = 65536


# ---- the server -------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, binary, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="roomd-fuzz-")
        self.log_path = log_path
        env = dict(os.environ)
        env.update({
            "ROOMD__SERVER__BIND": f"127.0.0.1:{self.port}",
            "ROOMD__DATABASE__URL": f"sqlite://{self.dir}/roomd.db",
            "ROOMD__LIMITS__ADMIN_PER_SEC": "10000",
            "ROOMD__LIMITS__ADMIN_BURST": "10000",
        })
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([binary, "serve"], cwd=self.dir, env=env,
                                     stdout=self.log, stderr=self.log)
        self.admin = None
        deadline = time.time() + 60
        while time.time() < deadline and self.admin is None:
            with open(log_path) as f:
                for line in f:
                    if line.startswith("rmd_"):
                        self.admin = line.strip()
                        break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        assert self.admin, "no admin token printed"
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.05)

    def request(self, method, path, body=None, timeout=10):
        """(status, parsed body or raw bytes)."""
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {self.admin}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, raw

    def api(self, method, path, body=None):
        status, data = self.request(method, path, body)
        assert status < 300, (method, path, status, data)
        return data

    def user(self, name):
        return self.api("POST", "/api/v1/tokens", {"kind": "user", "name": name})["token"]

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # only the pid this script started
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- raw WebSocket (RFC 6455), enough to misbehave (as benches/scripts/hostile.py) ---

def frame(opcode, payload, fin=True, masked=True, rsv=0, declared=None):
    """A frame with a random mask (the all-zero one for large payloads: no per-byte work)."""
    mask = os.urandom(4) if len(payload) < 4096 else ZERO_MASK
    return wsframes.frame(opcode, payload, fin, masked, rsv, declared, mask)


def text_frame(data):
    return frame(0x1, data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))


class Ws:
    """One raw connection; a reader task counts what the server sends."""

    def __init__(self, reader, writer, stats):
        self.r, self.w, self.stats = reader, writer, stats
        self.buf = b""
        self.closed = False
        self.close_code = None
        self.queue = None  # honest clients: parsed frames go here
        self.on_msg = None  # honest clients: sees every parsed frame first

    @staticmethod
    async def connect(port, token, stats, upgrade_statuses):
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, limit=1 << 22), 10)
        w.write((f"GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
        status = int(head.split(b" ", 2)[1])
        upgrade_statuses[status] += 1
        if status != 101:
            w.close()
            raise ConnectionError(f"upgrade answered {status}: {head[:200]!r}")
        return Ws(r, w, stats)

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

    async def read_loop(self):
        while True:
            f = await self.next()
            if f is None:
                break
            op, payload = f
            if op == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self.stats["close_codes"][str(self.close_code)] += 1
                break
            if op == 0x9:
                self.send_raw(frame(0xA, payload))
                continue
            if op != 0x1:
                continue
            try:
                msg = json.loads(payload)
            except ValueError:
                self.stats["server_bad_json"] += 1
                continue
            kind = msg.get("type")
            self.stats["received"][kind] += 1
            if kind == "ack" and self.queue is None and msg.get("client_id"):
                self.stats["fuzz_acks"][(msg.get("room"), msg["client_id"])] = msg.get("seq")
            if kind == "error":
                self.stats["error_codes"][msg.get("code")] += 1
                if msg.get("code") == "internal":
                    self.stats["internal_errors"].append(msg)
            if self.on_msg is not None:
                self.on_msg(msg)
            if self.queue is not None:
                self.queue.put_nowait(msg)
        self.closed = True
        if self.queue is not None:
            self.queue.put_nowait(None)
        self.w.close()

    def send_raw(self, data):
        if not self.closed:
            try:
                self.w.write(data)
            except (ConnectionError, OSError, RuntimeError):
                self.closed = True

    def abort(self):
        self.closed = True
        try:
            self.w.transport.abort()
        except Exception:
            pass


# ---- what the fuzzers send -------------------------------------------------------

UNICODE = [
    "\ud800", "\udfff", "\ud83d", "a\udc00b",          # lone surrogates (escaped in JSON)
    "e\u0301\u0301\u0301\u0301" * 50,                  # stacked combining marks
    "Z\u0351\u0352\u0353\u0354\u0355\u0356" * 100,      # zalgo
    "\u202e\u05e9\u05dc\u05d5\u05dd abc \u0645\u0631\u062d\u0628\u0627\u202c",  # RTL
    "\u200b\u200c\u200d\u2060\ufeff",                    # zero-width
    "\U0001F600\U0001F468\u200d\U0001F469\u200d\U0001F467\U0001F3F3\ufe0f\u200d\U0001F308",
    "\uffff\ufffe\U0010FFFF\U000E0001",                  # noncharacters, tags
    "\x00", "a\x00b", "\x01\x1f\x7f", "\r\n\t", " ", "",
    "\u0000" * 3, "\\u0000", "null", "%s%n%x", "'; DROP TABLE messages; --",
    "!help", "!status", "!stats", "!announce hi", "!announce", "!rules", "!HELP x", "!",
    "\U0001F600" * 1000,
]

WRONG_VALUES = [None, True, False, 0, -1, 1.5, -0.0, 2 ** 63, 2 ** 64, -(2 ** 63) - 1,
                10 ** 40, 1e308, "", "x", "\ud800", [], [1, 2], {}, {"a": 1}, [[[[[]]]]]]

RAW_NUMBERS = ["1e400", "-1e400", "123456789012345678901234567890", "-0", "1E+2", "0.5",
               "-9223372036854775809", "18446744073709551616", "NaN", "Infinity", "-1"]


def valid_frames(room):
    """One valid frame of every client type (dicts)."""
    return [
        {"type": "join", "room": room, "after_seq": random.randint(0, 50), "id": 1},
        {"type": "join", "room": room},
        {"type": "leave", "room": room, "id": "l"},
        {"type": "send", "room": room, "text": f"fz {random.random()}",
         "client_id": f"fz-{random.getrandbits(48):x}", "id": 2},
        {"type": "history", "room": room, "before_seq": random.randint(0, 100),
         "limit": random.randint(1, 600), "id": 3},
        {"type": "typing", "room": room, "active": random.random() < 0.5},
        {"type": "read", "room": room, "seq": random.randint(0, 100), "id": 4},
        {"type": "register_command", "room": room, "name": "echo", "description": "d",
         "min_role": "member", "id": 5},
        {"type": "ping", "id": 6},
    ]


def wrong_typed():
    """A valid frame with one field (type included) replaced by a wrong-typed value."""
    f = random.choice(valid_frames(random.choice(ROOMS)))
    key = random.choice(list(f.keys()) + ["extra"])
    f[key] = random.choice(WRONG_VALUES)
    return json.dumps(f)


def unicode_frame():
    s = random.choice(UNICODE)
    room = random.choice(ROOMS)
    where = random.randrange(4)
    if where == 0:
        f = {"type": "send", "room": room, "text": s or "x", "client_id": f"u{random.random()}"}
    elif where == 1:
        f = {"type": "send", "room": room, "text": "t", "client_id": s}
    elif where == 2:
        f = {"type": "join", "room": s}
    else:
        f = {"type": random.choice(["send", s]), "room": room, "text": s, "id": s}
    return json.dumps(f, ensure_ascii=random.random() < 0.5)


def long_frame():
    room = random.choice(ROOMS)
    n = random.choice([MAX_TEXT - 1, MAX_TEXT, MAX_TEXT + 1, MAX_TEXT * 4, 15000])
    ch = random.choice(["a", "\U0001F600", "e\u0301", "\u05e9"])
    body = (ch * n)[:n] if len(ch) == 1 else ch * (n // len(ch))
    kind = random.randrange(4)
    if kind == 0:
        return json.dumps({"type": "send", "room": room, "text": body,
                           "client_id": f"L{random.random()}"}, ensure_ascii=False)
    if kind == 1:  # a frame of exactly / about max_frame_bytes (client_id padding)
        target = random.choice([MAX_FRAME - 1, MAX_FRAME, MAX_FRAME + 1, MAX_FRAME - 100])
        base = json.dumps({"type": "ping", "pad": ""})
        return base[:-2] + "x" * (target - len(base)) + '"}'
    if kind == 2:
        return json.dumps({"type": "send", "room": room, "text": "x",
                           "client_id": "c" * random.choice([127, 128, 129, 5000])})
    return json.dumps({"type": "join", "room": "r" * random.choice([63, 64, 65, 3000])})


def number_frame():
    room = random.choice(ROOMS)
    num = random.choice(RAW_NUMBERS + [str(random.choice(WRONG_VALUES[3:12]))])
    tmpl = random.choice([
        '{"type":"history","room":"%s","before_seq":%s}',
        '{"type":"history","room":"%s","limit":%s}',
        '{"type":"read","room":"%s","seq":%s}',
        '{"type":"join","room":"%s","after_seq":%s}',
        '{"type":"send","room":"%s","text":"n","id":%s}',
        '{"type":"typing","room":"%s","active":%s}',
    ])
    return tmpl % (room, num)


def nested_frame():
    depth = random.choice([10, 127, 128, 129, 1000, 20000])
    inner = "[" * depth + "]" * depth
    field = random.choice(["text", "room", "id", "after_seq", "nested"])
    if random.random() < 0.5:
        return inner
    return '{"type":"send","room":"r0","%s":%s}' % (field, inner)


def mutated_frame():
    data = bytearray(json.dumps(random.choice(valid_frames(random.choice(ROOMS)))).encode())
    how = random.randrange(4)
    if how == 0:
        for _ in range(random.randint(1, 4)):
            i = random.randrange(len(data))
            data[i] ^= 1 << random.randrange(8)
    elif how == 1:
        data = data[:random.randrange(len(data))]
    elif how == 2:
        i, j = sorted(random.sample(range(len(data)), 2))
        data = data[:j] + data[i:j] + data[j:]
    else:
        data = data * random.randint(2, 3)
    return bytes(data)


def random_frame():
    kind = random.randrange(3)
    if kind == 0:
        return os.urandom(random.randint(0, 300))  # usually invalid UTF-8: 1007
    if kind == 1:
        return "".join(random.choice('{}[]":,0123456789abcdefnulltrue\\ ')
                       for _ in range(random.randint(0, 200))).encode()
    return json.dumps(random.choice([[], {}, 1, "x", None, [{"type": "ping"}],
                                     {"type": None}, {"TYPE": "ping"}])).encode()


def invalid_ws():
    """Bytes violating RFC 6455 (most close the connection)."""
    ping = json.dumps({"type": "ping"}).encode()
    kind = random.randrange(10)
    if kind == 0:
        return "bad_opcode", frame(random.choice([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]), ping)
    if kind == 1:
        return "unmasked", frame(0x1, ping, masked=False)
    if kind == 2:
        return "rsv_bits", frame(0x1, ping, rsv=random.choice([1, 2, 4, 7]))
    if kind == 3:
        return "stray_continuation", frame(0x0, ping)
    if kind == 4:
        return "control_over_125", frame(random.choice([0x9, 0xA, 0x8]), b"x" * 126)
    if kind == 5:
        return "fragmented_control", frame(0x9, b"p", fin=False)
    if kind == 6:
        return "invalid_utf8", frame(0x1, random.choice([b"\xff\xfe", b'{"type":"\xc0\xaf"}',
                                                         b'"\xed\xa0\x80"', b"\xf4\x90\x80\x80"]))
    if kind == 7:  # a text start, a ping in between, then a new text start (out of order)
        return "fragments_out_of_order", (frame(0x1, ping[:5], fin=False) + frame(0x9, b"x")
                                          + frame(0x1, ping[5:]))
    if kind == 8:  # valid fragmented message with a control frame in between, UTF-8 split
        msg = json.dumps({"type": "send", "room": "r0", "text": "\U0001F600 frag"},
                         ensure_ascii=False).encode()
        cut = msg.index(b"\xf0") + 2
        return "fragmented_valid", (frame(0x1, msg[:cut], fin=False) + frame(0x9, b"")
                                    + frame(0x0, msg[cut:]))
    return "oversized_header", frame(0x1, b"", declared=random.choice(
        [MAX_FRAME + 1, 1 << 32, (1 << 63) - 1]))


# ---- clients -----------------------------------------------------------------------

def new_stats():
    return {"sent": Counter(), "received": Counter(), "error_codes": Counter(),
            "close_codes": Counter(), "server_bad_json": 0, "internal_errors": [],
            "connects": 0, "connect_failures": Counter(), "fuzz_acks": {}}


EXPECTED = {}  # client_id -> (room, text) of the fuzzers' well-formed sends


def expect(text):
    """Remembers the text of a well-formed send, to compare with what is stored."""
    try:
        f = json.loads(text)
    except ValueError:
        return text
    if (isinstance(f, dict) and f.get("type") == "send" and isinstance(f.get("client_id"), str)
            and isinstance(f.get("text"), str) and isinstance(f.get("room"), str)):
        EXPECTED[f["client_id"]] = (f["room"], f["text"])
    return text


async def fuzzer(port, token, stats, upgrades, stop_at, rng_seed):
    random.seed(rng_seed)
    kinds = ["wrong_type", "unicode", "long", "numbers", "nested", "mutated", "random",
             "invalid_ws", "interleave", "interleave", "interleave", "binary", "flood", "reconnect"]
    while time.time() < stop_at:
        try:
            ws = await Ws.connect(port, token, stats, upgrades)
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            stats["connect_failures"][type(e).__name__ + ":" + str(e)[:60]] += 1
            await asyncio.sleep(0.2)
            continue
        stats["connects"] += 1
        reader = asyncio.create_task(ws.read_loop())
        for room in random.sample(ROOMS, random.randint(1, len(ROOMS))):
            ws.send_raw(text_frame(json.dumps({"type": "join", "room": room})))
        lifetime = time.time() + random.uniform(2, 30)
        while not ws.closed and time.time() < min(lifetime, stop_at):
            kind = random.choice(kinds)
            if kind == "wrong_type":
                data = text_frame(wrong_typed())
            elif kind == "unicode":
                data = text_frame(expect(unicode_frame()))
            elif kind == "long":
                data = text_frame(expect(long_frame()))
            elif kind == "numbers":
                data = text_frame(number_frame())
            elif kind == "nested":
                data = text_frame(nested_frame())
            elif kind == "mutated":
                data = text_frame(mutated_frame())
            elif kind == "random":
                data = text_frame(random_frame())
            elif kind == "flood":  # over limits.burst at once: rate_limited, violations
                data = text_frame(json.dumps({"type": "ping"})) * random.choice([60, 150, 400])
            elif kind == "binary":
                data = frame(0x2, os.urandom(random.randint(0, 100)))
            elif kind == "invalid_ws":
                sub, data = invalid_ws()
                kind = "invalid_ws:" + sub
            elif kind == "interleave":
                frames = valid_frames(random.choice(ROOMS))
                data = b"".join(text_frame(expect(json.dumps(random.choice(frames))))
                                for _ in range(random.randint(1, 5)))
            else:  # reconnect: abrupt close or close frame
                stats["sent"]["reconnect"] += 1
                if random.random() < 0.5:
                    ws.abort()
                else:
                    ws.send_raw(frame(0x8, (1000).to_bytes(2, "big") + b"bye"))
                    await asyncio.sleep(0.05)
                    ws.abort()
                break
            stats["sent"][kind] += 1
            ws.send_raw(data)
            try:
                await asyncio.wait_for(ws.w.drain(), 5)
            except (ConnectionError, OSError, asyncio.TimeoutError):
                ws.abort()
            # about 25 frames/s: under limits.msgs_per_sec most of the time, bursts over it
            await asyncio.sleep(random.expovariate(25))
        ws.abort()
        try:
            await asyncio.wait_for(reader, 5)
        except asyncio.TimeoutError:
            reader.cancel()


class Honest:
    """Sends unique messages, waits for each ack, resends on room_unavailable or after
    a reconnect (same client_id), records every ack."""

    def __init__(self, idx, port, token, stats, upgrades, acks, anomalies):
        self.idx, self.port, self.token = idx, port, token
        self.stats, self.upgrades, self.acks, self.anomalies = stats, upgrades, acks, anomalies
        self.n = 0
        self.last_seen = {}  # room -> last seq delivered to this user (over reconnects)
        self.next_seq = {}  # room -> seq the current session must deliver next
        self.after = {}  # room -> after_seq of the current session's join

    def on_msg(self, m):
        """Delivery check: per session and room, seqs arrive in order without a gap,
        from after_seq + 1 on (the replay) or joined.seq + 1 (a join without after_seq)."""
        kind, room = m.get("type"), m.get("room")
        if kind == "joined":
            after = self.after.get(room)
            if m.get("truncated") or after is None:
                self.stats["received"]["honest_join_truncated_or_fresh"] += 1
                self.next_seq[room] = m["seq"] + 1
            else:
                self.next_seq[room] = after + 1
        elif kind == "message" and room in self.next_seq:
            seq = m.get("seq")
            self.stats["received"]["honest_delivered"] += 1
            if seq != self.next_seq[room]:
                self.stats["received"]["honest_delivery_out_of_order"] += 1
                self.anomalies.append({"what": "delivery not in seq order / gap", "user": self.idx,
                                       "room": room, "expected": self.next_seq[room], "got": seq})
            self.next_seq[room] = max(self.next_seq[room], seq + 1)
            self.last_seen[room] = max(self.last_seen.get(room, 0), seq)

    async def run(self, stop_at):
        pending = None  # (room, client_id, text) sent but not acked yet
        while time.time() < stop_at:
            try:
                ws = await Ws.connect(self.port, self.token, self.stats, self.upgrades)
            except (OSError, ConnectionError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError) as e:
                self.stats["connect_failures"][type(e).__name__ + ":" + str(e)[:60]] += 1
                await asyncio.sleep(0.2)
                continue
            self.stats["connects"] += 1
            ws.queue = asyncio.Queue()
            ws.on_msg = self.on_msg
            self.next_seq, self.after = {}, {}
            reader = asyncio.create_task(ws.read_loop())
            try:
                pending = await self.session(ws, pending, stop_at)
            finally:
                ws.abort()
                try:
                    await asyncio.wait_for(reader, 5)
                except asyncio.TimeoutError:
                    reader.cancel()
        if pending:
            self.stats["unacked_at_end"] = self.stats.get("unacked_at_end", 0) + 1

    async def wait_for(self, ws, pred, timeout=10):
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            try:
                msg = await asyncio.wait_for(ws.queue.get(), left)
            except asyncio.TimeoutError:
                return None
            if msg is None:
                return None
            if pred(msg):
                return msg

    async def session(self, ws, pending, stop_at):
        for room in ROOMS:
            join = {"type": "join", "room": room, "id": room}
            if room in self.last_seen:  # resume: exactly the messages after it
                join["after_seq"] = self.after[room] = self.last_seen[room]
            ws.send_raw(text_frame(json.dumps(join)))
            joined = await self.wait_for(ws, lambda m: m.get("id") == room and m.get("type")
                                         in ("joined", "error"))
            if not joined or joined["type"] != "joined":
                self.stats["honest_join_failures"] = self.stats.get("honest_join_failures", 0) + 1
                await asyncio.sleep(0.5)
                return pending
        lifetime = time.time() + random.uniform(5, 60)
        while time.time() < min(lifetime, stop_at) and not ws.closed:
            if pending is None:
                self.n += 1
                cid = f"honest-{self.idx}-{self.n}"
                pending = (random.choice(ROOMS), cid, f"honest message {self.idx}/{self.n}")
            room, cid, text = pending
            ws.send_raw(text_frame(json.dumps({"type": "send", "room": room, "text": text,
                                               "client_id": cid, "id": cid})))
            self.stats["sent"]["honest_send"] += 1
            reply = await self.wait_for(ws, lambda m: m.get("type") in ("ack", "error", "notice")
                                        and (m.get("client_id") == cid or m.get("id") == cid))
            if reply is None:
                return pending  # connection lost or no answer: resend after reconnecting
            if reply["type"] == "ack":
                key = (room, cid)
                if key in self.acks and self.acks[key] != reply["seq"]:
                    self.anomalies.append({"what": "same client_id acked with two seqs",
                                           "room": room, "client_id": cid,
                                           "seqs": [self.acks[key], reply["seq"]]})
                self.acks[key] = reply["seq"]
                self.stats["received"]["honest_ack"] += 1
                if reply.get("duplicate"):
                    self.stats["received"]["honest_ack_duplicate"] += 1
                pending = None
            else:
                code = reply.get("code") or reply.get("reason")
                self.stats["received"]["honest_refused:" + str(code)] += 1
                if code not in ("room_unavailable", "rate_limited"):
                    self.anomalies.append({"what": "honest send refused", "reply": reply})
                    pending = None
                await asyncio.sleep(0.2)
            await asyncio.sleep(random.uniform(0.05, 0.15))
        if not ws.closed and random.random() < 0.5:
            ws.send_raw(frame(0x8, (1000).to_bytes(2, "big")))
            await asyncio.sleep(0.05)
        return pending


# ---- the monitor and the admin-API fuzzer -----------------------------------------

async def monitor(server, stop_at, out):
    loop = asyncio.get_running_loop()
    while time.time() < stop_at:
        t = time.time()
        alive = server.proc.poll() is None
        out["samples"].append(server.rss_kib())
        if not alive:
            out["crashed"] = True
            out["exit_code"] = server.proc.returncode
            return
        try:
            status, _ = await loop.run_in_executor(
                None, lambda: server.request("GET", "/healthz", timeout=5))
        except Exception as e:
            status = type(e).__name__
        out["healthz"][str(status)] += 1
        out["healthz_worst_ms"] = max(out["healthz_worst_ms"], int((time.time() - t) * 1000))
        await asyncio.sleep(max(0.0, 1 - (time.time() - t)))


def admin_fuzz_paths():
    odd = random.choice(["r0", "R0", "%00", "..%2f..", "a" * 300, "%F0%9F%98%80", "-1",
                         "r0%20", "%ud800", "r1"])
    q = random.choice(["", "?limit=-1", "?limit=0", "?limit=501", "?limit=1e400",
                       "?before_seq=-5", "?after_seq=99999999999999999999", "?limit=abc",
                       "?before_seq=1&after_seq=1", "?cursor=%ff", "?limit=", "?after_seq=-1"])
    return random.choice([
        ("GET", f"/api/v1/rooms/{odd}/messages{q}", None),
        ("GET", f"/api/v1/rooms/{odd}{q}", None),
        ("GET", f"/api/v1/rooms/{odd}/members{q}", None),
        ("GET", f"/api/v1/rooms{q}", None),
        ("GET", f"/api/v1/audit{q}", None),
        ("GET", f"/api/v1/tokens{q}", None),
        ("POST", f"/api/v1/rooms/{odd}/messages",
         random.choice([{}, {"text": None}, {"text": "\ud800"}, {"text": 5}, [],
                        {"text": "x" * 4001}, {"text": "ok", "client_id": ""}])),
        ("PATCH", f"/api/v1/rooms/{odd}", random.choice([{}, {"settings": 1}, {"name": []}])),
    ])


async def admin_fuzzer(server, stop_at, out):
    loop = asyncio.get_running_loop()
    while time.time() < stop_at:
        method, path, body = admin_fuzz_paths()
        try:
            status, data = await loop.run_in_executor(
                None, lambda: server.request(method, path, body, timeout=10))
        except Exception as e:
            status, data = type(e).__name__, None
        out["admin_statuses"][str(status)] += 1
        out["sent"]["admin_api"] += 1
        if status == 500 or (isinstance(status, int) and status >= 500 and status != 503):
            out["http_500"].append({"method": method, "path": path, "body": body,
                                    "status": status, "reply": str(data)[:300]})
        await asyncio.sleep(0.1)


# ---- the final check ---------------------------------------------------------------

def verify(server, acks, fuzz_acks, anomalies):
    stored = {}  # room -> {seq: message}
    for room in ROOMS:
        msgs, after = {}, 0
        while True:
            status, page = server.request("GET", f"/api/v1/rooms/{room}/messages"
                                                 f"?after_seq={after}&limit=500", timeout=30)
            assert status == 200, (status, page)
            for m in page["items"]:
                if m["seq"] in msgs:
                    anomalies.append({"what": "seq listed twice", "room": room, "seq": m["seq"]})
                msgs[m["seq"]] = m
            if not page["items"] or not page["has_more"]:
                break
            after = page["items"][-1]["seq"]
        last = server.api("GET", f"/api/v1/rooms/{room}")["last_seq"]
        if sorted(msgs) != list(range(1, last + 1)):
            missing = sorted(set(range(1, last + 1)) - set(msgs))
            anomalies.append({"what": "seqs not 1..last_seq", "room": room, "last_seq": last,
                              "missing": missing[:20], "extra": sorted(set(msgs) - set(
                                  range(1, last + 1)))[:20]})
        stored[room] = msgs
    by_cid = Counter()
    for room, msgs in stored.items():
        for m in msgs.values():
            if (m.get("client_id") or "").startswith("honest-"):
                by_cid[(room, m["client_id"])] += 1
    lost = wrong_seq = stored_twice = 0
    for (room, cid), seq in acks.items():
        m = stored[room].get(seq)
        if m is None or m.get("client_id") != cid:
            if by_cid[(room, cid)] == 0:
                lost += 1
                anomalies.append({"what": "acked message lost", "room": room, "client_id": cid,
                                  "seq": seq})
            else:
                wrong_seq += 1
                anomalies.append({"what": "acked message stored at another seq", "room": room,
                                  "client_id": cid, "acked_seq": seq})
        if by_cid[(room, cid)] > 1:
            stored_twice += 1
            anomalies.append({"what": "acked message stored more than once", "room": room,
                              "client_id": cid, "copies": by_cid[(room, cid)]})
    # the fuzzers' acked sends: stored once, at the acked seq, with the text sent
    fuzz_checked = fuzz_bad = 0
    for (room, cid), seq in fuzz_acks.items():
        if cid not in EXPECTED or room not in stored:
            continue
        fuzz_checked += 1
        m = stored[room].get(seq)
        if m is None or m.get("client_id") != cid or m.get("text") != EXPECTED[cid][1]:
            fuzz_bad += 1
            anomalies.append({"what": "fuzzer's acked message not stored as sent", "room": room,
                              "client_id": cid, "seq": seq, "sent": EXPECTED[cid][1][:200],
                              "stored": None if m is None else str(m)[:300]})
    return {"acked_checked": len(acks), "lost": lost, "fuzz_acked_checked": fuzz_checked,
            "fuzz_acked_not_as_sent": fuzz_bad, "stored_at_other_seq": wrong_seq,
            "stored_twice": stored_twice,
            "stored_messages": {r: len(m) for r, m in stored.items()}}


# ---- main --------------------------------------------------------------------------

async def run(args, server):
    stop_at = time.time() + args.duration
    upgrades = Counter()
    fstats = new_stats()
    hstats = new_stats()
    acks, anomalies = {}, []
    mon = {"samples": [], "healthz": Counter(), "healthz_worst_ms": 0, "crashed": False}
    adm = {"admin_statuses": Counter(), "http_500": [], "sent": Counter()}
    fuzz_tokens = [server.user(f"fuzz{i}") for i in range(args.fuzzers)]
    honest_tokens = [server.user(f"honest{i}") for i in range(args.honest)]
    tasks = [asyncio.create_task(monitor(server, stop_at, mon)),
             asyncio.create_task(admin_fuzzer(server, stop_at, adm))]
    for i, tok in enumerate(fuzz_tokens):
        tasks.append(asyncio.create_task(
            fuzzer(server.port, tok, fstats, upgrades, stop_at, args.seed * 1000 + i)))
    for i, tok in enumerate(honest_tokens):
        h = Honest(i, server.port, tok, hstats, upgrades, acks, anomalies)
        tasks.append(asyncio.create_task(h.run(stop_at)))
    await asyncio.gather(*tasks)
    return fstats, hstats, upgrades, acks, anomalies, mon, adm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--fuzzers", type=int, default=8)
    ap.add_argument("--honest", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--findings", default="/tmp/fuzz-findings")
    args = ap.parse_args()
    random.seed(args.seed)
    os.makedirs(args.findings, exist_ok=True)
    log_path = os.path.join(args.findings, f"roomd-{int(time.time())}.log")
    started = time.time()
    server = Server(args.binary, log_path)
    for room in ROOMS:
        server.api("POST", "/api/v1/rooms", {"id": room})
    rss_start = server.rss_kib()
    try:
        fstats, hstats, upgrades, acks, anomalies, mon, adm = asyncio.run(run(args, server))
        crashed = mon["crashed"] or server.proc.poll() is not None
        time.sleep(2)  # let the last group commits land
        check = verify(server, acks, fstats["fuzz_acks"], anomalies) if not crashed else {"acked_checked": len(acks),
                                                                     "lost": None}
        rss_end = server.rss_kib()
    finally:
        server.stop()
    with open(log_path, errors="replace") as f:
        log = f.read()
    panics = [l for l in log.splitlines() if "panic" in l.lower()]
    samples = [s for s in mon["samples"] if s]
    sent = fstats["sent"] + hstats["sent"] + adm["sent"]
    summary = {
        "duration_s": round(time.time() - started, 1),
        "binary": args.binary, "seed": args.seed,
        "clients": {"fuzzers": args.fuzzers, "honest": args.honest},
        "frames_sent_by_kind": dict(sorted(sent.items())),
        "frames_sent_total": sum(v for k, v in sent.items() if k != "admin_api"),
        "connections": fstats["connects"] + hstats["connects"],
        "upgrade_statuses": dict(upgrades),
        "server_replies_by_type": dict((fstats["received"] + hstats["received"]).most_common()),
        "error_codes": dict(fstats["error_codes"] + hstats["error_codes"]),
        "close_codes": dict(fstats["close_codes"] + hstats["close_codes"]),
        "connect_failures": dict(fstats["connect_failures"] + hstats["connect_failures"]),
        "admin_api_statuses": dict(adm["admin_statuses"]),
        "server_crashes": int(crashed),
        "http_500": len(adm["http_500"]) + sum(v for k, v in upgrades.items() if k >= 500 and k != 503),
        "internal_errors": len(fstats["internal_errors"]) + len(hstats["internal_errors"]),
        "panic_lines_in_log": len(panics),
        "healthz": dict(mon["healthz"]), "healthz_worst_ms": mon["healthz_worst_ms"],
        "rss_kib": {"start": rss_start, "peak": max(samples, default=0),
                    "end": rss_end, "samples": len(samples),
                    "peak_per_minute": [max(samples[i:i + 60]) for i in range(0, len(samples), 60)]},
        "acked_checked": check["acked_checked"], "lost": check["lost"],
        "verify": check,
        "honest_duplicate_acks": hstats["received"]["honest_ack_duplicate"],
        "honest_unacked_at_end": hstats.get("unacked_at_end", 0),
        "anomalies": anomalies[:50],
    }
    failed = (crashed or summary["http_500"] or panics or summary["internal_errors"]
              or check.get("lost") or check.get("stored_at_other_seq")
              or check.get("stored_twice") or check.get("fuzz_acked_not_as_sent") or anomalies)
    summary["ok"] = not failed
    out = json.dumps(summary, indent=1)
    print(out)
    if failed:
        base = os.path.splitext(log_path)[0]
        with open(base + "-summary.json", "w") as f:
            f.write(out)
        with open(base + "-details.json", "w") as f:
            json.dump({"http_500": adm["http_500"], "panics": panics[:200],
                       "internal_errors": fstats["internal_errors"] + hstats["internal_errors"],
                       "rss_samples": mon["samples"]}, f, indent=1)
        shutil.copytree(server.dir, base + "-store", dirs_exist_ok=True)
    else:
        os.remove(log_path)
    shutil.rmtree(server.dir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
