#!/usr/bin/env bash
# Optional check: known vulnerabilities in the pinned dependencies (requirements/dev.lock).
#
#   scripts/audit.sh [LOCK]        (default requirements/dev.lock)
#
# pip-audit is installed into a throwaway venv under a temporary directory (deleted on exit), not
# into the project's lock. It is tried against each vulnerability service in turn (osv, then
# pypi); a run counts only if it audited every pin: pip-audit's pypi service reports "No known
# vulnerabilities found" and exits 0 even when it skipped every pin because the per-version JSON
# endpoint is not served (as behind this project's PyPI mirror), so its skip reasons are counted
# here. When no service audits the lock, scripts/audit_lock.py checks it against PyPI's project
# endpoint (the advisories of each project's latest release, and yanked pins).
#
# Exit codes: 0 every pin audited, no advisory; 1 an advisory affects a pin (or a pin is yanked);
# 3 no advisory found, but some pins could not be fully audited; 4 no vulnerability service was
# reachable (nothing audited). CI runs it as an optional check: only 1 should fail a build.
set -uo pipefail
cd "$(dirname "$0")/.."
LOCK=${1:-requirements/dev.lock}
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" -m venv "$tmp/venv" || exit 4
if ! "$tmp/venv/bin/pip" install -q pip-audit >"$tmp/install.log" 2>&1; then
  echo "audit: cannot install pip-audit (no package index?):" >&2
  tail -3 "$tmp/install.log" >&2
  exit 4
fi
echo "audit: $("$tmp/venv/bin/pip-audit" --version), lock $LOCK"

for service in osv pypi; do
  out="$tmp/$service.json"
  "$tmp/venv/bin/pip-audit" -r "$LOCK" --require-hashes --disable-pip \
    --vulnerability-service "$service" --progress-spinner off -f json -o "$out" \
    >"$tmp/$service.log" 2>&1
  rc=$?
  if [ ! -s "$out" ]; then
    echo "audit: service $service unusable: $(grep -m1 -E 'Error|error' "$tmp/$service.log" | cut -c1-200)"
    continue
  fi
  verdict=$("$PY" - "$out" <<'PY'
import json, sys
deps = json.load(open(sys.argv[1]))["dependencies"]
skipped = [d for d in deps if "skip_reason" in d]
found = [(d["name"], d["version"], v) for d in deps for v in d.get("vulns", [])]
for name, version, v in found:
    fix = ", ".join(v.get("fix_versions") or []) or "no fix yet"
    print(f"VULN  {name}=={version}: {v['id']} ({', '.join(v.get('aliases') or [])}) fixed in {fix}")
print(f"SUMMARY {len(deps)} {len(skipped)} {len(found)}")
PY
)
  echo "$verdict" | grep -v '^SUMMARY'
  read -r _ n skipped found <<<"$(echo "$verdict" | grep '^SUMMARY')"
  echo "audit: service $service: $n pins, $skipped skipped, $found advisories (pip-audit exit $rc)"
  if [ "$skipped" = 0 ]; then
    [ "$found" = 0 ] && exit 0 || exit 1
  fi
done

echo "audit: no service audited every pin; falling back to scripts/audit_lock.py"
"$PY" scripts/audit_lock.py "$LOCK"
