#!/usr/bin/env python3
# Live WebSocket send->ack latency in room "live" before and during a broadcast to "all".
# Usage: broadcast_live_probe.py HOST:PORT ADMIN_TOKEN   (needs `pip install websockets`;
# the server needs the room "live" and a high limits.admin_per_sec)
import asyncio, json, sys, time, urllib.request
import websockets
BASE, TOKEN = sys.argv[1], sys.argv[2]
def req(method, path, body=None):
    r = urllib.request.Request("http://" + BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                               headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(r) as resp:
        return json.load(resp)
async def probe(ws, secs, tag):
    lat = []; end = time.time() + secs; n = 0
    while time.time() < end:
        n += 1; t = time.perf_counter()
        await ws.send(json.dumps({"type": "send", "room": "live", "text": "x", "client_id": f"{tag}{n}", "id": n}))
        while True:
            f = json.loads(await ws.recv())
            if f.get("type") in ("ack", "error") and f.get("id") == n: break
        lat.append((time.perf_counter() - t) * 1000)
        await asyncio.sleep(0.01)
    lat.sort(); return {"n": len(lat), "p50_ms": round(lat[len(lat)//2], 2), "p99_ms": round(lat[int(len(lat)*0.99)], 2), "max_ms": round(lat[-1], 2)}
async def main():
    user = req("POST", "/api/v1/tokens", {"kind": "user", "name": "prober"})["token"]
    async with websockets.connect(f"ws://{BASE}/ws?token={user}") as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "join", "room": "live", "id": "j"})); 
        while json.loads(await ws.recv()).get("type") != "joined": pass
        print("idle", await probe(ws, 5, "a"))
        job = req("POST", "/api/v1/broadcasts", {"text": "hello all", "rooms": "all"})
        print("during 10k-room job", await probe(ws, 10, "b"))
        print(req("GET", "/api/v1/broadcasts/" + job["id"])["counts"])
asyncio.run(main())
