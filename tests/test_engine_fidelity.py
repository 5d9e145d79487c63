"""Engine fidelity: the offline plan and the pack's offline run follow the engine's rules
(issue 13, defect 1). Each test states one rule and its source.

1. A remote component (pulumi-eks) is constructed by its plugin, which registers the real
   resources as its children: the plan records the children pulumi-eks creates for our
   arguments (groundwork/plan/pulumi_eks.py, derived from pulumi-eks's source and pinned to the
   installed version).
2. The engine analyzes such a component with no properties (the Node.js SDK's ComponentResource
   sends none; pulumi/pulumi sdk/nodejs/resource.ts): no control may depend on its inputs.
3. AnalyzeStack receives each resource's outputs (its state after the step), not its inputs.
4. Children inherit `protect` and the providers of their parent.
"""

from __future__ import annotations

import importlib.metadata
import json

import pytest

from groundwork.plan import pulumi_eks
from groundwork.plan.graph import Graph
from groundwork.policy.analyzer import Analyzer
from groundwork.policy.check import evaluate
from tests.conftest import ROOT, stack_config

COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"


def eks_children(g: Graph) -> dict[tuple[str, str], object]:
    c = g.one(COMPONENT)
    prefix = c.urn.rsplit("::", 1)[0]  # children's URNs carry the component type in their chain
    return {(r.type, r.name): r for r in g.resources if r.urn.startswith(prefix + "$")}


def test_model_is_pinned_to_the_installed_pulumi_eks(prod: Graph) -> None:
    """An upgrade of pulumi-eks fails here until groundwork/plan/pulumi_eks.py is re-derived."""
    assert importlib.metadata.version("pulumi_eks") == pulumi_eks.PULUMI_EKS_VERSION
    assert prod.one(COMPONENT).options.get("version") == pulumi_eks.PULUMI_EKS_VERSION
    assert prod.one(COMPONENT).remote is True


def test_plan_records_the_children_pulumi_eks_creates(prod: Graph) -> None:
    kids = eks_children(prod)
    entries = json.loads(json.dumps(prod.one(COMPONENT).props["accessEntries"]))
    expected = {
        (EKS_CLUSTER, "cluster-eks-eksCluster"),
        ("pulumi:providers:kubernetes", "cluster-eks-eks-k8s"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-eks-oidcProvider"),
        *{("aws:eks/accessEntry:AccessEntry", f"cluster-eks-{k}") for k in entries},
        *{
            ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", f"cluster-eks-{k}-{a}")
            for k, e in entries.items()
            for a in e["accessPolicies"]
        },
    }
    assert set(kids) == expected
    cluster = kids[(EKS_CLUSTER, "cluster-eks-eksCluster")]
    p = cluster.props
    assert p["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert cluster.options["ignoreChanges"] == [
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "bootstrapSelfManagedAddons",
    ]
    assert p["vpcConfig"]["endpointPublicAccess"] is False and p["vpcConfig"]["endpointPrivateAccess"] is True
    assert p["encryptionConfig"]["resources"] == ["secrets"]
    assert p["kubernetesNetworkConfig"] == {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}
    assert p["roleArn"] == prod.by_urn[prod.one(COMPONENT).inputs["serviceRole"]["urn"]].outputs["arn"]
    # rule 4: children inherit protect and the AWS provider of the component
    aws_provider = prod.one(COMPONENT).options["providers"]["aws"]
    for (typ, _), r in kids.items():
        if not typ.startswith("pulumi:providers:"):
            assert r.provider == aws_provider
            assert r.options.get("protect") is True
    association = kids[("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "cluster-eks-admin-0-admin")]
    assert association.parent == kids[("aws:eks/accessEntry:AccessEntry", "cluster-eks-admin-0")].urn


def test_dev_public_endpoint_children(dev: Graph) -> None:
    cluster = eks_children(dev)[(EKS_CLUSTER, "cluster-eks-eksCluster")]
    vpc = cluster.props["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"]
    assert cluster.options.get("protect") is None  # dev does not protect


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("skipDefaultNodeGroup", False),
        ("skipDefaultSecurityGroups", None),
        ("useDefaultVpcCni", None),
        ("authenticationMode", "API_AND_CONFIG_MAP"),
        ("fargate", True),
    ],
)
def test_arguments_the_model_does_not_cover_fail_the_plan(prod: Graph, argument: str, value: object) -> None:
    inputs = {**prod.one(COMPONENT).props, argument: value}
    if value is None:
        inputs.pop(argument)
    with pytest.raises(pulumi_eks.NotModelled, match=argument):
        pulumi_eks.children("x", inputs, lambda ref: "arn:role", "https://issuer")


def test_remote_component_is_analyzed_without_properties(prod: Graph) -> None:
    component = prod.one(COMPONENT)
    assert component.inputs  # the program sends them ...
    assert Analyzer.analyze_properties(component) == {}  # ... the engine's analyzer never sees them
    ordinary = prod.one(EKS_CLUSTER)
    assert Analyzer.analyze_properties(ordinary) == ordinary.inputs


def test_analyze_stack_receives_outputs(prod: Graph) -> None:
    db = prod.one("aws:rds/instance:Instance")
    props = Analyzer.stack_properties(db)
    assert props["address"].endswith(".rds.amazonaws.com") and "address" not in db.inputs
    component = prod.one("groundwork:cluster:Cluster")
    assert Analyzer.stack_properties(component) == component.outputs  # registered outputs


def test_pack_is_clean_with_the_real_children_and_an_empty_component() -> None:
    """prod's plan with the pulumi-eks children, the component sent empty, AnalyzeStack on outputs:
    no violation at all on the component, and no mandatory violation anywhere."""
    graph, report = evaluate(stack_config("prod"), ROOT / "policies")
    component = graph.one(COMPONENT)
    assert [d for d in report.diagnostics if d.urn == component.urn] == []
    assert [d.policy for d in report.mandatory] == []
    judged = {d.urn for d in report.diagnostics}
    assert graph.one(EKS_CLUSTER).urn not in judged


def test_seeded_mistake_the_eks_controls_judge_the_recorded_child_not_the_component(prod: Graph) -> None:
    """The EKS controls run on what the plan records for the child: the same policy passes on the
    recorded aws:eks/cluster:Cluster, reports on it once a seeded change removes its Secrets
    encryption or opens its endpoint, and says nothing about the component whatever it carries
    (the landed pack judged the component's inputs, which a real preview never sends)."""
    import copy

    from groundwork.plan.graph import plain
    from tests.policies.harness import Fx, NotApplicable, run_resource

    child = prod.one(EKS_CLUSTER)
    recorded = Fx(EKS_CLUSTER, child.name, plain(child.inputs), protect=True)
    assert run_resource("aws-eks-cluster-require-secrets-encryption", recorded) == []
    assert run_resource("aws-eks-cluster-no-public-endpoint", recorded) == []
    seeded = copy.deepcopy(recorded)
    del seeded.props["encryptionConfig"]
    seeded.props["vpcConfig"]["endpointPublicAccess"] = True
    assert run_resource("aws-eks-cluster-require-secrets-encryption", seeded) == [
        "[EKS-03] no KMS key encrypts Kubernetes Secrets"
    ]
    assert run_resource("aws-eks-cluster-no-public-endpoint", seeded) == ["[EKS-04] the public API endpoint is on"]
    component = Fx(COMPONENT, "cluster-eks", {}, provider=None, protect=True)
    for policy in ("aws-eks-cluster-require-secrets-encryption", "aws-eks-cluster-no-public-endpoint"):
        with pytest.raises(NotApplicable):
            run_resource(policy, component)


def _tiny(tmp_path, body: str):
    from groundwork.plan.stackconfig import StackConfig

    (tmp_path / "__main__.py").write_text(body)
    return StackConfig("tiny", "dev", {"aws:region": "eu-west-1"}, project_dir=tmp_path)


def test_an_error_raised_after_the_program_returns_still_fails_the_plan(tmp_path) -> None:
    """The runner's settling wait (issue 16) leaves failures to the SDK's own wait, which re-raises
    them: an exception in an apply that runs after the program's last line fails the plan."""
    import gc

    import pytest

    from groundwork.plan import PlanFailed, run_program

    cfg = _tiny(
        tmp_path,
        "import pulumi, pulumi_random as random\n"
        "r = random.RandomId('x', byte_length=4)\n"
        "def boom(v):\n"
        "    raise ValueError('late failure')\n"
        "pulumi.export('late', r.hex.apply(boom))\n",
    )
    assert gc.isenabled()
    with pytest.raises(PlanFailed, match="late failure"):
        run_program(cfg)
    assert gc.isenabled(), "the collector is switched back on after a failed run"


def test_outputs_created_while_settling_are_awaited(tmp_path) -> None:
    """Resources registered from inside applies (rounds after the program returns) are recorded."""
    import gc

    from groundwork.plan import run_program

    cfg = _tiny(
        tmp_path,
        "import pulumi, pulumi_random as random\n"
        "def chain(n):\n"
        "    r = random.RandomId(f'r{n}', byte_length=4)\n"
        "    return r.hex.apply(lambda _: chain(n + 1) if n < 5 else 'done')\n"
        "pulumi.export('end', chain(0))\n",
    )
    graph = run_program(cfg)
    assert sorted(r.name for r in graph.of_type("random:index/randomId:RandomId")) == [f"r{i}" for i in range(6)]
    assert gc.isenabled()
