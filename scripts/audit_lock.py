"""Check the pinned lock file against PyPI's advisory data, without pip-audit's per-version API.

pip-audit's ``pypi`` service asks ``https://pypi.org/pypi/NAME/VERSION/json`` for each pin. Where
only the project endpoint ``/pypi/NAME/json`` is served (a mirror, as on this project's machines),
every pin is skipped and pip-audit still says "No known vulnerabilities found". This check uses
the project endpoint instead. It returns, for each ``name==version`` pin of the lock:

* the advisories PyPI lists for the project's latest release (``vulnerabilities``; OSV data,
  PYSEC and GHSA ids): when the pin *is* the latest release they are exactly the pin's
  advisories; when it is older, they still affect the pin unless fixed at or below it, and an
  advisory fixed between the pin and the latest release is not visible here (reported as
  "not fully audited");
* whether the pinned release's files are yanked (a yanked reason often names a security fix).

Usage: ``python scripts/audit_lock.py requirements/dev.lock [--json OUT]``. Exit 0 when every pin
is audited and clean, 1 when an advisory affects a pin or a pin is yanked, 3 when some pins could
not be fully audited (none affected as far as could be seen), 4 when PyPI is unreachable.
Standard library only, so it runs from any Python 3.10+.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
URL = "https://pypi.org/pypi/{name}/json"


def pins(path: str) -> list[tuple[str, str]]:
    """The ``name==version`` lines of a pip-compile/uv lock file."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = PIN.match(line.strip())
            if m:
                out.append((m.group(1), m.group(2)))
    return out


def _key(version: str) -> tuple:
    """A rough release ordering (numeric parts first); enough to compare with fixed_in."""
    parts = re.split(r"[.+-]", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def check(name: str, version: str) -> dict:
    """Audit one pin; returns a row for the report."""
    try:
        with urllib.request.urlopen(URL.format(name=name), timeout=30) as response:
            data = json.load(response)
    except urllib.error.HTTPError as exc:
        return {"name": name, "version": version, "error": f"HTTP {exc.code}"}
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return {"name": name, "version": version, "error": f"unreachable: {exc}"}
    latest = data["info"]["version"]
    files = data.get("releases", {}).get(version, [])
    yanked = sorted({f.get("yanked_reason") or "yanked" for f in files if f.get("yanked")})
    affecting = []
    for v in data.get("vulnerabilities") or []:
        fixed = v.get("fixed_in") or []
        if any(_key(f) <= _key(version) for f in fixed) and version != latest:
            continue  # fixed at or before the pin
        affecting.append(
            {
                "id": v.get("id"),
                "aliases": v.get("aliases") or [],
                "fixed_in": fixed,
                "summary": (v.get("summary") or v.get("details") or "")[:160],
                "link": v.get("link"),
            }
        )
    return {
        "name": name,
        "version": version,
        "latest": latest,
        "is_latest": version == latest,
        "vulns": affecting,
        "yanked": yanked,
    }


def main(argv: list[str] | None = None) -> int:
    """Audit the lock; print one line per finding and a summary; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock")
    parser.add_argument("--json", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    todo = pins(args.lock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = list(pool.map(lambda p: check(*p), todo))
    errors = [r for r in rows if "error" in r]
    if errors and len(errors) == len(rows):
        print(f"audit_lock: PyPI unreachable ({errors[0]['error']}); nothing audited")
        return 4
    bad = [r for r in rows if r.get("vulns") or r.get("yanked")]
    behind = [r for r in rows if "error" not in r and not r["is_latest"]]
    for r in bad:
        for v in r["vulns"]:
            fix = ", ".join(v["fixed_in"]) or "no fix yet"
            alias = ", ".join(v["aliases"])
            print(f"VULN  {r['name']}=={r['version']}: {v['id']} ({alias}) fixed in {fix}")
        if r["yanked"]:
            print(f"YANKED {r['name']}=={r['version']}: {'; '.join(r['yanked'])}")
    for r in behind:
        print(f"BEHIND {r['name']}=={r['version']} (latest {r['latest']})")
    for r in errors:
        print(f"ERROR {r['name']}=={r['version']}: {r['error']}")
    print(
        f"audit_lock: {len(rows)} pins; {len(rows) - len(errors) - len(behind)} at the latest "
        f"release (fully audited); {len(behind)} older than the latest (advisories fixed between "
        f"the pin and the latest are not visible to this check); {len(errors)} not found; "
        f"{sum(len(r.get('vulns', [])) for r in rows)} advisories, "
        f"{sum(1 for r in rows if r.get('yanked'))} yanked pins"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    if bad:
        return 1
    return 3 if behind or errors else 0


if __name__ == "__main__":
    sys.exit(main())
