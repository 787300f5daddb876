"""Configuration errors that name the file, the key, what was expected, and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a pipeline file."""

    key: str
    problem: str
    expected: str = ""
    fix: str = ""

    def render(self) -> str:
        """Return the problem as one line: ``key: problem; expected ...; fix``."""
        parts = [f"{self.key or '<file>'}: {self.problem}"]
        if self.expected:
            parts.append(f"expected {self.expected}")
        if self.fix:
            parts.append(self.fix)
        return "; ".join(parts)


class ConfigError(Exception):
    """The pipeline configuration is invalid; the message lists every problem found."""

    def __init__(self, path: Path | str | None, problems: Sequence[ConfigProblem]) -> None:
        self.path = str(path) if path is not None else "<pipeline>"
        self.problems = list(problems)
        lines = [f"{self.path}: {problem.render()}" for problem in self.problems]
        heading = f"invalid pipeline configuration ({len(lines)} problem{'s' if len(lines) != 1 else ''}):"
        super().__init__("\n".join([heading, *("  " + line for line in lines)]))
