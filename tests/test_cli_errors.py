"""Issue 15: every file and option a user can give gets a clear answer, never a traceback, and
nothing is written on failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundwork import files
from groundwork.cli import app
from groundwork.cost.usage import UsageError
from groundwork.cost.usage import load as load_usage
from tests.conftest import ROOT

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "-C", str(ROOT)])
    text = " ".join(result.output.split())
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "-s", "prod", "--json", "/nonexistent/g.json"], "--json /nonexistent/g.json: the directory /nonexistent does not exist"),
        (["plan", "-s", "prod", "--sarif", "{tmp}"], "--sarif {tmp}: is a directory; give a file path"),
        (["plan", "-s", "prod", "--pack", "{tmp}/none"], "no policy pack (PulumiPolicy.yaml) in"),
        (["plan", "-s", "prod", "--policy-config", "{tmp}/none.json"], "--policy-config {tmp}/none.json: no such file"),
        (["cost", "-s", "prod", "-o", "/nonexistent/c.txt"], "--output /nonexistent/c.txt: the directory /nonexistent does not exist"),
        (["cost", "-s", "prod", "--compare-to", "{tmp}/not-json.txt"], "--compare-to {tmp}/not-json.txt: not JSON"),
        (["cost", "-s", "prod", "--compare-to", "{tmp}/other.json"], "--compare-to {tmp}/other.json: not an estimate"),
        (["cost", "-s", "prod", "--usage", "{tmp}/none.yaml"], "--usage {tmp}/none.yaml: no such file"),
        (["cost", "-s", "prod", "-s", "dev", "--usage", "{tmp}/u.yaml"], "--usage is one stack's usage profile"),
        (["dr", "status", "-s", "prod", "--outputs", "{tmp}/none.json"], "--outputs {tmp}/none.json: no such file"),
        (["dr", "plan", "-s", "prod", "--to-region", "eu-central-1", "--json", "/nonexistent/p.json"], "--json /nonexistent/p.json: the directory"),
        (["doctor", "-s", "prod", "--json", "{tmp}"], "--json {tmp}: is a directory"),
        (["ci", "bootstrap", "-s", "prod", "--out", "{root}/Pulumi.yaml/sub"], "Pulumi.yaml is a file, so the directory cannot be created"),
    ],
)  # fmt: skip
def test_bad_paths_are_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "not-json.txt").write_text("total: 3\n")
    (tmp_path / "other.json").write_text('{"resources": []}')
    (tmp_path / "u.yaml").write_text("nat_gb: 1\n")
    fill = {"tmp": str(tmp_path), "root": str(ROOT)}
    code, text = run(*[a.format(**fill) for a in args])
    assert code == 2, text
    assert message.format(**fill) in text


def test_nothing_is_written_when_a_command_fails(tmp_path: Path) -> None:
    """A failing plan leaves no graph and no SARIF behind; a write is whole or nothing."""
    project = tmp_path / "p"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns("venv", ".git", "tests", "node_modules", "tools"))
    stack = project / "Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace("cidr: 10.30.0.0/16", "cidr: 10.30.0.0/33"))
    graph, sarif = tmp_path / "g.json", tmp_path / "r.sarif"
    result = runner.invoke(app, ["plan", "-s", "prod", "--json", str(graph), "--sarif", str(sarif), "-C", str(project)])
    assert result.exit_code == 1 and "groundwork:network.cidr" in result.output
    assert not graph.exists() and not sarif.exists()
    target = tmp_path / "out.json"
    target.write_text("old\n")

    class Boom(Exception):
        pass

    original = files.os.replace

    def broken(src: str, dst: str) -> None:
        raise Boom

    files.os.replace = broken  # type: ignore[assignment]
    try:
        with pytest.raises(Boom):
            files.write_text(target, "new\n")
    finally:
        files.os.replace = original  # type: ignore[assignment]
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_usage_profile_problems_name_the_file_the_key_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "prod.yaml"
    bad.write_text("nat_gbs: 200\nalb_lcu: -1\n")
    with pytest.raises(UsageError) as exc:
        load_usage("prod", bad)
    text = str(exc.value)
    assert f"{bad}: 2 problem(s) in the usage profile" in text
    assert "nat_gbs = 200" in text and "problem: unknown key" in text and "fix:     rename it to nat_gb" in text
    assert "alb_lcu = -1" in text and "greater than or equal to 0" in text
    bad.write_text("nat_gb: [1\n")
    with pytest.raises(UsageError, match=rf"{bad}: not valid YAML: line 2, column 1: "):
        load_usage("prod", bad)
    bad.write_text("- 1\n")
    with pytest.raises(UsageError, match="expected a mapping of usage keys"):
        load_usage("prod", bad)
    with pytest.raises(UsageError, match="no such usage profile"):
        load_usage("prod", tmp_path / "none.yaml", required=True)
    assert load_usage("prod", tmp_path / "none.yaml")[1] is None  # the default profile may be absent


def test_a_bad_usage_profile_stops_cost_and_plan_before_any_work(tmp_path: Path) -> None:
    bad = tmp_path / "u.yaml"
    bad.write_text("nat_gbs: 200\n")
    code, text = run("cost", "-s", "prod", "--usage", str(bad))
    assert code == 2 and "nat_gbs = 200" in text and "rename it to nat_gb" in text
    project = tmp_path / "p"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns("venv", ".git", "tests", "node_modules", "tools"))
    (project / "cost" / "usage" / "prod.yaml").write_text("nat_gbs: 200\n")
    result = runner.invoke(app, ["plan", "-s", "prod", "-C", str(project)])
    assert result.exit_code == 2 and "rename it to nat_gb" in " ".join(result.output.split())
    assert "Planned in" not in result.output  # refused before the program ran


def test_compare_to_accepts_a_real_estimate(tmp_path: Path) -> None:
    estimate = tmp_path / "e.json"
    code, _ = run("cost", "-s", "dev", "-f", "json", "-o", str(estimate))
    assert code == 0 and json.loads(estimate.read_text())["stacks"][0]["stack"] == "dev"
    code, text = run("cost", "-s", "dev", "--compare-to", str(estimate))
    assert code == 0 and "change vs" in text


def _project(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    project = tmp_path / "p"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns("venv", ".git", "tests", "node_modules", "tools"))
    stack = project / "Pulumi.prod.yaml"
    stack.write_text(edit(stack.read_text()))
    return project


def test_one_invalid_service_gives_one_problem_not_knock_on_ones(tmp_path: Path) -> None:
    project = _project(tmp_path, lambda t: t.replace("- { name: menu-service,", "- { name: Menu_Service,"))
    result = runner.invoke(app, ["plan", "-s", "prod", "--no-policies", "--no-cost", "-C", str(project)])
    text = result.output
    assert result.exit_code == 1 and "1 problem in the stack settings" in text
    assert 'groundwork:services[3].name = "Menu_Service"' in text and "calls" not in text


def test_an_unquoted_version_is_explained(tmp_path: Path) -> None:
    project = _project(tmp_path, lambda t: t.replace('version: "1.35"', "version: 1.35"))
    result = runner.invoke(app, ["plan", "-s", "prod", "--no-policies", "--no-cost", "-C", str(project)])
    assert result.exit_code == 1
    assert "YAML read 1.35 as a number, and this setting is text" in result.output
    assert 'fix:     quote it in Pulumi.prod.yaml: version: "1.35"' in result.output


def test_yaml_errors_name_the_file_line_and_column(tmp_path: Path) -> None:
    project = _project(tmp_path, lambda t: t.replace("  groundwork:cache:\n", "  groundwork:cache: [\n"))
    result = runner.invoke(app, ["plan", "-s", "prod", "-C", str(project)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "Pulumi.prod.yaml is not valid YAML: line 30, column 10: expected ',' or ']', but got ':'" in text
    assert "<unicode string>" not in text


def test_contributing_s_add_a_service_example_works_as_written() -> None:
    """Issue 15: the example named a team in `calls`. It is added to each stack file as written."""
    import re

    import yaml

    from groundwork.plan import load_stack_config
    from groundwork.settings import load_settings

    text = (ROOT / "CONTRIBUTING.md").read_text()
    block = re.search(r"## Add a service.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    example = yaml.safe_load(block.group(1))["groundwork:services"]
    for stack in ("dev", "staging", "prod"):
        cfg = load_stack_config(ROOT, stack)
        services = json.loads(cfg.config["groundwork:services"]) + example
        cfg.config["groundwork:services"] = json.dumps(services)
        settings = load_settings(cfg.config, project=cfg.project, stack=stack)
        assert settings.services[-1].name == "billing"


def test_overlapping_vpc_ranges_across_stacks_are_a_warning_with_the_fix(tmp_path: Path) -> None:
    from groundwork import crossstack

    assert crossstack.warnings(ROOT, "prod") == []  # the project's stacks use 10.10/10.20/10.30
    project = _project(tmp_path, lambda t: t.replace("cidr: 10.30.0.0/16", "cidr: 10.20.0.0/16"))
    [warning] = crossstack.warnings(project, "prod")
    assert "groundwork:network.cidr 10.20.0.0/16 overlaps stack staging's 10.20.0.0/16" in warning
    assert "Fix: give prod its own range" in warning
    result = runner.invoke(app, ["plan", "-s", "prod", "--no-policies", "--no-cost", "--no-tree", "-C", str(project)])
    assert result.exit_code == 0 and "overlaps stack staging's" in " ".join(result.output.split())


def _commands() -> list[list[str]]:
    import typer.main

    out: list[list[str]] = []

    def walk(cmd, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def test_help_of_every_command_is_plain_and_complete() -> None:
    """Issue 15: flags showed a `<bool>` metavar, `[secret]` vanished (rich markup), an option had no help."""
    import typer.main

    root = typer.main.get_command(app)
    for path in _commands():
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path
        cmd = root
        for part in path:
            cmd = cmd.commands[part]  # type: ignore[attr-defined]
        for param in cmd.params:
            if param.param_type_name == "option" and param.name != "help":
                assert getattr(param, "help", None), (path, param.name)
    summary = runner.invoke(app, ["ci", "outputs-summary", "--help"]).output
    assert "[secret]" in summary


@pytest.mark.parametrize("command", [["ci", "drift", "--refresh-json"], ["ci", "outputs-summary", "--outputs"]])
def test_ci_commands_take_the_project_dir_and_refuse_an_unknown_stack(command: list[str], tmp_path: Path) -> None:
    data = tmp_path / "x.json"
    data.write_text("{}")
    result = runner.invoke(app, [command[0], command[1], "-s", "prdo", command[2], str(data), "-C", str(ROOT)])
    assert result.exit_code == 2 and "Pulumi.prdo.yaml" in result.output


def test_the_same_host_in_two_stacks_is_a_warning(tmp_path: Path) -> None:
    from groundwork import crossstack

    project = _project(tmp_path, lambda t: t.replace("host: api.example.com", "host: api.staging.example.com"))
    [warning] = crossstack.warnings(project, "prod")
    assert "groundwork:ingress.host api.staging.example.com is also stack staging's" in warning


def test_a_policy_config_of_the_wrong_shape_is_refused_before_the_plan(tmp_path: Path) -> None:
    config = tmp_path / "pc.yaml"
    config.write_text("aws-rds-instance-require-multi-az: 3\n")
    code, text = run("plan", "-s", "dev", "--policy-config", str(config))
    assert code == 2 and "aws-rds-instance-require-multi-az: 3 is neither a level nor a mapping" in text
    assert "Planned in" not in text
    config.write_text("a: [\n")
    code, text = run("plan", "-s", "dev", "--policy-config", str(config))
    assert code == 2 and "not valid YAML or JSON: line 2, column 1" in text


@pytest.mark.parametrize("args", [["docs"], ["docs", "--check"], ["ci", "stacks"]])
def test_commands_outside_a_project_say_so(args: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, [*args, "-C", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(tmp_path) in result.output and "Pulumi.yaml" in result.output
