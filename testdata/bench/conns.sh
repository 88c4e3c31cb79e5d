#!/usr/bin/env bash
# conns.sh — count the backend connections the gateway opens in steady state.
#
# Run ../shared/bench/gateway.sh once first (it builds the bench backend,
# the load generator and this checkout's gateway into $WORK/bin and writes
# $WORK/gateway.yaml). Then, from the project root:  testdata/bench/conns.sh
#
# For each tenant and concurrency it warms the pool for 3 s, then loads the
# gateway for 10 s and prints how many backend connections were opened
# during the run (local ports not seen before it) and the TIME-WAIT sockets
# on the backend port before and after it (an earlier run's expire within a
# minute). None may be opened, and TIME-WAIT must not grow: every create
# reuses a pooled connection (backend.max_idle_conns).
set -euo pipefail
WORK=${WORK:-${TMPDIR:-/tmp}/scimbench}
BIN=$WORK/bin
GOMAXPROCS=1 "$BIN/benchbackend" -listen 127.0.0.1:18080 >/dev/null 2>&1 &
B=$!
"$BIN/scimgw" serve --config "$WORK/gateway.yaml" >"$WORK/conns-gateway.log" 2>&1 &
G=$!
trap 'kill $B $G 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:18082/readyz && break; sleep 0.1; done
load() { BENCH_NO_ROLES=1 "$BIN/benchload" -c "$1" -d "$2" -url "http://127.0.0.1:18082/$3/scim/v2/Users" -H "Authorization: Bearer $4"; }
ports() { ss -tanH state established "( dport = :18080 )" | awk '{print $3}' | sort -u; }
timewait() { ss -tanH state time-wait "( sport = :18080 or dport = :18080 )" | wc -l; }
for c in 16 64; do
	for t in "acme bench-token-0001" "ws bench-token-0002"; do
		set -- $t
		load "$c" 3s "$1" "$2" >/dev/null
		before=$(ports) tw0=$(timewait)
		out=$(load "$c" 10s "$1" "$2")
		after=$(ports) tw1=$(timewait)
		opened=$(comm -13 <(echo "$before") <(echo "$after") | grep -c . || true)
		echo "c=$c tenant=$1 creates=$(grep -o '"requests":[0-9]*' <<<"$out" | cut -d: -f2) backend connections opened during the run=$opened TIME-WAIT on the backend port before/after=$tw0/$tw1"
	done
done
