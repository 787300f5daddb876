"""The environment the tests run in holds exactly the versions requirements.lock pins (the lock `./dev setup`,
`./dev test` and CI install through), and the lock agrees with constraints.txt, the JVM-matching pins."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).parents[2]
NOT_LOCKED = {"pip", "setuptools", "wheel"}  # the venv's own installers
OWN = re.compile(r"^(coinstream-|airflow-provider-coinstream$)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements/constraints file, by canonical name."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[canonical(name)] = version.strip()
    return found


def test_every_installed_distribution_has_the_locked_version():
    locked = pins(ROOT / "requirements.lock")
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    ours = {name for name in installed if OWN.match(name)}

    off_lock = {name: (version, locked.get(name, "not in the lock")) for name, version in installed.items()
                if name not in ours | NOT_LOCKED and locked.get(name) != version}

    assert ours >= {"coinstream-core", "coinstream-lake", "coinstream-devstack"}
    assert off_lock == {}, f"installed (version, locked) differ: {off_lock}; run `./dev setup` (or `./dev lock` " \
                           "on purpose, after adding a dependency)"


def test_the_lock_includes_and_agrees_with_the_jvm_matching_constraints():
    lock_text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    constraints = pins(ROOT / "constraints.txt")
    locked = pins(ROOT / "requirements.lock")

    assert "-c constraints.txt" in lock_text.splitlines()
    assert constraints and {name: locked.get(name) for name in constraints} == constraints
    unpinned = [line for line in lock_text.splitlines()
                if line and not line.startswith(("#", "-c")) and "==" not in line]
    assert unpinned == []
