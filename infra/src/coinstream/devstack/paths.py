"""Where the stack finds its Maven projects, keeps downloads, and keeps state and logs.

- infra: ``$COINSTREAM_INFRA_DIR``, else the first folder holding ``infra/maven`` found walking up
  from the current directory, then from this file (an editable install inside the checkout).
- cache: ``<checkout>/.cache`` (Maven repository and fetched jars), or ``$COINSTREAM_STACK_CACHE_DIR``.
- state: ``<checkout>/.stack`` (data, configs, pid files, logs), or ``$COINSTREAM_STACK_DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from coinstream.devstack.errors import StackError


@dataclass(frozen=True)
class StackPaths:
    """The folders one local stack uses."""

    infra: Path
    cache: Path
    state: Path

    @property
    def maven(self) -> Path:
        return self.infra / "maven"

    @property
    def maven_settings(self) -> Path:
        return self.maven / "settings.xml"

    @property
    def maven_repo(self) -> Path:
        return self.cache / "m2"

    def jars(self, part: str) -> Path:
        return self.cache / "jars" / part

    def maven_log(self, part: str) -> Path:
        """Maven's output of the last fetch of ``part``'s jars, beside them."""
        return self.cache / "jars" / f"{part}.maven.log"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def run(self) -> Path:
        return self.state / "run"

    def part_dir(self, part: str) -> Path:
        return self.state / part

    def log_file(self, part: str) -> Path:
        return self.logs / f"{part}.log"

    @property
    def pipeline_file(self) -> Path:
        return self.state / "pipeline.toml"

    @property
    def credentials_file(self) -> Path:
        return self.state / "s3-credentials.env"


def find_infra_dir(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The ``infra`` folder of the checkout (see the module docstring for the search order)."""
    env = os.environ if environ is None else environ
    explicit = env.get("COINSTREAM_INFRA_DIR")
    if explicit:
        infra = Path(explicit).expanduser().resolve()
        if not (infra / "maven").is_dir():
            raise StackError(
                f"COINSTREAM_INFRA_DIR={explicit} has no maven/ folder; point it at the checkout's "
                "infra/ folder or unset it"
            )
        return infra
    starts = [(cwd or Path.cwd()).resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / "infra" / "maven").is_dir():
                return folder / "infra"
    raise StackError(
        f"no infra/maven folder above {starts[0]} or above the installed coinstream.devstack; run "
        "`coinstream stack` inside the coinstream checkout or set COINSTREAM_INFRA_DIR=<checkout>/infra"
    )


def resolve_paths(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> StackPaths:
    """The stack's folders for this environment."""
    env = os.environ if environ is None else environ
    infra = find_infra_dir(env, cwd)
    checkout = infra.parent
    cache = Path(env.get("COINSTREAM_STACK_CACHE_DIR") or checkout / ".cache").expanduser()
    state = Path(env.get("COINSTREAM_STACK_DIR") or checkout / ".stack").expanduser()
    return StackPaths(infra=infra, cache=cache.resolve(), state=state.resolve())
