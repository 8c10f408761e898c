"""`make audit`'s dependency half: pip-audit over the installed environment.

pip-audit needs a vulnerability service (PyPI's JSON API or OSV). Where it cannot reach one,
as on machines that reach only a package mirror, it either fails to connect or skips every
package as "not found"; both are reported as "unavailable" and do not fail the build, while a
known vulnerability always does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TIMEOUT = 300


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [str(pip_audit), "--progress-spinner", "off", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit: unavailable ({type(exc).__name__}); dependencies not audited")
        return 0
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: unavailable ({last[:200]}); dependencies not audited")
        return 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep['version']}: {ids}")
    audited = [d for d in deps if "skip_reason" not in d]
    if vulnerable:
        return 1
    if not audited:
        print(
            f"pip-audit: unavailable (the vulnerability service knew none of {len(deps)} "
            "packages: no route to it from here); dependencies not audited"
        )
        return 0
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
