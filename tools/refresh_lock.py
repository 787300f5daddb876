"""Re-resolve every Python dependency of coinstream's hatch environments afresh and write requirements.lock.

Run it on purpose, through ``./dev lock``, when a dependency is added or should move. It installs every
workspace member of the default environment (with its ``test`` extra) and that environment's own
dependencies into a throw-away venv, with only constraints.txt (the JVM-matching pins) in force, and
writes what pip resolved, every version pinned. ``./dev setup``, ``./dev test`` and CI install through
the lock (PIP_CONSTRAINT in pyproject.toml), so a fresh clone gets exactly these versions; the pkg and
pkg-devstack environments hold subsets of the same packages and go through the same lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
CONSTRAINTS = ROOT / "constraints.txt"
# Our own distributions: installed from the checkout, never pinned.
OWN = ("coinstream-", "coinstream_", "airflow-provider-coinstream", "airflow_provider_coinstream")
HEADER = """\
# Every Python dependency of coinstream's hatch environments, pinned: written by `./dev lock`
# (tools/refresh_lock.py) from a fresh resolution; do not edit by hand. Installs go through it
# (PIP_CONSTRAINT in pyproject.toml); the JVM-matching pins stay in constraints.txt, included here.
# Python {python} on {platform}.
-c constraints.txt
"""


def requirements() -> list[str]:
    """The default environment's members (with their extras) and its own dependencies, as pip arguments."""
    default = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["envs"]["default"]
    members = [f"{ROOT / member['path']}[{','.join(member.get('features', []))}]"
               for member in default["workspace"]["members"]]
    return [*members, *default.get("dependencies", [])]


def resolve(into: Path) -> list[str]:
    """Install :func:`requirements` into a new venv at ``into``; return its ``name==version`` lines."""
    venv.EnvBuilder(with_pip=True).create(into)
    pip = into / "bin" / "pip"
    environment = {**os.environ, "PIP_CONSTRAINT": str(CONSTRAINTS)}
    subprocess.run([pip, "install", "-q", "--disable-pip-version-check", *requirements()], env=environment, check=True)
    frozen = subprocess.run([pip, "freeze", "--all", "--exclude", "pip", "--exclude", "setuptools", "--exclude",
                             "wheel"], capture_output=True, text=True, check=True).stdout
    return sorted((line for line in frozen.splitlines() if line and not line.lower().startswith(OWN)),
                  key=str.lower)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="coinstream-lock-") as folder:
        pins = resolve(Path(folder) / "venv")
    unpinned = [line for line in pins if "==" not in line]
    if unpinned:
        print(f"refusing to write a lock with unpinned lines: {unpinned}", file=sys.stderr)
        return 1
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    LOCK.write_text(HEADER.format(python=python, platform=sys.platform) + "\n".join(pins) + "\n", encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(pins)} pinned distributions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
