#!/usr/bin/env bash
# Fails when a module includes a header of a module it may not depend on
# (docs/ARCHITECTURE.md). Module headers live in include/authgate/<module>/ or
# src/<module>/.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
declare -A allowed=(
  [core]="core"
  [jose]="core jose"
  [oidc]="core jose oidc"
  [rp]="core jose oidc session rp"
  [session]="core session"
  [config]="core config"
  [net]="core jose oidc rp net"
  [gateway]="core jose oidc rp session config net gateway"
  [cli]="core jose oidc rp session config net gateway cli"
)
fail=0
for module in "${!allowed[@]}"; do
  for dir in "$root/src/$module" "$root/include/authgate/$module"; do
    [ -d "$dir" ] || continue
    while IFS= read -r line; do
      file=${line%%:*}
      inc=$(sed -E 's/.*#include +"([^"]+)".*/\1/' <<<"${line#*:}")
      target=${inc#authgate/}
      target=${target%%/*}
      [ -n "${allowed[$target]+x}" ] || continue   # not a module header
      if [[ " ${allowed[$module]} " != *" $target "* ]]; then
        echo "forbidden: ${file#$root/} ($module) includes \"$inc\" ($target)"
        fail=1
      fi
    done < <(grep -rHE '^#include +"' "$dir" --include='*.h' --include='*.cc' || true)
  done
done
[ $fail -eq 0 ] && echo "dependency direction ok"
exit $fail
