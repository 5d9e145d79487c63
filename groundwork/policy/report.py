"""Policy results of a plan: the offline-only SEC-01 check, policy config, text and SARIF reports."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundwork.controls import applies
from groundwork.plan.graph import SECRET_SIG, SIG, Graph, Resource, is_secret
from groundwork.policy.analyzer import Diagnostic, PolicyInfo

SECRET_INPUT = re.compile(
    r"(password|passwd|authtoken|secretstring|privatekey|apikey|accesskey|token|kubeconfig)$", re.I
)
NOT_A_SECRET = re.compile(r"(arn|id|name|key(id|arn)|ref|path|file|length|type|version|policy|enabled|mode)$", re.I)
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "unspecified": 4}
OFFLINE_SECRET_POLICY = PolicyInfo(
    name="pulumi-inputs-secret-marked",
    description="Inputs that hold credentials (password, authToken, secretString, token, ...) are Pulumi secrets in the "
    "request the program sends, so they are encrypted in state and never printed.",
    level="mandatory",
    severity="critical",
    tags=["SEC-01", "tier:all"],
    remediation="Pass generated values (pulumi-random results) or pulumi.Output.secret(...) — never plain text.",
)


class PolicyConfigError(Exception):
    pass


def parse_policy_config(path: Path) -> dict[str, dict[str, Any]]:
    """The file's shape, checked before any work: a mapping of policy name to a level or to
    {enforcementLevel, reason, ...}. Raises PolicyConfigError naming the file and the entry."""
    from groundwork.files import yaml_problem

    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise PolicyConfigError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyConfigError(f"{path}: not valid YAML or JSON: {yaml_problem(exc)}") from None
    if not isinstance(raw, dict):
        raise PolicyConfigError(f"{path}: expected a mapping of policy name to enforcement level")
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for name, value in raw.items():
        if isinstance(value, str):
            out[str(name)] = {"enforcementLevel": value}
        elif isinstance(value, dict):
            out[str(name)] = dict(value)
        else:
            problems.append(
                f"{name}: {value!r} is neither a level nor a mapping; write `{name}: advisory` or "
                f"`{name}: {{enforcementLevel: advisory, reason: ...}}`"
            )
    if problems:
        raise PolicyConfigError(f"{path}:\n  " + "\n  ".join(problems))
    return out


def load_policy_config(path: Path, policies: list[PolicyInfo]) -> dict[str, dict[str, Any]]:
    """`--policy-config FILE` (JSON or YAML, the shape of `pulumi preview --policy-pack-config`).

    Each entry is a level ("advisory") or {enforcementLevel, reason, ...}. Lowering a policy's
    level (an exemption for this run) needs a written `reason`, which every message then shows.
    """
    raw = parse_policy_config(path)
    known = {p.name: p for p in policies}
    order = {"disabled": 0, "advisory": 1, "remediate": 2, "mandatory": 2}
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for name, cfg in raw.items():
        level = cfg.get("enforcementLevel")
        if name not in known:
            problems.append(f"{name}: no such policy in the pack")
            continue
        if level not in order:
            problems.append(f"{name}: enforcementLevel {level!r} is not advisory, mandatory, remediate or disabled")
            continue
        if order[level] < order[known[name].level] and len(str(cfg.get("reason", "")).strip()) < 20:
            problems.append(
                f"{name}: lowering {known[name].level} to {level} needs a `reason` of at least 20 characters"
            )
            continue
        out[name] = cfg
    if problems:
        raise PolicyConfigError(f"{path}:\n  " + "\n  ".join(problems))
    return out


_NOTE = re.compile(r"^(.*) \(((?:exempted for this stack|advisory in \w+|the in-cluster layer).*)\)$", re.S)


def _note(detail: str) -> tuple[str, str | None]:
    """A message's finding and its trailing enforcement note (exemption reason, tier), if any."""
    m = _NOTE.match(detail)
    return (m.group(1), m.group(2)) if m else (detail, None)


def offline_secret_check(graph: Graph) -> list[Diagnostic]:
    """SEC-01 where only the offline plan can see it: credential inputs must be marked secret."""
    out = []

    def walk(r: Resource, value: Any, path: str, key: str) -> None:
        if is_secret(value):
            return
        if isinstance(value, dict) and value.get(SIG) not in (None, SECRET_SIG):
            return  # resource reference, asset
        if isinstance(value, dict):
            for k, v in value.items():
                walk(r, v, f"{path}.{k}" if path else k, k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(r, v, f"{path}[{i}]", key)
        elif isinstance(value, str) and value and SECRET_INPUT.search(key) and not NOT_A_SECRET.search(key):
            out.append(
                Diagnostic(
                    OFFLINE_SECRET_POLICY.name,
                    f"{OFFLINE_SECRET_POLICY.description}\n[SEC-01] input {path} is plain text",
                    "mandatory",
                    "critical",
                    r.urn,
                    OFFLINE_SECRET_POLICY.description,
                )
            )

    for r in graph.resources:
        walk(r, r.inputs, "", "")
    return out


@dataclass
class PolicyReport:
    pack: dict[str, Any]
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic]
    environment: str
    seconds: dict[str, float] = field(default_factory=dict)
    analyzed: int = 0
    exemptions: list[dict[str, Any]] = field(default_factory=list)  # groundwork:exemptions as written

    @property
    def by_name(self) -> dict[str, PolicyInfo]:
        return {p.name: p for p in [*self.policies, OFFLINE_SECRET_POLICY]}

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.mandatory]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.mandatory]

    def controls_of(self, d: Diagnostic) -> list[str]:
        info = self.by_name.get(d.policy)
        return info.controls if info else []

    def detail(self, d: Diagnostic) -> str:
        return d.message.split("\n", 1)[1] if "\n" in d.message else d.message

    def grouped(self) -> dict[tuple[str, str, str], list[Diagnostic]]:
        groups: dict[tuple[str, str, str], list[Diagnostic]] = defaultdict(list)
        for d in self.diagnostics:
            groups[(d.level, "/".join(self.controls_of(d)) or "-", d.severity)].append(d)
        return dict(
            sorted(groups.items(), key=lambda kv: (kv[0][0] != "mandatory", SEVERITY_ORDER.get(kv[0][2], 9), kv[0][1]))
        )

    def exemption_notes(self) -> list[str]:
        """What each exemption does here: an exemption whose policies are advisory in this tier
        anyway changes nothing (it only gives the reason), and one may name only its control's policies."""
        notes, idle = [], []
        for e in self.exemptions:
            control, named = str(e.get("control", "")), [str(p) for p in e.get("policies") or []]
            of_control = [p for p in self.policies if control in p.controls]
            if not of_control:
                continue  # a control the settings or a tool check: the settings report it
            foreign = [n for n in named if n not in {p.name for p in of_control}]
            if foreign:
                notes.append(
                    f"  warning: the exemption of {control} names {', '.join(foreign)}, not a policy of {control} "
                    f"(its policies: {', '.join(sorted(p.name for p in of_control))})"
                )
            covered = [p for p in of_control if not named or p.name in named]
            if covered and not any(applies(p.tier, self.environment) for p in covered):
                idle.append(control)
        if idle:
            notes.append(
                f"  note: {len(idle)} exemption(s) change nothing in {self.environment}, whose tier makes their "
                f"policies advisory anyway; they only give the reasons shown: {', '.join(idle)}"
            )
        return notes

    def render(self) -> list[str]:
        lines = [
            f"Policies: {self.pack.get('name')} v{self.pack.get('version')} ({len(self.policies)} policies, "
            f"environment {self.environment})"
        ]
        for (level, controls, severity), items in self.grouped().items():
            notes = {_note(self.detail(d))[1] for d in items}
            shared = notes.pop() if len(notes) == 1 else None
            lines.append(f"  {level:<9} {severity:<8} {controls}" + (f" ({shared})" if shared else ""))
            for d in items:
                where = d.urn.split("::")[-1] if d.urn else "(stack)"
                detail = _note(self.detail(d))[0] if shared else self.detail(d)
                lines.append(f"      {d.policy} @ {where}: {detail}")
        lines += self.exemption_notes()
        lines.append(
            f"Policy summary: {len(self.mandatory)} mandatory, {len(self.advisory)} advisory violation(s); "
            f"{self.analyzed} resources analyzed in {self.seconds.get('analyze', 0):.2f}s"
        )
        return lines

    # -----------------------------------------------------------------------------------------
    def sarif(self, graph: Graph, root: Path) -> dict[str, Any]:
        """SARIF 2.1.0 for GitHub code scanning: one rule per policy, results at the component source."""
        rules = []
        index = {}
        for i, p in enumerate(sorted(self.by_name.values(), key=lambda p: p.name)):
            index[p.name] = i
            rules.append(
                {
                    "id": p.name,
                    "name": "".join(w.title() for w in p.name.split("-")),
                    "shortDescription": {"text": p.description},
                    "fullDescription": {"text": p.description},
                    "help": {"text": p.remediation or p.description, "markdown": f"**Remediation:** {p.remediation}"},
                    "helpUri": f"https://github.com/groundwork/groundwork/blob/main/docs/policies.md#{p.name}",
                    "defaultConfiguration": {"level": "error" if p.level == "mandatory" else "warning"},
                    "properties": {
                        "tags": [*p.controls, f"tier-{p.tier}"],
                        "problem.severity": p.severity,
                        "security-severity": {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}.get(
                            p.severity, "1.0"
                        ),
                    },
                }
            )
        results = []
        for d in self.diagnostics:
            source = source_of(graph, d.urn, root)
            results.append(
                {
                    "ruleId": d.policy,
                    "ruleIndex": index.get(d.policy, 0),
                    "level": "error" if d.mandatory else "warning",
                    "message": {"text": f"{self.detail(d)} ({d.urn or 'stack'})"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": source, "uriBaseId": "%SRCROOT%"},
                                "region": {"startLine": 1},
                            },
                            "logicalLocations": [
                                {"fullyQualifiedName": d.urn or f"stack {graph.stack}", "kind": "resource"}
                            ],
                        }
                    ],
                    "partialFingerprints": {"policyUrn": f"{d.policy}:{d.urn}:{self.detail(d)}"},
                }
            )
        return {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "groundwork-policies",
                            "version": str(self.pack.get("version")),
                            "informationUri": "https://github.com/groundwork/groundwork",
                            "rules": rules,
                        }
                    },
                    "automationDetails": {"id": f"groundwork/{graph.stack}/"},
                    "results": results,
                }
            ],
        }


def source_of(graph: Graph, urn: str, root: Path) -> str:
    """The repository file a resource comes from: its nearest groundwork component's module, else the stack file."""
    r = graph.by_urn.get(urn)
    while r is not None:
        if r.type.startswith("groundwork:"):
            module = r.type.split(":")[1]
            candidate = root / "components" / f"{module}.py"
            if candidate.exists():
                return candidate.relative_to(root).as_posix()
        r = graph.by_urn.get(r.parent)
    return f"Pulumi.{graph.stack}.yaml"


def pack_version(pack_dir: Path) -> str:
    data = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    return str(data.get("version", "0.0.1"))


def write_sarif(report: PolicyReport, graph: Graph, root: Path, path: Path) -> None:
    from groundwork.files import write_text

    write_text(path, json.dumps(report.sarif(graph, root), indent=2) + "\n")
