"""Do the platform's pods fit its nodes? The pack's capacity model against the real stacks.

The model (policies/groundwork_policies/capacity.py) counts what each chart renders at its pinned
version and what the VPC CNI lets a node hold; these tests hold it to the charts the program
installs and to the decisions it settles: staging needs three nodes, dev's nodes cannot shrink
to t4g.medium, prod fits with its three m7g.large.
"""

from __future__ import annotations

from typing import Any

import pytest

from groundwork import catalog, charts
from groundwork.plan.graph import Graph
from groundwork.policy import inprocess
from tests.conftest import ROOT, STACKS, plan, section, stack_config

POLICY = "aws-eks-node-groups-fit-platform-pods"


def _capacity() -> Any:
    import groundwork_policies.capacity as capacity  # on sys.path through tests/conftest.py

    return capacity


def _findings(stack: str, **overrides: Any) -> list[str]:
    cfg = stack_config(stack, **overrides)
    s = inprocess.servicer(ROOT / "policies", cfg.project, cfg.stack, dict(cfg.config))
    g: Graph = plan(stack, **overrides)
    return [f.message.split("\n", 1)[1] for f in inprocess.findings(s, g) if f.policy == POLICY]


def _nodes(stack: str, **group: Any) -> dict[str, Any]:
    cluster = section(stack, "cluster")
    cluster["nodeGroups"][0].update(group)
    return {"cluster": cluster}


def test_every_offered_instance_type_has_its_pod_limit() -> None:
    cap = _capacity()
    assert set(cap.MAX_PODS) == set(catalog.INSTANCE_TYPES)
    # the lines of aws/amazon-vpc-cni-k8s v1.21.1 misc/eni-max-pods.txt for those types
    upstream = {
        f"{f}.{size}": n for f in ("t3", "t3a", "t4g") for size, n in (("medium", 17), ("large", 35), ("xlarge", 58))
    }
    for f in ("c7g", "c7i", "m6g", "m6i", "m7g", "m7i", "r7g", "r7i"):
        upstream.update({f"{f}.large": 29, f"{f}.xlarge": 58, f"{f}.2xlarge": 58})
    assert upstream == cap.MAX_PODS


def test_the_model_was_read_from_the_pinned_chart_versions() -> None:
    """Upgrading a chart in groundwork/charts.py fails here until its model is re-read."""
    cap = _capacity()
    assert {name: charts.CHARTS[name].version for name in cap.MODELLED_CHARTS} == cap.MODELLED_CHARTS
    assert set(cap.CHART_MODELS) == set(cap.MODELLED_CHARTS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_chart_the_stack_installs_is_counted(stack: str) -> None:
    installed = {r.props["chart"] for r in plan(stack).of_type("kubernetes:helm.sh/v3:Release")}
    assert installed <= set(_capacity().CHART_MODELS)


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_fit(stack: str) -> None:
    assert _findings(stack) == []


def test_staging_on_two_large_nodes_would_leave_pods_pending() -> None:
    """What the stack file had before the model existed: 10 pods would never be scheduled."""
    found = _findings("staging", **_nodes("staging", instanceTypes=["m7g.large"], minSize=2, desiredSize=2, maxSize=4))
    assert found == [
        "[EKS-06] node groups cluster-general hold 46 pods (2 nodes x (29 pods a m7g.large takes - 6 DaemonSet "
        "pods)), but the platform runs at least 56 (largest: kyverno-admission-controller 3, alertmanager 2, "
        "aws-load-balancer-controller 2, coredns 2): 10 would stay Pending"
    ]


def test_dev_cannot_save_with_medium_nodes() -> None:
    """docs/cost.md: the 2 x t4g.medium saving is not taken, because the pods do not fit."""
    found = _findings("dev", **_nodes("dev", instanceTypes=["t4g.medium"]))
    assert len(found) == 1
    assert found[0].startswith(
        "[EKS-06] node groups cluster-general hold 22 pods (2 nodes x (17 pods a t4g.medium takes - 6 DaemonSet pods)), "
        "but the platform runs at least 37"
    )


def test_prod_on_two_nodes_breaks_the_required_anti_affinities() -> None:
    found = _findings("prod", **_nodes("prod", minSize=2, desiredSize=2, maxSize=6))
    assert [m.split(" runs ")[0] for m in found[1:]] == [
        "[EKS-06] argocd-redis-ha-haproxy",
        "[EKS-06] argocd-redis-ha-server",
        "[EKS-06] loki-single-binary",
    ]
    assert "but the platform runs at least 65" in found[0]


def test_a_tainted_group_adds_no_room_for_the_platform() -> None:
    cluster = section("prod", "cluster")
    tainted = dict(cluster["nodeGroups"][0], name="batch", taints=[{"key": "batch", "effect": "NO_SCHEDULE"}])
    cluster["nodeGroups"][0].update(minSize=2, desiredSize=2, maxSize=6)
    cluster["nodeGroups"].append(tainted)
    found = _findings("prod", cluster=cluster)
    assert found and "node groups cluster-general hold 46 pods" in found[0]
