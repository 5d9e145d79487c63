"""`groundwork guard` (issue 14, GOV-02): a prod change that would replace or delete a stateful
resource fails unless the stack file carries an unexpired, reasoned allowance for it.

Fixtures in tests/fixtures/preview are `pulumi preview --json` documents in the CLI's format
(pulumi/pulumi pkg/display/json.go `previewDigest`: steps with `op`, `urn`, `oldState`/`newState`,
`diffReasons`, `replaceReasons`, `detailedDiff`; a replacement as create-replacement, replace and
delete-replaced steps of one URN)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from groundwork.changes import PreviewError, diff, from_preview
from groundwork.cli import app
from groundwork.guard import judge
from groundwork.plan import Graph, load_stack_config
from groundwork.settings import load_settings
from tests.conftest import ROOT, plan

runner = CliRunner()
PREVIEWS = ROOT / "tests" / "fixtures" / "preview"
DB = "database-instance"


def settings(stack: str, allowances: list[dict] | None = None):
    cfg = load_stack_config(ROOT, stack)
    if allowances is not None:
        cfg.config["groundwork:allowances"] = json.dumps(allowances)
    return load_settings(cfg.config, project=cfg.project, stack=stack)


def preview(name: str):
    return from_preview(json.loads((PREVIEWS / f"{name}.json").read_text()))


def project_with(tmp_path: Path, stack: str, allowances: list[dict]) -> Path:
    """A copy of the project's stack files with `groundwork:allowances` added."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    yaml = YAML()
    doc = yaml.load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    doc["config"]["groundwork:allowances"] = allowances
    with (tmp_path / f"Pulumi.{stack}.yaml").open("w") as f:
        yaml.dump(doc, f)
    return tmp_path


def test_a_prod_replacement_of_the_database_is_blocked() -> None:
    changes = preview("prod-replace-database")
    assert [(c.op, c.name, c.replace_keys) for c in changes.steps] == [("replace", DB, ("kmsKeyId",))]
    report = judge(changes, settings("prod"), today=dt.date(2026, 12, 1))
    assert report.exit_code == 1 and [v.change.name for v in report.blocked] == [DB]
    text = "\n".join(report.render())
    assert "BLOCKED  replaces database database-instance (forced by kmsKeyId)" in text
    assert "groundwork:allowances: {resource: database-instance, operations: [replace]" in text


def test_a_plain_scale_up_passes() -> None:
    changes = preview("prod-scale-up")
    assert changes.summary() == {"create": 0, "update": 2, "replace": 0, "delete": 0}
    report = judge(changes, settings("prod"))
    assert report.exit_code == 0 and report.verdicts == []
    assert report.render()[-1] == "Guard: passed"


def test_an_unexpired_allowance_lets_the_replacement_through_and_an_expired_one_does_not() -> None:
    allowance = {
        "resource": DB,
        "operations": ["replace"],
        "reason": "re-encrypting the database under the new data key (CHG-1234)",
        "expires": "2026-12-31",
    }
    allowed = judge(preview("prod-replace-database"), settings("prod", [allowance]), today=dt.date(2026, 12, 1))
    assert allowed.exit_code == 0 and allowed.verdicts[0].allowed
    assert "allowed  replaces database database-instance (forced by kmsKeyId): re-encrypting" in "\n".join(
        allowed.render()
    )
    late = judge(preview("prod-replace-database"), settings("prod", [allowance]), today=dt.date(2027, 1, 1))
    assert late.exit_code == 1 and "the allowance for it expired on 2026-12-31" in "\n".join(late.render())
    # an allowance for replace does not cover a delete, nor another resource
    wrong_op = {**allowance, "operations": ["delete"]}
    assert judge(preview("prod-replace-database"), settings("prod", [wrong_op]), today=dt.date(2026, 12, 1)).blocked
    unused = judge(preview("prod-scale-up"), settings("prod", [allowance]), today=dt.date(2026, 12, 1))
    assert "unused allowance for database-instance (replace): remove it once deployed" in "\n".join(unused.render())


def test_outside_prod_a_replacement_is_reported_not_blocked() -> None:
    report = judge(preview("prod-delete-backup-bucket"), settings("staging"))
    assert report.exit_code == 0
    text = "\n".join(report.render())
    assert "warning  deletes bucket backups-bucket (staging: not blocked; GOV-02 applies to prod)" in text


def test_allowances_are_validated_with_the_other_settings() -> None:
    from groundwork.settings import SettingsError

    with pytest.raises(SettingsError) as exc:
        settings("prod", [{"resource": DB, "operations": ["rename"], "reason": "short"}])
    text = exc.value.render()
    assert "groundwork:allowances[0].operations[0]" in text and "groundwork:allowances[0].reason" in text
    assert "groundwork:allowances[0].expires" in text


def test_the_cli_blocks_the_replacement_and_passes_the_scale_up(tmp_path: Path) -> None:
    blocked = runner.invoke(
        app, ["guard", "-s", "prod", "--preview", str(PREVIEWS / "prod-replace-database.json"), "-C", str(ROOT)]
    )
    assert blocked.exit_code == 1, blocked.output
    assert "BLOCKED  replaces database database-instance" in blocked.output
    passed = runner.invoke(
        app, ["guard", "-s", "prod", "--preview", str(PREVIEWS / "prod-scale-up.json"), "-C", str(ROOT)]
    )
    assert passed.exit_code == 0 and "Guard: passed" in passed.output
    far = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    project = project_with(
        tmp_path,
        "prod",
        [{"resource": DB, "operations": ["replace"], "reason": "re-encrypting under the new key", "expires": far}],
    )
    allowed = runner.invoke(
        app, ["guard", "-s", "prod", "--preview", str(PREVIEWS / "prod-replace-database.json"), "-C", str(project)]
    )
    assert allowed.exit_code == 0, allowed.output


def test_the_cli_refuses_what_is_not_a_preview_of_the_stack(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": [{"urn": 3}]}')
    result = runner.invoke(app, ["guard", "-s", "prod", "--preview", str(bad), "-C", str(ROOT)])
    assert result.exit_code == 2 and "steps[0] has no `op` and `urn` strings" in result.output
    result = runner.invoke(
        app, ["guard", "-s", "staging", "--preview", str(PREVIEWS / "prod-scale-up.json"), "-C", str(ROOT)]
    )
    assert result.exit_code == 2 and "of another stack (urn:pulumi:prod), not of staging" in result.output
    result = runner.invoke(app, ["guard", "-s", "prod", "-C", str(ROOT)])
    assert result.exit_code == 2 and "give either --preview" in result.output
    result = runner.invoke(app, ["guard", "-s", "prod", "--preview", str(tmp_path / "none.json"), "-C", str(ROOT)])
    assert result.exit_code == 2 and "no such file" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(PreviewError):
        from_preview([])


def test_offline_base_and_head_graphs(tmp_path: Path) -> None:
    """The offline path: `groundwork plan --json` on the base, the head planned or given."""
    base = plan("prod")
    head = Graph.from_json(copy.deepcopy(base.to_json()))
    db = next(r for r in head.resources if r.name == DB)
    db.inputs["kmsKeyId"] = "arn:aws:kms:eu-west-1:333333333333:key/another"
    changes = diff(base, head)
    assert [(c.op, c.name, c.replace_keys) for c in changes.of("replace") if c.stateful] == [
        ("replace", DB, ("kmsKeyId",))
    ]
    base.write(tmp_path / "base.json")
    head.write(tmp_path / "head.json")
    result = runner.invoke(
        app,
        [
            "guard",
            "-s",
            "prod",
            "--base",
            str(tmp_path / "base.json"),
            "--head",
            str(tmp_path / "head.json"),
            "-C",
            str(ROOT),
        ],
    )
    assert (
        result.exit_code == 1 and "BLOCKED  replaces database database-instance (forced by kmsKeyId)" in result.output
    )
    same = runner.invoke(
        app,
        [
            "guard",
            "-s",
            "prod",
            "--base",
            str(tmp_path / "base.json"),
            "--head",
            str(tmp_path / "base.json"),
            "-C",
            str(ROOT),
        ],
    )
    assert same.exit_code == 0 and "no changes" in same.output


def test_every_step_op_of_the_cli_is_read_as_the_engine_means_it() -> None:
    """Ops of pulumi/pulumi pkg/resource/deploy/step.go: a replacement is several steps of one URN,
    `discard` removes from the stack (retainOnDelete), `same`/`read`/`refresh` change nothing, and
    component steps (custom: false) have no cloud resource."""
    u = "urn:pulumi:prod::groundwork::groundwork:cache:Cache$aws:elasticache/replicationGroup:ReplicationGroup::cache-group"
    k = "urn:pulumi:prod::groundwork::groundwork:kms:Keys$aws:kms/key:Key::keys-data"
    steps = [
        {"op": "same", "urn": "urn:pulumi:prod::groundwork::aws:ec2/vpc:Vpc::vpc"},
        {"op": "read", "urn": "urn:pulumi:prod::groundwork::aws:ec2/vpc:Vpc::looked-up"},
        {"op": "update", "urn": "urn:pulumi:prod::groundwork::groundwork:cache:Cache::cache",
         "newState": {"type": "groundwork:cache:Cache", "custom": False}},
        {"op": "create-replacement", "urn": u, "replaceReasons": ["atRestEncryptionEnabled"]},
        {"op": "replace", "urn": u, "replaceReasons": ["atRestEncryptionEnabled"], "diffReasons": "nonsense"},
        {"op": "discard-replaced", "urn": u},
        {"op": "discard", "urn": k, "oldState": {"type": "aws:kms/key:Key", "custom": True}},
        {"op": "import", "urn": "urn:pulumi:prod::groundwork::aws:s3/bucket:Bucket::adopted"},
    ]  # fmt: skip
    changes = from_preview({"steps": steps})
    got = {(c.name, c.type, c.op, c.replace_keys) for c in changes.steps}
    assert got == {
        ("cache-group", "aws:elasticache/replicationGroup:ReplicationGroup", "replace", ("atRestEncryptionEnabled",)),
        ("keys-data", "aws:kms/key:Key", "delete", ()),
        ("adopted", "aws:s3/bucket:Bucket", "create", ()),
    }
    report = judge(changes, settings("prod"))
    assert {v.change.name for v in report.blocked} == {"cache-group", "keys-data"}
