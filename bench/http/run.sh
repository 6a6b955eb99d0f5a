#!/usr/bin/env bash
# HTTP server benchmark: GET /healthz on authgate against nginx `return 200` in the same
# run, with the same wrk settings, on loopback. Builds nothing: pass the authgate binary.
#
#   bench/http/run.sh path/to/authgate
#
# Settings (environment): THREADS (server threads = nginx worker_processes, default
# nproc), WRK_THREADS (1), CONNECTIONS (50), DURATION (10s), WARMUP (2s), ROUNDS (3).
# Both servers log every request (nginx access_log to a file, authgate's JSON access log
# to a file), so neither is spared the per-request log write.
set -euo pipefail

bin=${1:?usage: bench/http/run.sh path/to/authgate}
bin=$(readlink -f "$bin")
threads=${THREADS:-$(nproc)}
wrk_threads=${WRK_THREADS:-1}
conns=${CONNECTIONS:-50}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
nginx_bin=${NGINX:-/usr/sbin/nginx}

for tool in wrk "$nginx_bin" python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (scripts/setup installs it)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {  # port
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes $threads;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log $work/nginx/logs/access.log;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  default_type text/plain;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 200 "ok"; }
  }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)

authgate_port=$(free_port)
cat >"$work/authgate.yaml" <<CONF
server:
  listen: "127.0.0.1:$authgate_port"
  threads: $threads
  log_level: info
# Required settings; the benchmark never talks to the provider.
provider:
  issuer: "https://bench.invalid/"
  client_id: "bench"
  client_secret: "bench-only-not-a-secret"
session:
  store: memory
CONF
"$bin" serve -c "$work/authgate.yaml" >"$work/authgate.log" 2>&1 &
pids+=($!)

wait_http "$nginx_port"
wait_http "$authgate_port"

# run NAME URL -> "req/s p99_ms"
run() {
  wrk -t"$wrk_threads" -c"$conns" -d"$warmup" "$2" >/dev/null
  local out
  out=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency "$2")
  echo "--- $1: wrk -t$wrk_threads -c$conns -d$duration --latency $2" >&2
  echo "$out" >&2
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "$1 answered non-2xx" >&2; exit 1; fi
  echo "$rps $p99"
}

# Interleaved rounds so background load on a shared machine hits both alike; the
# median round of each is reported.
rounds=${ROUNDS:-3}
n_rps=(); n_p99=(); a_rps=(); a_p99=()
for _ in $(seq 1 "$rounds"); do
  read -r r p < <(run nginx "http://127.0.0.1:$nginx_port/healthz"); n_rps+=("$r"); n_p99+=("$p")
  read -r r p < <(run authgate "http://127.0.0.1:$authgate_port/healthz"); a_rps+=("$r"); a_p99+=("$p")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
median_ms() { printf '%s\n' "$@" | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)] "ms"}'; }
nginx_rps=$(median "${n_rps[@]}"); nginx_p99=$(median_ms "${n_p99[@]}")
ag_rps=$(median "${a_rps[@]}"); ag_p99=$(median_ms "${a_p99[@]}")
echo "rounds req/s nginx: ${n_rps[*]}  authgate: ${a_rps[*]}"
ratio=$(python3 -c "print(f'{$ag_rps / $nginx_rps:.2f}')")

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "settings: server threads=$threads, wrk -t$wrk_threads -c$conns -d$duration, $rounds interleaved rounds (median)"
printf '%-10s %12s %10s\n' server 'req/s' p99
printf '%-10s %12s %10s\n' nginx "$nginx_rps" "$nginx_p99"
printf '%-10s %12s %10s\n' authgate "$ag_rps" "$ag_p99"
echo "ratio authgate/nginx: $ratio"
