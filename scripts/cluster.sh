#!/usr/bin/env bash
# Starts or stops a local IMQ cluster on loopback: N node processes (every role; default 3) sharing a
# throwaway PostgreSQL, gRPC between them. Clients may use any node's URL; an API key and a JWT signing
# key are generated for the cluster.
#   scripts/cluster.sh start [N]   # prints each node's URL and the API key
#   scripts/cluster.sh status
#   scripts/cluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state=${IMQ_CLUSTER_DIR:-/tmp/imq-cluster}
pgbin_of() { dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  if [ -d "$state" ]; then
    for pid in "$state"/node-*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
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
  local key signing
  key="imq_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  signing=$(head -c 48 /dev/urandom | base64)
  echo "$key" > "$state/api-key.txt"
  for i in $(seq 1 "$nodes"); do
    local port=$((5080 + i)) grpc=$((6080 + i))
    Imq__NodeId="node-$i" \
    Imq__DataDir="$state/node-$i" \
    Imq__ApiKeys__0="$key" \
    Imq__Auth__JwtSigningKey="$signing" \
    Imq__Cluster__ConnectionString="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres" \
    Imq__Cluster__AdvertiseUrl="http://127.0.0.1:$grpc" \
      nohup dotnet "$root/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll" --urls "http://127.0.0.1:$port" \
      > "$state/node-$i.log" 2>&1 &
    echo $! > "$state/node-$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    local port=$((5080 + i))
    for _ in $(seq 1 100); do
      curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      sleep 0.2
    done
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "node-$i did not start; see $state/node-$i.log" >&2; exit 1; }
    echo "node-$i: http://127.0.0.1:$port (hub /imq, REST /api/v1), gRPC http://127.0.0.1:$((6080 + i))"
  done
  echo "API key: $key (also in $state/api-key.txt)"
  echo "bucket map: curl -s -H \"Authorization: Bearer $key\" http://127.0.0.1:5081/api/v1/cluster"
}

status() {
  [ -d "$state" ] || { echo "no cluster running"; exit 0; }
  curl -s -H "Authorization: Bearer $(cat "$state/api-key.txt")" http://127.0.0.1:5081/api/v1/cluster; echo
}

case "${1:-}" in
  start) start "${2:-3}" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh start [N] | status | stop" >&2; exit 2 ;;
esac
