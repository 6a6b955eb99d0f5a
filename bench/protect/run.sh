#!/usr/bin/env bash
# Protecting apps, benchmarked (docs/BENCHMARKS.md "Protecting apps"). One run, wrk on
# loopback, the same settings for every line:
#   check      authgate GET /auth/check with a valid session cookie
#   return200  nginx `return 200` (the baseline for check)
#   ag-proxy   authgate proxying GET / (session cookie) to a tiny nginx upstream
#   ng-proxy   nginx proxying GET / to the same upstream (keep-alive upstream pool)
#   bearer1    authgate proxying with the same bearer token on every request
#   bearerN    authgate proxying with 10,000 distinct bearer tokens (wrk Lua script)
#   apache     Apache + mod_auth_openidc (session cookie) proxying to the same upstream
#
#   bench/protect/run.sh path/to/authgate          (a Release build: build/release)
#   CALLGRIND=2000 THREADS=1 bench/protect/run.sh path/to/authgate
#                                                  instructions per request instead
#                                                  (CALLGRIND_KEEP=DIR keeps the profiles)
#
# Environment: THREADS (authgate server.threads = nginx/front worker_processes, default
# nproc), WRK_THREADS (1), CONNECTIONS (50), DURATION (10s), WARMUP (2s), ROUNDS (1:
# lines interleaved per round, median reported), TOKENS (10000), APACHE (1: include the
# mod_auth_openidc line when apache2 and the module are installed), LINES (a subset of
# the line names above, e.g. LINES="check return200"; default all).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(readlink -f "${1:?usage: bench/protect/run.sh path/to/authgate}")
threads=${THREADS:-$(nproc)}
wrk_threads=${WRK_THREADS:-1}
conns=${CONNECTIONS:-50}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
rounds=${ROUNDS:-1}
ntokens=${TOKENS:-10000}
nginx_bin=${NGINX:-/usr/sbin/nginx}
use_apache=${APACHE:-1}
if [[ $use_apache == 1 ]] && ! { [[ -x /usr/sbin/apache2 ]] && [[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ]]; }; then
  echo "apache2 / libapache2-mod-auth-openidc not installed: skipping that line" >&2
  use_apache=0
fi
for tool in wrk "$nginx_bin" node python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

load_start=$(cut -d" " -f1-3 /proc/loadavg)
work=$(mktemp -d)
chmod 755 "$work"  # Apache's workers run as www-data
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n ${KEEP:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

nginx_conf() {  # dir workers body
  mkdir -p "$1/logs"
  cat >"$1/nginx.conf" <<CONF
worker_processes $2;
daemon off;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log $1/logs/access.log;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  default_type text/plain;
$3
}
CONF
}

# --- the provider (login and token signing only; not on the measured path) ---------------
node "$repo/tests/tooling/provider/server.mjs" --port 0 >"$work/provider.out" 2>"$work/provider.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -q '^{"issuer"' "$work/provider.out" 2>/dev/null && break; sleep 0.05; done
issuer=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["issuer"])' "$work/provider.out")

# --- the tiny upstream (nginx, one worker) and the front nginx ---------------------------
up_port=$(free_port)
nginx_conf "$work/upstream" 1 "  server { listen 127.0.0.1:$up_port; location / { return 200 \"hello, upstream\"; } }"
"$nginx_bin" -p "$work/upstream" -c "$work/upstream/nginx.conf" &
pids+=($!)

front_port=$(free_port)
nginx_conf "$work/front" "$threads" "  upstream app { server 127.0.0.1:$up_port; keepalive 64; }
  server {
    listen 127.0.0.1:$front_port;
    location = /return200 { return 200 \"ok\"; }
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }"
"$nginx_bin" -p "$work/front" -c "$work/front/nginx.conf" &
pids+=($!)

# --- authgate ----------------------------------------------------------------------------
ag_port=$(free_port)
cat >"$work/authgate.yaml" <<CONF
server: { listen: "127.0.0.1:$ag_port", public_url: "http://127.0.0.1:$ag_port", threads: $threads, log_level: info }
provider: { issuer: "$issuer", client_id: authgate-test, client_secret: authgate-test-secret }
session: { store: memory }
upstream: { url: "http://127.0.0.1:$up_port" }
api: { audiences: ["https://api.authgate.test"] }
CONF
if [[ -n ${CALLGRIND:-} ]]; then
  # Instructions per request instead of req/s: repeatable on a busy machine.
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$bin" serve -c "$work/authgate.yaml" >"$work/authgate.log" 2>&1 &
else
  "$bin" serve -c "$work/authgate.yaml" >"$work/authgate.log" 2>&1 &
fi
ag_pid=$!
pids+=($ag_pid)

# --- Apache + mod_auth_openidc -------------------------------------------------------------
apache_url=-
if [[ $use_apache == 1 ]]; then
  ap_port=$(free_port)
  mkdir -p "$work/apache"
  mods=/usr/lib/apache2/modules
  cat >"$work/apache/httpd.conf" <<CONF
ServerRoot "$work/apache"
ServerName 127.0.0.1
Listen 127.0.0.1:$ap_port
PidFile $work/apache/httpd.pid
ErrorLog $work/apache/error.log
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule auth_openidc_module $mods/mod_auth_openidc.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_http_module $mods/mod_proxy_http.so
User www-data
Group www-data
KeepAlive On
MaxKeepAliveRequests 0
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog $work/apache/access.log common
OIDCProviderMetadataURL ${issuer}.well-known/openid-configuration
OIDCClientID authgate-test
OIDCClientSecret authgate-test-secret
OIDCRedirectURI http://127.0.0.1:$ap_port/redirect_uri
OIDCCryptoPassphrase bench-only-passphrase
OIDCScope "openid profile email"
OIDCSessionType server-cache
OIDCCookieSameSite On
# The benchmark logs in with a scripted client (node fetch always says Sec-Fetch-Mode:
# cors); with a condition set, mod_auth_openidc redirects it like a browser.
OIDCUnAuthAction auth true
OIDCCacheType shm
<Location />
  AuthType openid-connect
  Require valid-user
</Location>
ProxyPass /redirect_uri !
ProxyPass / http://127.0.0.1:$up_port/
CONF
  /usr/sbin/apache2 -f "$work/apache/httpd.conf" -DFOREGROUND &
  pids+=($!)
  apache_url="http://127.0.0.1:$ap_port"
  wait_port "$ap_port"
fi

wait_port "$up_port"; wait_port "$front_port"; wait_port "$ag_port"
node "$repo/bench/protect/setup.mjs" "$work" "$issuer" "http://127.0.0.1:$ag_port" "$apache_url" "$ntokens" >&2
ag_cookie=$(cat "$work/cookie.authgate")
token=$(cat "$work/token.one")

# CALLGRIND=N: N sequential keep-alive requests per authgate line, counted by callgrind
# (instructions executed by authgate per request), instead of the wrk lines.
if [[ -n ${CALLGRIND:-} ]]; then
  count() {  # NAME PATH HEADER
    node "$repo/bench/protect/requests.mjs" "http://127.0.0.1:$ag_port$2" 200 "$3"  # warm
    callgrind_control -z "$ag_pid" >/dev/null
    node "$repo/bench/protect/requests.mjs" "http://127.0.0.1:$ag_port$2" "$CALLGRIND" "$3"
    callgrind_control -d "$1" "$ag_pid" >/dev/null
    local f
    f=$(ls -t "$work"/callgrind.out* | head -1)
    awk -v n="$CALLGRIND" -v name="$1" '/^summary:/ {printf "%-10s %10.0f instructions/request\n", name, $2 / n}' "$f"
    # CALLGRIND_KEEP=DIR keeps each line's profile (for callgrind_annotate).
    if [[ -n ${CALLGRIND_KEEP:-} ]]; then cp "$f" "$CALLGRIND_KEEP/callgrind.$1.out"; fi
    rm -f "$f"
  }
  echo "machine: $(nproc) cores; authgate threads=$threads under callgrind; $CALLGRIND requests per line"
  count check /auth/check "Cookie: $ag_cookie"
  count ag-proxy / "Cookie: $ag_cookie"
  count bearer1 /api/items "Authorization: Bearer $token"
  exit 0
fi

# run NAME URL [wrk args...] -> "req/s p99"
run() {
  local name=$1 url=$2
  shift 2
  wrk -t"$wrk_threads" -c"$conns" -d"$warmup" "$@" "$url" >/dev/null
  local out
  out=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency "$@" "$url")
  echo "--- $name: wrk -t$wrk_threads -c$conns -d$duration --latency ${*//Bearer */Bearer <token>} $url" >&2
  echo "$out" >&2
  if grep -q "Non-2xx" <<<"$out"; then echo "$name answered non-2xx" >&2; exit 1; fi
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out")"
}

declare -A rps p99
if [[ -n ${LINES:-} ]]; then
  read -r -a lines <<<"$LINES"
else
  lines=(check return200 ag-proxy ng-proxy bearer1 bearerN)
  [[ $use_apache == 1 ]] && lines+=(apache)
fi
for _ in $(seq 1 "$rounds"); do
  for line in "${lines[@]}"; do
    case $line in
      check) r=$(run "$line" "http://127.0.0.1:$ag_port/auth/check" -H "Cookie: $ag_cookie") ;;
      return200) r=$(run "$line" "http://127.0.0.1:$front_port/return200") ;;
      ag-proxy) r=$(run "$line" "http://127.0.0.1:$ag_port/" -H "Cookie: $ag_cookie") ;;
      ng-proxy) r=$(run "$line" "http://127.0.0.1:$front_port/") ;;
      bearer1) r=$(run "$line" "http://127.0.0.1:$ag_port/api/items" -H "Authorization: Bearer $token") ;;
      bearerN) r=$(TOKENS_FILE="$work/tokens.txt" run "$line" "http://127.0.0.1:$ag_port" -s "$repo/bench/protect/tokens.lua") ;;
      apache) r=$(run "$line" "$apache_url/" -H "Cookie: $(cat "$work/cookie.apache")") ;;
    esac
    rps[$line]+="${r% *} "
    p99[$line]+="${r#* } "
  done
done

median() { printf '%s\n' $1 | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
median_ms() { printf '%s\n' $1 | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}' | sort -g | awk '{v[NR]=$1} END {printf "%.2f ms\n", v[int((NR+1)/2)]}'; }
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average at start: $load_start, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "settings: authgate threads=$threads, nginx front workers=$threads, upstream nginx 1 worker, wrk -t$wrk_threads -c$conns -d$duration (warm-up $warmup), $rounds round(s)"
printf '%-10s %12s %10s\n' line 'req/s' p99
for line in "${lines[@]}"; do
  printf '%-10s %12s %10s\n' "$line" "$(median "${rps[$line]}")" "$(median_ms "${p99[$line]}")"
done
# The median of the per-round ratios: each round measures both lines back to back, so a
# ratio within a round cancels most of the machine's drift between rounds.
ratio() {
  [[ -n ${rps[$1]:-} && -n ${rps[$2]:-} ]] || return 0
  echo "$1/$2: $(python3 -c "
import statistics, sys
a, b = [float(x) for x in sys.argv[1].split()], [float(x) for x in sys.argv[2].split()]
r = sorted(x / y for x, y in zip(a, b))
print(f'{statistics.median(r):.2f} (rounds: {\" \".join(f\"{v:.2f}\" for v in r)})')
" "${rps[$1]}" "${rps[$2]}")"
}
ratio check return200
ratio ag-proxy ng-proxy
ratio ag-proxy apache
exit 0
