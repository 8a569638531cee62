#!/usr/bin/env bash
# Measures IMQ against ASP.NET Core SignalR on this machine (the targets in docs/BENCHMARKS.md) and writes
# docs/BENCHMARKS.md: IMQ single node, IMQ with 2 gateways in cluster mode, one plain SignalR server,
# and two SignalR servers on the Redis backplane, each as separate processes on loopback, driven by the
# load generator in bench/Imq.Bench.Load. Installs PostgreSQL and Redis when missing and starts
# throwaway instances of both on free loopback ports, like scripts/test.sh.
#   scripts/bench.sh            the standard matrix, about 15 minutes; writes docs/BENCHMARKS.md
#   scripts/bench.sh --quick    a subset, about 4 minutes; the last line is the summary (report in the log folder):
#                               summary: cpu_ratio_2gw= cpu_ratio_hop= p99_ratio_2gw= cpu_ratio_1= rooms_cpu_ratio=
#                               rooms_p99_ratio= idle_ratio= churn_ops_s=  (ratios IMQ / peer, lower is better)
#   scripts/bench.sh --box N    N idle users (e.g. 100000) held on this box by an IMQ cluster of several gateway
#                               processes; writes docs/BENCHMARKS-box.md (with the CPU a connect costs)
#   scripts/bench.sh --imq-source head   measure the last commit of IMQ rather than the working tree
#   scripts/bench.sh --nice N            run servers and load at nice -N, ahead of other work on a shared
#                                        machine (slows that work down while the bench runs; says so in the report)
# Other options go to the orchestrator (e.g. --out FILE, --idle N, --protocols msgpack,json, --systems imq-1,sr-1,
# --scenarios idle,fanout,state,rooms,churn, --rooms N, --rooms-rate D, --rooms-churn C, --idle-keepalive S,
# --imq-env DOTNET_GCgen0size=0x4000000; --box N --keepalive S --parallel P --role server --nodes G).
# IMQ_BENCH_LOAD_GEN0=0x4000000 gives every load process a 64 MiB gen0 budget (fewer load-side GC pauses, for all systems alike).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command_line="scripts/bench.sh${*:+ $*}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench.sh: installing ${missing[*]}" >&2
  as_root apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}" >&2
fi

# One build at a time, Release, only what the bench runs. IMQ is built from the working tree; when that
# does not build (someone's change in progress), or with --imq-source head, from the last commit
# exported to a temp folder, so the bench measures a state that builds, and the report says which.
imq_source=tree
args=("$@")
for i in "${!args[@]}"; do [ "${args[$i]}" = --imq-source ] && imq_source=${args[$((i + 1))]:-tree}; done
build_log=$(mktemp /tmp/imq-bench-build.XXXXXX)
imq_dll="$root/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll"
imq_build="working tree at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Imq.Hubs Imq.Backplane Imq.QueueServer || echo ' plus uncommitted changes')"
if [ "$imq_source" = head ] || ! dotnet build Imq.Hubs/Imq.Hubs.csproj -c Release -nologo -v quiet >"$build_log" 2>&1; then
  [ "$imq_source" = head ] || echo "bench.sh: the working tree of IMQ does not build (see $build_log); measuring the last commit" >&2
  commit=$(git rev-parse --short HEAD)
  src=/tmp/imq-bench-src-$commit
  if [ ! -f "$src/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll" ]; then
    rm -rf "$src" && mkdir -p "$src"
    git archive HEAD | tar -x -C "$src"
    dotnet build "$src/Imq.Hubs/Imq.Hubs.csproj" -c Release -nologo -v quiet >&2
  fi
  imq_dll="$src/Imq.Hubs/bin/Release/net10.0/Imq.Hubs.dll"
  imq_build="commit $commit (exported with git archive)"
fi
for project in bench/Imq.Bench.Peer/Imq.Bench.Peer.csproj bench/Imq.Bench.Load/Imq.Bench.Load.csproj; do
  dotnet build "$project" -c Release -nologo -v quiet >&2
done

nice_level=0
for i in "${!args[@]}"; do [ "${args[$i]}" = --nice ] && nice_level=${args[$((i + 1))]:-0}; done
if [ "$nice_level" -gt 0 ]; then renice -n "-$nice_level" -p $$ >/dev/null; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgbin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
pgdir=$(mktemp -d /tmp/imq-bench-pg.XXXXXX)
pgport=$(free_port)
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
logs=$(mktemp -d /tmp/imq-bench-logs.XXXXXX)
cleanup() {
  [ -n "${redispid:-}" ] && kill "$redispid" >/dev/null 2>&1 || true
  run_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
run_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust >/dev/null
run_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
export IMQ_BENCH_POSTGRES="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres"
export IMQ_BENCH_POSTGRES_PID=$(head -n 1 "$pgdir/data/postmaster.pid")

redisport=$(free_port)
redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no >"$logs/redis.log" 2>&1 &
redispid=$!
for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redisport" ping >/dev/null 2>&1 || { echo "bench.sh: redis-server did not start" >&2; exit 1; }
export IMQ_BENCH_REDIS="127.0.0.1:$redisport"
export IMQ_BENCH_REDIS_PID=$redispid
echo "bench.sh: PostgreSQL on 127.0.0.1:$pgport, Redis on $IMQ_BENCH_REDIS, logs in $logs" >&2

ulimit -n 20000 2>/dev/null || true
mode=matrix
for a in "${args[@]}"; do [ "$a" = --box ] && mode=box; done
dotnet "$root/bench/Imq.Bench.Load/bin/Release/net10.0/Imq.Bench.Load.dll" "$mode" --logs "$logs" --command "$command_line" \
  --imq-dll "$imq_dll" --imq-build "$imq_build" --priority "$nice_level" "$@"
