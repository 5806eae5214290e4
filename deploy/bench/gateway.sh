#!/usr/bin/env bash
# gateway.sh — measures the hookstream gateway against JetStream itself.
#
# On one nats-server (file store, default sync interval) it runs, with the
# same number of concurrent clients:
#   1. wrk (or `hookstream bench` when wrk is not installed) → the real gateway (authenticated ShipStation V1
#      webhooks, each unique, CloudEvent, Nats-Msg-Id, 200 after PubAck);
#   2. the same load → the same gateway with GATEWAY_PUBLISH_BATCH=1 (one
#      synchronous publish per request, no group commit);
#   3. the same load → a naive gateway (net/http + publish, nothing else);
#   4. nats bench js pub sync --dedup (JetStream's own synchronous publish,
#      with message ids, as the baseline).
# and prints req/s, p50/p99, errors, the gateway's peak RSS, and the ratios.
#
#   CLIENTS=64 DURATION=10s ROUNDS=3 deploy/bench/gateway.sh
#
# SYNC_INTERVAL=always runs nats-server with that sync_interval (default:
# the server's, 2 minutes); ATOMIC=1 gives the first gateway
# GATEWAY_PUBLISH_ATOMIC=true (atomic batches: one disk sync per batch):
#
#   SYNC_INTERVAL=always ATOMIC=1 ROUNDS=3 deploy/bench/gateway.sh
#
# wrk (apt-get install wrk) is the preferred load generator: it spends far
# less CPU per request than a Go client, and on a 2-core machine the load
# generator shares the cores with what it measures. LOAD=hookstream forces
# the portable Go generator.
#
# Only loopback addresses are used. Everything it starts is stopped on exit.
set -euo pipefail

CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-1}
SIZE=${SIZE:-170B}
NATS_PORT=${NATS_PORT:-4333}
GW_PORT=${GW_PORT:-8188}
NAIVE_PORT=${NAIVE_PORT:-8189}
SINGLE_PORT=${SINGLE_PORT:-8190}
TOKEN=bench-token

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building into $work/bin ..." >&2
mkdir -p "$work/bin"
(cd "$root/pkg" && go build -o "$work/bin/nats-server" github.com/nats-io/nats-server/v2)
(cd "$root" && go build -o "$work/bin/gateway" ./services/gateway/cmd/gateway)
(cd "$root" && go build -o "$work/bin/hookstream" ./cmd/hookstream)
(cd "$work" && GOFLAGS= GOBIN="$work/bin" go install github.com/nats-io/natscli/nats@v0.5.1)
PATH="$work/bin:$PATH"

nats_url="nats://127.0.0.1:$NATS_PORT"
cat >"$work/nats.conf" <<EOF
listen: 127.0.0.1:$NATS_PORT
jetstream {
  store_dir: "$work/store"
  ${SYNC_INTERVAL:+sync_interval: $SYNC_INTERVAL}
}
EOF
nats-server -c "$work/nats.conf" >"$work/nats.log" 2>&1 &
pids+=($!)

NATS_URL=$nats_url GATEWAY_ADDR=127.0.0.1:$GW_PORT SHIPSTATION_WEBHOOK_TOKEN=$TOKEN LOG_LEVEL=warn \
	GATEWAY_PUBLISH_ATOMIC=$([ "${ATOMIC:-0}" = 1 ] && echo true || echo false) \
	gateway >"$work/gateway.log" 2>&1 &
gw_pid=$!
pids+=($gw_pid)

NATS_URL=$nats_url GATEWAY_ADDR=127.0.0.1:$SINGLE_PORT SHIPSTATION_WEBHOOK_TOKEN=$TOKEN LOG_LEVEL=warn GATEWAY_PUBLISH_BATCH=1 \
	gateway >"$work/gateway-single.log" 2>&1 &
pids+=($!)

hookstream naive-gateway -addr "127.0.0.1:$NAIVE_PORT" -nats "$nats_url" >"$work/naive.log" 2>&1 &
pids+=($!)

ready() { curl -fs -o /dev/null "$1" || [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$1")" = 200 ]; }
for url in "http://127.0.0.1:$GW_PORT/readyz" "http://127.0.0.1:$SINGLE_PORT/readyz" "http://127.0.0.1:$NAIVE_PORT/"; do
	for _ in $(seq 100); do ready "$url" && break; sleep 0.1; done
	ready "$url" || { echo "not ready: $url"; cat "$work"/*.log; exit 1; }
done

# nats bench sends a fixed count: aim for about DURATION at ~40k msg/s.
secs=${DURATION%s}
msgs=${MSGS:-$((secs * 40000))}

LOAD=${LOAD:-$(command -v wrk >/dev/null && echo wrk || echo hookstream)}
# load URL → one JSON line like hookstream bench -json prints.
load() {
	if [ "$LOAD" = wrk ]; then
		wrk -t2 -c"$CLIENTS" -d"$DURATION" --latency -s "$root/deploy/bench/shipstation.lua" "$1" | python3 -c '
import json, re, sys
out = sys.stdin.read()
def dur(s):
    v, u = float(s[:-2] if s.endswith(("us", "ms")) else s[:-1]), s[-2:] if s.endswith(("us", "ms")) else s[-1:]
    return v * {"us": 1e3, "ms": 1e6, "s": 1e9}[u]
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
errs = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
errs += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
print(json.dumps({"requests_per_sec": float(re.search(r"Requests/sec:\s+(\S+)", out).group(1)),
                  "p50_ns": dur(lat["50"]), "p99_ns": dur(lat["99"]), "errors": errs, "load": "wrk"}))'
	else
		hookstream bench -json -url "${1%%\?*}" -token "$([[ $1 == *token=* ]] && echo "${1##*token=}")" -clients "$CLIENTS" -duration "$DURATION"
	fi
}

echo "load generator: $LOAD" >&2
printf '\n%-6s %-14s %10s %10s %10s %8s\n' round variant "msg/s" p50 p99 errors
# Each variant starts on a new stream (a purge keeps JetStream's
# de-duplication ids, which would slow every later variant that sends
# Nats-Msg-Id), and the order of the variants turns by one every round.
fresh_webhooks() {
	nats -s "$nats_url" stream rm WEBHOOKS -f >/dev/null 2>&1 || true
	nats -s "$nats_url" stream add --config "$root/deploy/streams/WEBHOOKS.json" >/dev/null
}
run_variant() { # name round
	case $1 in
	gateway) fresh_webhooks; load "http://127.0.0.1:$GW_PORT/webhooks/shipstation?token=$TOKEN" >"$work/$1-$2.json" ;;
	gateway-batch1) fresh_webhooks; load "http://127.0.0.1:$SINGLE_PORT/webhooks/shipstation?token=$TOKEN" >"$work/$1-$2.json" ;;
	naive) fresh_webhooks; load "http://127.0.0.1:$NAIVE_PORT/" >"$work/$1-$2.json" ;;
	nats-js-sync)
		nats -s "$nats_url" stream rm benchstream -f >/dev/null 2>&1 || true
		nats -s "$nats_url" bench js pub sync bench.sync --clients "$CLIENTS" --msgs "$msgs" --size "$SIZE" --create --storage file \
			--dedup --purge --no-progress --csv "$work/nats-$2.csv" >"$work/nats-bench-$2.log" 2>&1
		python3 - "$work/nats-$2.csv" "$work/$1-$2.json" <<'PY'
import csv, json, statistics, sys
# One row per client; the run's rate is the sum of the clients' rates.
rows = list(csv.DictReader(l.lstrip("#") for l in open(sys.argv[1])))
json.dump({"requests_per_sec": sum(float(r["MsgsPerSec"]) for r in rows),
           "p50_ns": statistics.median(float(r["P50LatencyMicroSecs"]) for r in rows) * 1000,
           "p99_ns": max(float(r["P99LatencyMicroSecs"]) for r in rows) * 1000,
           "errors": 0}, open(sys.argv[2], "w"))
PY
		;;
	esac
}
variants=(gateway gateway-batch1 naive nats-js-sync)
for round in $(seq "$ROUNDS"); do
	for i in "${!variants[@]}"; do
		run_variant "${variants[$(((i + round - 1) % ${#variants[@]}))]}" "$round"
	done
	for name in "${variants[@]}"; do
		python3 -c 'import json,sys; r=json.load(open(sys.argv[3])); print("%-6s %-14s %10.0f %10s %10s %8d" % (sys.argv[1], sys.argv[2], r["requests_per_sec"], "%.2fms" % (r["p50_ns"]/1e6), "%.2fms" % (r["p99_ns"]/1e6), r["errors"]))' "$round" "$name" "$work/$name-$round.json"
	done
done

rss=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")
python3 - "$work" "$ROUNDS" "$rss" "$CLIENTS" "$DURATION" "${SYNC_INTERVAL:-}" "${ATOMIC:-0}" <<'PY'
import json, statistics, sys
work, rounds, rss_kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
med = lambda xs: statistics.median(xs)
gw = [json.load(open(f"{work}/gateway-{r}.json")) for r in range(1, rounds + 1)]
naive = [json.load(open(f"{work}/naive-{r}.json")) for r in range(1, rounds + 1)]
single = [json.load(open(f"{work}/gateway-batch1-{r}.json")) for r in range(1, rounds + 1)]
js = [json.load(open(f"{work}/nats-js-sync-{r}.json"))["requests_per_sec"] for r in range(1, rounds + 1)]
g, n, j = med([x["requests_per_sec"] for x in gw]), med([x["requests_per_sec"] for x in naive]), med(js)
s1 = med([x["requests_per_sec"] for x in single])
print()
print(f"clients {sys.argv[4]}, {sys.argv[5]} per variant, median of {rounds} round(s), sync_interval {sys.argv[6] or 'default'}, gateway atomic batches {sys.argv[7] == '1'}")
print(f"gateway          {g:10.0f} req/s  p50 {med([x['p50_ns'] for x in gw])/1e6:.2f} ms  p99 {med([x['p99_ns'] for x in gw])/1e6:.2f} ms  errors {sum(x['errors'] for x in gw)}")
print(f"gateway, batch 1 {s1:10.0f} req/s  p50 {med([x['p50_ns'] for x in single])/1e6:.2f} ms  p99 {med([x['p99_ns'] for x in single])/1e6:.2f} ms  errors {sum(x['errors'] for x in single)}")
print(f"naive gateway    {n:10.0f} req/s")
print(f"nats js pub sync {j:10.0f} msg/s")
# Each round measures every variant back to back: the ratios within a round
# are the figures; the summary is their median over the rounds.
ratio = lambda xs, ys: [x["requests_per_sec"] / (y if isinstance(y, float) else y["requests_per_sec"]) for x, y in zip(xs, ys)]
for name, rs in [("gateway / nats js pub sync", ratio(gw, js)), ("gateway / naive", ratio(gw, naive)),
                 ("gateway / gateway batch 1", ratio(gw, single))]:
    print(f"{name:27s} = {med(rs):.2f}  (rounds: {', '.join(f'{r:.2f}' for r in rs)})")
print(f"gateway peak RSS {rss_kib/1024:.1f} MiB")
PY
