#!/usr/bin/env bash
# render-diagrams.sh: renders every diagrams/*.dot to the .svg beside it.
# Commit both: a code host shows the .svg (the lab handouts link to them),
# and the .dot is what you edit. The docs target renders its own copies.
#   scripts/render-diagrams.sh           render all
#   scripts/render-diagrams.sh --check   fail if a committed .svg differs from
#                                        what this Graphviz makes of its .dot
# Needs Graphviz (Debian: apt-get install graphviz).
set -euo pipefail
cd "$(dirname "$0")/../diagrams"

if ! command -v dot >/dev/null 2>&1; then
  echo "render-diagrams: dot not found (apt-get install graphviz)" >&2
  exit 1
fi

check=false
if [ "${1:-}" = "--check" ]; then
  check=true
fi

stale=0
for source in *.dot; do
  target="${source%.dot}.svg"
  if $check; then
    if ! dot -Tsvg "$source" | cmp -s - "$target"; then
      echo "render-diagrams: $target is out of date"
      stale=1
    fi
  else
    dot -Tsvg -o "$target" "$source"
    echo "render-diagrams: $target"
  fi
done
exit "$stale"
