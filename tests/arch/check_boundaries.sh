#!/usr/bin/env bash
# The CMake boundaries hold (docs/ARCHITECTURE.md "CMake boundaries"): with a target's
# own include path (one directory per line in DIR/<target>.txt, written by CMake), the
# headers of modules it does not link, and other modules' private headers, are not
# found; the ones it may use are. Usage: check_boundaries.sh CXX DIR
set -euo pipefail
cxx=$1
dir=$2
fail=0
# target | include | expected: ok (found) or refused (not on its path)
cases=(
  "authgate_core|authgate/core/clock.h|ok"
  "authgate_core|authgate/jose/jwk.h|refused"
  "authgate_jose|authgate/core/secret.h|ok"
  "authgate_jose|jose/verify_contexts.h|ok"
  "authgate_oidc|authgate/jose/jwt.h|ok"
  "authgate_oidc|jose/verify_contexts.h|refused"
  "authgate_oidc|authgate/session/session.h|refused"
  "authgate_session|authgate/core/clock.h|ok"
  "authgate_session|authgate/jose/jwt.h|refused"
  "authgate_session|authgate/oidc/token.h|refused"
  "authgate_config|authgate/session/session.h|refused"
  "authgate_config|net/http.h|refused"
  "authgate_net|authgate/oidc/token.h|ok"
  "authgate_net|config/config.h|refused"
  "authgate_net|gateway/app.h|refused"
  "authgate_gateway|net/http.h|ok"
  "authgate_gateway|authgate/session/session_manager.h|ok"
  "authgate_gateway|session/session_cache.h|refused"
  "authgate_gateway|oidc/json_util.h|refused"
  "authgate_gateway|cli/commands.h|refused"
)
for c in "${cases[@]}"; do
  IFS='|' read -r target header expected <<<"$c"
  flags=()
  while IFS= read -r d; do [ -n "$d" ] && flags+=("-I$d"); done <"$dir/$target.txt"
  if printf '#include "%s"\n' "$header" | "$cxx" -std=c++20 -E -x c++ - "${flags[@]}" \
      -o /dev/null 2>/dev/null; then
    got=ok
  else
    got=refused
  fi
  if [ "$got" != "$expected" ]; then
    echo "FAIL: $target including \"$header\": $got, expected $expected"
    fail=1
  else
    echo "ok: $target including \"$header\": $got"
  fi
done
exit $fail
