#!/usr/bin/env python3
"""Measures how long live bucket moves take on this machine: a local cluster of two nodes
(scripts/cluster.sh) with N rooms (default 10,000), then a third node joins and the script times
until it holds its fair share of buckets (hot add), checks that every room is still there, then
drains the third node (POST /api/v1/cluster/nodes/{id}/drain) and times until it has exited and
the map no longer names it.
  python3 scripts/measure-moves.py [rooms]
"""
import http.client, json, os, shlex, subprocess, sys, time, concurrent.futures, urllib.parse

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
state = "/tmp/imq-measure-moves"
rooms = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
env = dict(os.environ, IMQ_CLUSTER_DIR=state)


def call(port, method, path, body=None, key=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, None if body is None else json.dumps(body), {"Authorization": f"Bearer {key}", "content-type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data and r.getheader("content-type", "").find("json") >= 0 else None)


def shlex_unquote(value):
    """A value as bash's printf %q wrote it into cluster.env."""
    return shlex.split(value)[0] if value else ""


def view(key):
    return call(5081, "GET", "/api/v1/cluster", key=key)[1]


subprocess.run([f"{root}/scripts/cluster.sh", "stop"], env=env, capture_output=True)
subprocess.run([f"{root}/scripts/cluster.sh", "start", "2"], env=env, check=True)
key = open(f"{state}/api-key.txt").read().strip()
pgport = open(f"{state}/pg/data/postmaster.pid").read().split("\n")[3].strip()
try:
    names = [f"/room/measure-{i}" for i in range(rooms)]
    started = time.time()

    def create(i):
        q = urllib.parse.quote(names[i], safe="")
        s, _ = call(5081 + i % 2, "PUT", f"/api/v1/queues/{q}", {"mounts": [{"name": "chat", "type": "message"}, {"name": "score", "type": "state"}]}, key)
        s2, _ = call(5081 + i % 2, "POST", f"/api/v1/queues/{q}/mounts/chat/messages", {"data": i}, key)
        return s < 300 and s2 < 300

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ok = sum(pool.map(create, range(rooms)))
    print(f"{ok} of {rooms} rooms created (with one message each) in {time.time() - started:.1f} s")

    # node-3 joins with the cluster's own signing key and secret (scripts/cluster.sh keeps them in cluster.env).
    cluster_env = dict(line.split("=", 1) for line in open(f"{state}/cluster.env").read().split("\n") if "=" in line)
    node3 = subprocess.Popen(["dotnet", f"{root}/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll", "--urls", "http://127.0.0.1:5083"], env=dict(
        os.environ, Imq__NodeId="node-3", Imq__DataDir=f"{state}/node-3", Imq__ApiKeys__0=key,
        Imq__Auth__JwtSigningKey=shlex_unquote(cluster_env["signing"]),
        Imq__Cluster__Secret=shlex_unquote(cluster_env["secret"]),
        Imq__Cluster__ConnectionString=f"Host=127.0.0.1;Port={pgport};Username=postgres;Database=postgres",
        Imq__Cluster__AdvertiseUrl="http://127.0.0.1:6083"), stdout=open(f"{state}/node-3.log", "w"), stderr=subprocess.STDOUT)
    joined = time.time()
    while True:
        v = view(key)
        counts = {n["id"]: n["buckets"] for n in v["nodes"] if n["buckets"] > 0}
        if len(counts) == 3 and min(counts.values()) >= len(v["buckets"]) // 3 and max(counts.values()) * 8 <= min(counts.values()) * 9:
            break
        if time.time() - joined > 300:
            raise SystemExit(f"no fair share after 300 s: {counts}")
        time.sleep(0.2)
    print(f"hot add: node-3 holds its share ({counts}) {time.time() - joined:.1f} s after it started")

    def check(i):
        s, snap = call(5083, "GET", "/api/v1/queues/" + urllib.parse.quote(names[i], safe=""), key=key)
        return s == 200 and snap["seq"] == 1

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        present = sum(pool.map(check, range(rooms)))
    print(f"{present} of {rooms} rooms present with their message after the move")

    s, _ = call(5081, "POST", "/api/v1/cluster/nodes/node-3/drain", {}, key)
    drained = time.time()
    if s == 202:
        node3.wait(timeout=300)
        while "node-3" in [n["id"] for n in view(key)["nodes"] if n["buckets"] > 0]:
            time.sleep(0.2)
        print(f"drain: node-3 handed its buckets over and exited in {time.time() - drained:.1f} s")
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            present = sum(pool.map(lambda i: call(5081, "GET", "/api/v1/queues/" + urllib.parse.quote(names[i], safe=""), key=key)[0] == 200, range(rooms)))
        print(f"{present} of {rooms} rooms present after the drain")
    else:
        print(f"drain endpoint answered {s}")
        node3.terminate()
finally:
    subprocess.run([f"{root}/scripts/cluster.sh", "stop"], env=env, capture_output=True)
