#!/usr/bin/env python3
"""Measures a gateway's memory with one slow consumer in a busy room: starts the IMQ program (a single node),
puts two members in a room (one that reads everything, one raw WebSocket client that joins and then never
reads again), sends N messages of 32 KiB to the room over REST, one at a time, and samples the node's
resident memory (VmRSS in /proc/<pid>/status) every 50 ms. Prints the resident memory before sending, its
peak while sending, and after; how many messages the reading member got; and, when the node has them, the
slow-consumer cuts and the gateway's pending bytes from /metrics.
  python3 scripts/measure-slow-consumer.py [--dll PATH] [--messages N] [--limit BYTES]
PATH defaults to this tree's Release build (dotnet build Imq.Hubs -c Release); to measure another commit,
export it with git archive, build it and pass its Imq.Hubs.dll. --limit sets
Imq:Limits:MaxPendingBytesPerConnection (default: the node's own default).
"""
import argparse, base64, http.client, json, os, re, socket, struct, subprocess, sys, tempfile, threading, time, urllib.parse

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser()
parser.add_argument("--dll", default=f"{root}/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll")
parser.add_argument("--messages", type=int, default=4000)
parser.add_argument("--limit", type=int)
args = parser.parse_args()

key = "measure-slow-consumer-key-0123456789"
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]


def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, None if body is None else json.dumps(body), {"Authorization": f"Bearer {key}", "content-type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


class RawHub:
    """SignalR's JSON hub protocol over a bare WebSocket (no negotiate); reads only when asked."""

    def __init__(self, path):
        self.sock = socket.create_connection(("127.0.0.1", port))
        request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(4096)
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"hub refused the WebSocket: {head.decode(errors='replace')}")
        self.buf = bytearray(self.buf)
        self.text = bytearray()
        self.send({"protocol": "json", "version": 1})
        self.record()  # the handshake answer

    def send(self, message):
        data = (json.dumps(message) + "\x1e").encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(256 * 1024)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def record(self):
        """The next hub message's raw bytes."""
        while True:
            end = self.text.find(b"\x1e")
            if end >= 0:
                record = bytes(self.text[:end])
                del self.text[:end + 1]
                return record
            self._need(2)
            n, offset = self.buf[1] & 0x7F, 2
            if n == 126:
                self._need(4)
                n, offset = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, offset = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(offset + n)
            if self.buf[0] & 0x0F == 8:
                raise EOFError
            self.text += self.buf[offset:offset + n]
            del self.buf[:offset + n]

    def call(self, target, *arguments):
        self.send({"type": 1, "invocationId": target, "target": target, "arguments": list(arguments)})
        while True:
            record = json.loads(self.record())
            if record.get("type") == 3 and record.get("invocationId") == target:
                if "error" in record:
                    raise SystemExit(f"{target}: {record['error']}")
                return record.get("result")


data_dir = tempfile.mkdtemp(prefix="imq-measure-slow-")
env = dict(os.environ, Imq__NodeId="measure-slow", Imq__DataDir=data_dir, Imq__ApiKeys__0=key,
           Imq__Auth__JwtSigningKey="measure-slow-consumer-signing-key-0123456789", Imq__Limits__UserOpsPerSecond="100000",
           Imq__Limits__UserOpsBurst="100000")
if args.limit:
    env["Imq__Limits__MaxPendingBytesPerConnection"] = str(args.limit)
log = open(f"{data_dir}/node.log", "w")
node = subprocess.Popen(["dotnet", args.dll, "--urls", f"http://127.0.0.1:{port}"], env=env, stdout=log, stderr=subprocess.STDOUT)
try:
    for _ in range(600):
        try:
            if call("GET", "/readyz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        raise SystemExit("the node did not become ready in 60 s")

    queue = "/room/measure-slow"
    call("PUT", "/api/v1/queues/" + urllib.parse.quote(queue, safe=""), {"mounts": [{"name": "chat", "type": "message"}]})

    def member(user):
        token = json.loads(call("POST", "/api/v1/tokens", {"userId": user, "ttlSeconds": 3600})[1])["token"]
        hub = RawHub("/imq?access_token=" + urllib.parse.quote(token))
        hub.call("Join", queue)
        return hub

    fast = member("fast")
    slow = member("slow")  # never read again
    received = [0]

    def read_fast():
        try:
            while True:
                if b'"target":"Message"' in fast.record():
                    received[0] += 1
        except (EOFError, OSError):
            pass

    threading.Thread(target=read_fast, daemon=True).start()
    samples = []
    sending = [True]

    def sample():
        while sending[0]:
            samples.append(rss_kib(node.pid))
            time.sleep(0.05)

    time.sleep(1)
    before = rss_kib(node.pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    payload = "x" * (32 * 1024 - 2)
    sender = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = f"/api/v1/queues/{urllib.parse.quote(queue, safe='')}/mounts/chat/messages"
    started = time.time()
    for i in range(args.messages):
        sender.request("POST", path, json.dumps({"data": payload}), {"Authorization": f"Bearer {key}", "content-type": "application/json"})
        response = sender.getresponse()
        response.read()
        if response.status >= 300:
            raise SystemExit(f"send {i}: {response.status}")
    elapsed = time.time() - started
    time.sleep(1)
    sending[0] = False
    sampler.join()
    after = rss_kib(node.pid)
    metrics = call("GET", "/metrics")[1].decode()
    found = {m.group(1): m.group(2) for m in re.finditer(r"^(imq_slow_consumer_cuts_total|imq_gateway_pending_bytes)\{[^}]*\} (\d+)$", metrics, re.M)}
    print(f"node: {args.dll}")
    print(f"{args.messages} messages of 32 KiB sent in {elapsed:.1f} s; the reading member got {received[0]}")
    print(f"VmRSS before sending {before / 1024:.0f} MiB, peak while sending {max(samples) / 1024:.0f} MiB, 1 s after {after / 1024:.0f} MiB")
    if found:
        print(f"imq_slow_consumer_cuts_total {found.get('imq_slow_consumer_cuts_total', '0')}, imq_gateway_pending_bytes {found.get('imq_gateway_pending_bytes', '?')}")
finally:
    node.terminate()
    node.wait(timeout=30)
    log.close()
    subprocess.run(["rm", "-rf", data_dir])
