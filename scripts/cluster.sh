#!/usr/bin/env bash
# Starts or stops a local IMQ cluster on loopback: N node processes (every role; default 3) sharing a
# throwaway PostgreSQL, gRPC between them (on loopback only). Clients may use any node's URL; an API key, a
# JWT signing key and the cluster's secret are generated for the cluster (kept in $state/cluster.env). restart-all is a rolling restart (docs/OPERATIONS.md, "Drain and
# rolling restart"): one node at a time is drained (SIGTERM), started again under its id once it has
# exited, and must answer /readyz and hold buckets again before the next one goes.
#   scripts/cluster.sh start [N]    # prints each node's URL and the API key
#   scripts/cluster.sh status
#   scripts/cluster.sh restart-all  # rebuilds, then restarts every node in turn without losing a queue
#   scripts/cluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state=${IMQ_CLUSTER_DIR:-/tmp/imq-cluster}
pgbin_of() { dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# How long restart-all waits for a node to drain and exit: Imq:Cluster:DrainTimeoutSeconds (60) and a margin.
exit_wait=90

stop() {
  if [ -d "$state" ]; then
    # SIGTERM would drain each node onto the others; a second one stops it at once, which is what tearing
    # the whole cluster down wants.
    for pid in "$state"/node-*.pid; do [ -f "$pid" ] && kill -TERM "$(cat "$pid")" 2>/dev/null || true; done
    for pid in "$state"/node-*.pid; do [ -f "$pid" ] && kill -TERM "$(cat "$pid")" 2>/dev/null || true; done
    for pid in "$state"/node-*.pid; do
      [ -f "$pid" ] || continue
      for _ in $(seq 1 50); do kill -0 "$(cat "$pid")" 2>/dev/null || break; sleep 0.2; done
    done
    [ -d "$state/pg/data" ] && as_pg "$(pgbin_of)/pg_ctl" -D "$state/pg/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$state"
    echo "cluster stopped"
  else
    echo "no cluster running (no $state)"
  fi
}

start() {
  local nodes=${1:-3}
  [ -d "$state" ] && { echo "a cluster is already running: scripts/cluster.sh stop first" >&2; exit 1; }
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; fi
  fi
  dotnet build -c Release "$root/Imq.Hubs" -nologo -v q >/dev/null
  mkdir -p "$state/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$state/pg"
  local pgport
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$(pgbin_of)/initdb" -D "$state/pg/data" -U postgres -A trust >/dev/null
  as_pg "$(pgbin_of)/pg_ctl" -D "$state/pg/data" -l "$state/pg/log" -w -o "-p $pgport -k $state/pg -c listen_addresses=127.0.0.1" start >/dev/null
  local key signing secret
  key="imq_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  signing=$(head -c 48 /dev/urandom | base64)
  secret=$(head -c 48 /dev/urandom | base64)
  echo "$key" > "$state/api-key.txt"
  # What every node is started with, kept so that restart-all starts each one again the same way.
  printf 'pgport=%q\nkey=%q\nsigning=%q\nsecret=%q\n' "$pgport" "$key" "$signing" "$secret" > "$state/cluster.env"
  chmod 600 "$state/cluster.env"
  for i in $(seq 1 "$nodes"); do start_node "$i"; done
  for i in $(seq 1 "$nodes"); do
    wait_ready "$i" || { echo "node-$i did not start; see $state/node-$i.log" >&2; exit 1; }
    echo "node-$i: http://127.0.0.1:$((5080 + i)) (hub /imq, REST /api/v1), gRPC http://127.0.0.1:$((6080 + i))"
  done
  echo "API key: $key (also in $state/api-key.txt)"
  echo "bucket map: curl -s -H \"Authorization: Bearer $key\" http://127.0.0.1:5081/api/v1/cluster"
}

# Starts node i in the background with the cluster's settings (its log is appended to, across restarts).
start_node() {
  local i=$1 port=$((5080 + $1)) grpc=$((6080 + $1)) pgport key signing secret
  # shellcheck disable=SC1091
  . "$state/cluster.env"
  Imq__NodeId="node-$i" \
  Imq__DataDir="$state/node-$i" \
  Imq__ApiKeys__0="$key" \
  Imq__Auth__JwtSigningKey="$signing" \
  Imq__Cluster__Secret="$secret" \
  Imq__Cluster__ConnectionString="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres" \
  Imq__Cluster__AdvertiseUrl="http://127.0.0.1:$grpc" \
    nohup dotnet "$root/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll" --urls "http://127.0.0.1:$port" \
    >> "$state/node-$i.log" 2>&1 &
  echo $! > "$state/node-$i.pid"
}

# Waits (up to 20 s) until node i answers /readyz.
wait_ready() {
  local port=$((5080 + $1))
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# How many buckets node i owns, as its own GET /api/v1/cluster shows.
buckets_of() {
  curl -sf -H "Authorization: Bearer $(cat "$state/api-key.txt")" "http://127.0.0.1:$((5080 + $1))/api/v1/cluster" |
    python3 -c 'import json, sys; print(next((n["buckets"] for n in json.load(sys.stdin)["nodes"] if n["id"] == sys.argv[1]), 0))' "node-$1"
}

restart_all() {
  [ -f "$state/cluster.env" ] || { echo "no cluster running (or one started before restart-all existed)" >&2; exit 1; }
  dotnet build -c Release "$root/Imq.Hubs" -nologo -v q >/dev/null
  local nodes
  nodes=$(find "$state" -maxdepth 1 -name 'node-*.pid' | wc -l)
  for i in $(seq 1 "$nodes"); do
    local pid started held=0
    pid=$(cat "$state/node-$i.pid")
    started=$(date +%s)
    echo "node-$i: SIGTERM (pid $pid): its buckets move to the other nodes, then it tells its clients and exits"
    kill -TERM "$pid" 2>/dev/null || echo "node-$i was not running"
    for _ in $(seq 1 $((exit_wait * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "node-$i did not exit within ${exit_wait} s; see $state/node-$i.log" >&2; exit 1; fi
    echo "node-$i: exited after $(($(date +%s) - started)) s; starting it again"
    start_node "$i"
    wait_ready "$i" || { echo "node-$i did not start again; see $state/node-$i.log" >&2; exit 1; }
    for _ in $(seq 1 150); do
      held=$(buckets_of "$i" || echo 0)
      [ "${held:-0}" -gt 0 ] && break
      sleep 0.2
    done
    [ "${held:-0}" -gt 0 ] || { echo "node-$i is back but holds no bucket after 30 s; see $state/node-$i.log" >&2; exit 1; }
    echo "node-$i: ready and holding $held buckets, $(($(date +%s) - started)) s after SIGTERM"
  done
  echo "rolling restart done"
}

status() {
  [ -d "$state" ] || { echo "no cluster running"; exit 0; }
  curl -s -H "Authorization: Bearer $(cat "$state/api-key.txt")" http://127.0.0.1:5081/api/v1/cluster; echo
}

case "${1:-}" in
  start) start "${2:-3}" ;;
  stop) stop ;;
  status) status ;;
  restart-all) restart_all ;;
  *) echo "usage: scripts/cluster.sh start [N] | status | restart-all | stop" >&2; exit 2 ;;
esac
