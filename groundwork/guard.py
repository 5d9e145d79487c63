"""`groundwork guard`: no surprise replacement or deletion of a stateful resource (GOV-02).

CrossGuard policies see each resource's inputs, never whether the engine will replace it, so a
policy cannot stop a `pulumi up` that replaces the database. The guard reads the steps instead
(`groundwork.changes`: a real `pulumi preview --json`, or offline the base and head graphs)
and judges every step that replaces or deletes a stateful resource:

- in a stack whose tier the GOV-02 control covers (prod), such a step **blocks** (exit 1)
  unless an allowance in the stack file (`groundwork:allowances`: resource, operations, reason,
  expiry) names it and has not expired;
- in other tiers it is reported and does not block: dev and staging are rebuilt freely.

Allowances that name nothing in the change are reported as unused, so a stale one is noticed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from groundwork.changes import Change, Changes
from groundwork.controls import CONTROLS, applies
from groundwork.settings.model import Allowance, StackSettings

CONTROL = "GOV-02"  # its tier (prod, ../shared/controls.md) is where a replacement blocks


@dataclass(frozen=True)
class Verdict:
    change: Change
    allowance: Allowance | None = None  # the allowance that covers it
    expired: Allowance | None = None  # an allowance that would have covered it, past its date

    @property
    def allowed(self) -> bool:
        return self.allowance is not None


@dataclass
class GuardReport:
    stack: str
    environment: str
    verdicts: list[Verdict] = field(default_factory=list)
    unused: list[Allowance] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def enforced(self) -> bool:
        return applies(CONTROLS[CONTROL].tier, self.environment)

    @property
    def blocked(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.allowed] if self.enforced else []

    @property
    def exit_code(self) -> int:
        return 1 if self.blocked else 0

    def render(self) -> list[str]:
        counts = ", ".join(f"{n} to {op}" for op, n in self.summary.items() if n) or "no changes"
        lines = [f"Guard ({CONTROL}) for {self.stack} ({self.environment}): {counts}"]
        if not self.verdicts:
            lines.append("  no stateful resource is replaced or deleted")
        for v in self.verdicts:
            c = v.change
            why = f" (forced by {', '.join(c.replace_keys)})" if c.op == "replace" and c.replace_keys else ""
            what = f"{c.op}s {c.stateful} {c.name}{why}"
            if v.allowed:
                assert v.allowance is not None
                lines.append(f"  allowed  {what}: {v.allowance.reason} (until {v.allowance.expires})")
            elif self.enforced:
                hint = (
                    f"; the allowance for it expired on {v.expired.expires}"
                    if v.expired
                    else f"; if intended, add to groundwork:allowances: {{resource: {c.name}, operations: [{c.op}], "
                    "reason: ..., expires: <date>}"
                )
                lines.append(f"  BLOCKED  {what}{hint}")
                lines.append(f"           {c.urn}")
            else:
                lines.append(
                    f"  warning  {what} ({self.environment}: not blocked; {CONTROL} applies to {CONTROLS[CONTROL].tier})"
                )
        for a in self.unused:
            lines.append(f"  unused allowance for {a.resource} ({', '.join(a.operations)}): remove it once deployed")
        if self.blocked:
            lines.append(f"Guard: {len(self.blocked)} stateful resource(s) would be replaced or deleted: blocked")
        else:
            lines.append("Guard: passed")
        return lines


def _matches(a: Allowance, c: Change) -> bool:
    return c.op in a.operations and a.resource in (c.name, c.urn)


def judge(changes: Changes, settings: StackSettings, today: dt.date | None = None) -> GuardReport:
    today = today or dt.date.today()
    report = GuardReport(settings.stack, settings.environment, summary=changes.summary())
    used: set[int] = set()
    for c in changes.steps:
        if c.op not in ("replace", "delete") or c.stateful is None:
            continue
        live = next((a for a in settings.allowances if _matches(a, c) and a.expires >= today), None)
        stale = next((a for a in settings.allowances if _matches(a, c) and a.expires < today), None)
        if live is not None:
            used.add(id(live))
        report.verdicts.append(Verdict(c, live, None if live else stale))
    report.unused = [a for a in settings.allowances if id(a) not in used and a.expires >= today]
    return report
