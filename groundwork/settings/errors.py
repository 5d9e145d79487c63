"""Problems with stack settings, and how they are shown to a person.

A `Problem` always says four things: the key path (as written in the stack file), the bad
value, what is allowed, and how to fix it. `SettingsError` carries every problem found in
one pass and renders them together; it subclasses `pulumi.RunError`, which the Pulumi
language host reports as a plain error message with no traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pulumi import RunError


class _Missing:
    def __repr__(self) -> str:
        return "<not set>"


MISSING: Any = _Missing()


def show_value(value: Any) -> str:
    if value is MISSING:
        return "<not set>"
    if isinstance(value, str):
        return json.dumps(value)
    try:
        text = json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    message: str
    allowed: str
    fix: str
    control: str | None = None

    def render(self) -> str:
        head = f"{self.key} = {show_value(self.value)}"
        control = f" ({self.control})" if self.control else ""
        return "\n".join(
            [
                f"  {head}",
                f"    problem: {self.message}{control}",
                f"    allowed: {self.allowed}",
                f"    fix:     {self.fix}",
            ]
        )


class SettingsError(RunError):
    """Every problem found in a stack's settings, raised before any resource is registered."""

    def __init__(self, problems: list[Problem], source: str = "stack settings") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        noun = "problem" if n == 1 else "problems"
        lines = [f"{self.source}: {n} {noun} in the stack settings; nothing was created.", ""]
        lines += [p.render() + "\n" for p in self.problems]
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        return self.render()
