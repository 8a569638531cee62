#!/usr/bin/env bash
# Runs every test of IMQ on a fresh machine: installs what the tests need (Chromium for the browser
# client test, PostgreSQL for the cluster store, Redis for the scale-out conformance tests, php-cli for the
# call-out tests against the PHP example), starts a
# throwaway PostgreSQL and a throwaway Redis on free loopback ports, installs the JS test's npm packages,
# then runs `dotnet test` on the whole solution.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v php >/dev/null 2>&1 || missing+=(php-cli)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
fi

# Throwaway PostgreSQL: initdb into a temp folder (as the postgres user when root), on a free port.
pgbin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
pgdir=$(mktemp -d /tmp/imq-pg.XXXXXX)
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
cleanup() {
  [ -n "${redispid:-}" ] && kill "$redispid" >/dev/null 2>&1 || true
  run_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
run_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust >/dev/null
run_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
export IMQ_TEST_POSTGRES="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres"
echo "test.sh: PostgreSQL on 127.0.0.1:$pgport"

# Throwaway Redis (SignalR's Redis backplane, the reference the conformance tests compare IMQ with): no persistence.
redisport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
redispid=$!
for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redisport" ping >/dev/null 2>&1 || { echo "test.sh: redis-server did not start" >&2; exit 1; }
export IMQ_TEST_REDIS="127.0.0.1:$redisport"
echo "test.sh: Redis on $IMQ_TEST_REDIS"

npm ci --prefix "$root/tests/js" --no-audit --no-fund --loglevel=error

# Results also go to TRX files, so the failures can be repeated at the end, where a CI log's tail shows them.
results=$(mktemp -d /tmp/imq-test-results.XXXXXX)
status=0
dotnet test "$root/Imq.sln" --logger "console;verbosity=normal" --logger trx --results-directory "$results" "$@" || status=$?
python3 "$root/scripts/test-failures.py" "$results"
rm -rf "$results"
exit $status
