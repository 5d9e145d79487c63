"""The `groundwork` command line: plan output, JSON graph, and clean user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from groundwork.cli import app
from groundwork.docs import stale

runner = CliRunner()


def test_plan_prints_tree_counts_and_outputs(root: Path) -> None:
    result = runner.invoke(app, ["plan", "--stack", "prod", "--no-policies", "-C", str(root)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "pulumi:pulumi:Stack" in out and "groundwork-prod" in out
    assert "├─ groundwork:network:Network" in out and "aws:ec2:Vpc" in out
    assert "eks:index:Cluster" in out and "create [protect]" in out
    assert "kubeconfig: [secret]" in out
    assert "clusterName: groundwork-prod" in out
    assert "Resources by type" in out and "aws:ec2:Subnet" in out


def test_plan_writes_the_graph_as_json(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "prod.json"
    result = runner.invoke(
        app, ["plan", "--stack", "prod", "--no-tree", "--no-policies", "--json", str(out), "-C", str(root)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["stack"] == "prod" and data["resourceCount"] == len(data["resources"]) - 1
    eks = next(r for r in data["resources"] if r["type"] == "eks:index:Cluster")
    assert eks["remote"] is True and eks["custom"] is False and eks["options"]["protect"] is True
    assert eks["provider"] == "" and eks["parent"].endswith("groundwork:cluster:Cluster::cluster")
    assert "privateSubnetIds" in eks["property_dependencies"]


def test_missing_stack_file_is_a_usage_error(root: Path) -> None:
    result = runner.invoke(app, ["plan", "--stack", "qa", "-C", str(root)])
    assert result.exit_code == 2
    assert "no stack file Pulumi.qa.yaml" in result.output and "dev, prod, staging" in result.output


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundwork.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_bad_settings_exit_non_zero_without_a_traceback(root: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((root / name).read_text())
    staging = (root / "Pulumi.staging.yaml").read_text()
    (project / "Pulumi.staging.yaml").write_text(
        staging.replace("cidr: 10.20.0.0/16", "cidr: 10.20.0.0/16\n    azCount: 2\n    natMode: single")
    )
    result = _run(["plan", "--stack", "staging", "--no-policies", "-C", str(project)], root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "Pulumi.staging.yaml: 2 problems in the stack settings; nothing was created." in result.stderr
    assert "groundwork:network.azCount = 2" in result.stderr and "(NET-01)" in result.stderr
    assert 'groundwork:network.natMode = "single"' in result.stderr and "(NET-02)" in result.stderr


def test_malformed_stack_file_is_reported(root: Path, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((root / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text("config: [unclosed\n")
    result = _run(["plan", "--stack", "dev", "-C", str(tmp_path)], root)
    assert result.returncode == 2 and "Pulumi.dev.yaml is not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_policy_pack_is_a_clear_error(root: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "--stack", "dev", "--pack", str(tmp_path / "nowhere"), "-C", str(root)])
    assert result.exit_code == 2
    assert "no policy pack (PulumiPolicy.yaml) in" in result.output and "--no-policies" in result.output


def test_generated_docs_are_current(root: Path) -> None:
    assert stale(root) == [], "run `groundwork docs`"
