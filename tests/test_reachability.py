"""Reachability (issue 13, defect 2): every principal that applies a stack has a network path to
the Kubernetes API endpoint. Staging and prod keep it private; GitHub-hosted runners and laptops
are outside the VPC, so on the landed code every Kubernetes resource and Helm release of CI's
`pulumi up` timed out. `groundwork plan` fails when a path is missing (groundwork.reachability);
these tests run that check on the real stacks' graphs and show it failing on seeded mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from components.access import runner_policy
from groundwork import iam, reachability
from groundwork.plan.graph import Graph
from tests.conftest import ROOT
from tests.helpers import by_name, deps

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def without(g: Graph, *names: str) -> Graph:
    return Graph(project=g.project, stack=g.stack, resources=[r for r in g.resources if r.name not in names])


def test_every_stack_reaches_its_api(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    paths = reachability.paths(g, ci=True)
    assert [p.principal for p in paths] == [
        f"CI jobs on CodeBuild project groundwork-{any_stack}-runner",
        "operators" if any_stack == "dev" else "operators through the SSM host",  # dev: the office range
    ]
    assert all(p.reachable for p in paths), paths


def test_runner_and_operator_host_sit_in_private_subnets_allowed_on_443(prod: Graph) -> None:
    cluster_sg = prod.one("aws:eks/cluster:Cluster").outputs["vpcConfig"]["clusterSecurityGroupId"]
    rules = {r.name: r for r in prod.of_type(INGRESS) if r.props["securityGroupId"] == cluster_sg}
    assert set(rules) == {"access-runner-to-api", "access-operator-access-to-api"}
    for r in rules.values():
        assert (r.props["fromPort"], r.props["toPort"], r.props["ipProtocol"]) == (443, 443, "tcp")
        assert "cidrIpv4" not in r.props  # from the security group only
    project = prod.one("aws:codebuild/project:Project")
    private = {r.urn for r in prod.of_type("aws:ec2/subnet:Subnet") if "private" in r.name}
    assert set(deps(project, "vpcConfig")) >= private
    host = prod.one("aws:ec2/instance:Instance")
    assert host.props["associatePublicIpAddress"] is False
    assert deps(host, "subnetId")[0] in private
    # the webhook hands the runner only queued workflow jobs
    hook = prod.one("aws:codebuild/webhook:Webhook")
    assert hook.props["filterGroups"] == [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]
    assert project.props["source"]["auth"]["type"] == "CODECONNECTIONS"


def test_seeded_mistake_no_rule_on_the_cluster_security_group(prod: Graph) -> None:
    broken = without(prod, "access-runner-to-api")
    assert reachability.problems(broken, ci=True) == [
        "CI jobs on CodeBuild project groundwork-prod-runner: CANNOT reach the API "
        "(its security group is not allowed on 443 by the cluster security group)"
    ]


def test_seeded_mistake_vpc_without_dns_hostnames(prod: Graph) -> None:
    broken = Graph(project=prod.project, stack=prod.stack)
    for r in prod.resources:
        if r.type == "aws:ec2/vpc:Vpc":
            r = type(r)(**{**r.__dict__, "outputs": {**r.outputs, "enableDnsHostnames": False}})
        broken.resources.append(r)
    assert all("enableDnsHostnames/Support off" in p for p in reachability.problems(broken, ci=True))
    assert len(reachability.problems(broken, ci=True)) == 2


def test_seeded_mistake_github_hosted_runners_and_no_operator_host(prod: Graph, dev: Graph) -> None:
    """The landed design: no runner in the VPC, no operator host."""
    landed = without(prod, "access-runner", "access-operator-access")
    assert reachability.problems(landed, ci=True) == [
        "CI jobs (deploy, preview, drift): CANNOT reach the API (GitHub-hosted runners have no fixed address: "
        "the endpoint admits only the VPC)",
        "operators: CANNOT reach the API (private endpoint and no operator host (cluster.operatorAccess))",
    ]
    # dev's public endpoint admits only the office range: GitHub-hosted runners cannot use it either
    landed_dev = without(dev, "access-runner")
    [problem] = reachability.problems(landed_dev, ci=True)
    assert problem.startswith("CI jobs (deploy, preview, drift): CANNOT reach the API")


def test_dev_operators_use_the_office_range_and_no_host(dev: Graph) -> None:
    """dev saves the SSM host (docs/cost.md "Savings"): people reach its API over the public
    endpoint from the office range, and CI over its runner in the VPC."""
    # its one instance is the NAT instance, which is no path to the API
    assert [i.name for i in dev.of_type("aws:ec2/instance:Instance")] == ["network-nat-instance"]
    assert [str(p) for p in reachability.paths(dev, ci=True)] == [
        "CI jobs on CodeBuild project groundwork-dev-runner: reaches the API (private endpoint, security group allowed on 443)",
        "operators: reaches the API (public endpoint from 203.0.113.0/24)",
    ]


def test_plan_fails_when_a_principal_cannot_reach_the_api(graph_of) -> None:
    g = graph_of("prod", cluster={**json.loads(_prod("cluster")), "operatorAccess": "ssm"})
    assert reachability.problems(g, ci=True) == []
    assert reachability.problems(g, ci=False) == []  # without CI, only the operators need a path


def test_runner_role_is_scoped(prod: Graph) -> None:
    doc = json.loads(by_name(prod, "aws:iam/rolePolicy:RolePolicy")["access-runner"].props["policy"])
    assert iam.data_actions_on_star(doc) == []
    subnets = doc["Statement"][2]["Condition"]["StringEquals"]["ec2:Subnet"]
    assert len(subnets) == 3 and all(":subnet/subnet-" in s for s in subnets)
    assert doc["Statement"][3]["Resource"].startswith("arn:aws:codeconnections:eu-west-1:333333333333:connection/")
    assert runner_policy(log_group_arn="arn:lg", connection_arn="arn:aws:codeconnections:r:1:connection/x",
                         subnet_ids=["s"], region="r")["Statement"][0]["Resource"] == ["arn:lg", "arn:lg:*"]  # fmt: skip


def _prod(key: str) -> str:
    return json.dumps(yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"][f"groundwork:{key}"])


def test_jobs_that_talk_to_a_cluster_run_on_its_runner() -> None:
    """Every workflow job that runs `pulumi preview/up/refresh` against a stack runs on that
    stack's CodeBuild runner (label `codebuild-<project>-<run id>-<attempt>`), never on a
    GitHub-hosted runner; offline jobs (plan, cost, tests) stay GitHub-hosted."""
    talking = []
    for path in sorted((ROOT / ".github/workflows").glob("*.yml")):
        wf = yaml.safe_load(path.read_text())
        for job_id, job in wf["jobs"].items():
            text = json.dumps(job)
            if (
                "role: deploy" in text
                or '"role": "deploy"' in text
                or any(r in text for r in ('"role": "preview"', '"role": "drift"'))
            ):
                talking.append(f"{path.name}:{job_id}")
                assert "codebuild-groundwork-" in str(job["runs-on"]), (path.name, job_id, job["runs-on"])
                assert "github.run_id" in str(job["runs-on"]) and "github.run_attempt" in str(job["runs-on"])
    # the label names the project the Access component creates for that stack
    from components.access import runner_project_name
    from groundwork.naming import Naming

    assert runner_project_name(Naming("groundwork", "prod")) == "groundwork-prod-runner"
    assert sorted(talking) == [
        "deploy-stack.yml:preview",
        "deploy-stack.yml:up",
        "drift.yml:drift",
        "pull-request.yml:preview",
    ]


def test_operator_tunnel_script_uses_the_stack_outputs() -> None:
    script = (ROOT / "scripts/cluster-tunnel.sh").read_text()
    assert "AWS-StartPortForwardingSessionToRemoteHost" in script
    for output in ("operatorAccessInstanceId", "clusterEndpoint", "region"):
        assert f"pulumi stack output {output}" in script
    assert Path(ROOT / "scripts/cluster-tunnel.sh").stat().st_mode & 0o111


def test_first_deploy_in_two_steps(graph_of) -> None:
    """Step 1 from outside the VPC: the AWS layer only, with the runner and the operator host that
    reach the private API; nothing that needs the API. Step 2 (the stack file as committed) from
    the runner adds the in-cluster layer on top of the same URNs."""
    from groundwork.policy.check import evaluate
    from tests.conftest import stack_config

    step1 = graph_of("prod", inCluster="false")
    needs_api = [r.name for r in step1.resources if r.type.startswith("kubernetes:")]
    assert needs_api == []
    assert reachability.problems(step1, ci=True) == []
    step2 = graph_of("prod")
    assert {r.urn for r in step1.resources} <= {r.urn for r in step2.resources}  # step 2 only adds
    assert any(w["message"].startswith("groundwork:inCluster: the in-cluster layer is left out") for w in step1.logs)
    _, report = evaluate(stack_config("prod", inCluster="false"), ROOT / "policies")
    assert report.mandatory == []
    later = [d for d in report.advisory if "groundwork:inCluster is false" in d.message]
    assert later and all(d.policy.startswith("kubernetes-") for d in later)


def test_groundwork_plan_fails_on_a_seeded_unreachable_api(tmp_path: Path) -> None:
    """End to end: a copy of the project whose Access component opens the cluster security group
    on port 80 instead of 443; `groundwork plan` (a fresh process, as a developer runs it) exits 1
    and says which principals cannot reach the API."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("venv", ".git", "node_modules", ".*cache", "tests"))
    access = copy / "components" / "access.py"
    rule = 'from_port=HTTPS,\n                to_port=HTTPS,\n                description=f"Kubernetes API'
    text = access.read_text()
    assert text.count(rule) == 1
    access.write_text(text.replace(rule, rule.replace("HTTPS", "80")))
    groundwork = Path(sys.executable).parent / "groundwork"
    out = subprocess.run([str(groundwork), "plan", "--stack", "prod", "--no-policies", "--no-tree", "-C", str(copy)],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert "CI jobs on CodeBuild project groundwork-prod-runner: CANNOT reach the API" in out.stdout
    assert "operators through the SSM host: CANNOT reach the API" in out.stdout
