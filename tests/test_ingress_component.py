"""The Ingress component on its own (groundwork.plan.run_function): the load balancer
controller's role and release, the WAF web ACL when asked, the IngressClassParams and
IngressClass of the stack's one ALB, and an Ingress per exposed service, each after what it
needs, without planning a stack (issue 18). The controller's policy against upstream's
reference is tests/test_iam_sufficiency.py's; the manifests' content is groundwork.manifests'."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.ingress import Exposed, Ingress, IngressArgs, controller_statements
from groundwork import manifests as m
from groundwork.charts import chart
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import IngressSettings
from tests.helpers import by_name, outside

CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/api"
LOGS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/logs"
TAGS = {"Environment": "prod", "Project": "groundwork"}
EXPOSED = (
    Exposed("orders", "shop", 8080, "/orders", "/healthz"),
    Exposed("payments", "billing", 9000, "/pay", "/ready"),
)
SETTINGS = {"host": "api.example.com", "allowedCidrs": ["203.0.113.0/24"], "waf": True, "wafRateLimit": 800}


def plan_ingress(settings: dict[str, Any] | None = None, certificate: str | None = CERT, **args: Any) -> Graph:
    def body() -> None:
        Ingress(
            "ingress",
            IngressArgs(
                **{
                    "settings": IngressSettings.model_validate(settings if settings is not None else SETTINGS),
                    "certificate_arn": certificate,
                    "naming": Naming("groundwork", "test"),
                    "region": "eu-west-1",
                    "vpc_id": "vpc-1",
                    "cluster_name": "groundwork-test",
                    "cluster_arn": "arn:aws:eks:eu-west-1:111111111111:cluster/groundwork-test",
                    "account_id": "111111111111",
                    "logs_key_arn": LOGS_KEY,
                    "tags": TAGS,
                    "teams": ["billing", "shop"],
                    "exposed": EXPOSED,
                    "namespace_resources": {"shop": k8s.core.v1.Namespace("ns-shop")},
                    **args,
                }
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_ingress(log_retention_days=365)


def named(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.resources}


def test_the_controller_runs_as_its_pod_identity_role_with_upstreams_permissions(full: Graph) -> None:
    role = by_name(full, "aws:iam/role:Role")["ingress-controller-role"]
    assert role.props["name"] == "groundwork-test-pod-kube-system-aws-load-balancer-controller"
    assert role.props["description"] == "groundwork-test: AWS Load Balancer Controller"
    policy = by_name(full, "aws:iam/rolePolicy:RolePolicy")["ingress-controller-policy"]
    assert json.loads(policy.props["policy"]) == {"Version": "2012-10-17", "Statement": controller_statements()}
    association = full.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.props["namespace"], association.props["serviceAccount"]) == (
        "kube-system",
        "aws-load-balancer-controller",
    )


@pytest.mark.parametrize(("ha", "replicas"), [(True, 2), (False, 1)])
def test_the_controller_release(ha: bool, replicas: int) -> None:
    """The controller tags everything it creates with the stack's tags (GOV-01), targets pods by
    IP, and creates no IngressClass of its own (the program's is the cluster default); its
    mutating webhook for Services is off (the stack's Services are ClusterIP)."""
    g = plan_ingress(high_availability=ha)
    release = named(g)["ingress-controller"]
    assert (release.props["chart"], release.props["version"], release.props["namespace"]) == (
        "aws-load-balancer-controller",
        chart("aws-load-balancer-controller").version,
        "kube-system",
    )
    assert release.props["values"] == {
        "clusterName": "groundwork-test",
        "region": "eu-west-1",
        "vpcId": "vpc-1",
        "replicaCount": replicas,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "serviceAccount": {"create": True, "name": "aws-load-balancer-controller"},
        "createIngressClassResource": False,
        "ingressClass": "groundwork-test-alb",
        "enableServiceMutatorWebhook": False,
        "defaultTags": TAGS,
        "defaultTargetType": "ip",
    }
    role = g.one("groundwork:identity:WorkloadRole").urn
    assert set(release.dependencies) == {r.urn for r in g.children(role)}


def test_a_regional_web_acl_when_asked(full: Graph) -> None:
    """NET-10: the ALB's web ACL is REGIONAL, in the stack's region, limited per IP as set."""
    acl = full.one("aws:wafv2/webAcl:WebAcl")
    assert (acl.props["name"], acl.props["scope"]) == ("groundwork-test-edge", "REGIONAL")
    assert acl.props["description"] == "groundwork-test: edge ALB (managed rule groups, per-IP rate limit)"
    assert acl.props["rules"][-1]["statement"]["rateBasedStatement"]["limit"] == 800
    assert acl.provider_urn == ""
    group = full.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.props == {"name": "aws-waf-logs-groundwork-test", "retentionInDays": 365, "kmsKeyId": LOGS_KEY}
    assert group.options.get("protect") is True
    assert full.one("groundwork:ingress:Ingress").outputs["webAclArn"] == acl.outputs["arn"]
    without = plan_ingress({**SETTINGS, "waf": False})
    assert without.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert without.one("groundwork:ingress:Ingress").outputs.get("webAclArn") is None


def test_one_alb_for_the_stack_through_the_class_params(full: Graph) -> None:
    """Every Ingress of the class joins one IngressGroup (one ALB per stack) with the listener's
    certificate and TLS policy, the allowed CIDRs, the web ACL and deletion protection."""
    r = named(full)
    params = r["ingress-class-params"]
    s = IngressSettings.model_validate(SETTINGS)
    assert params.props == m.ingress_class_params(
        "groundwork-test-alb",
        group="groundwork-test-edge",
        scheme="internet-facing",
        certificate_arn=CERT,
        ssl_policy=s.ssl_policy,
        inbound_cidrs=["203.0.113.0/24"],
        waf_acl_arn=full.one("aws:wafv2/webAcl:WebAcl").outputs["arn"],
        deletion_protection=True,
        tags=TAGS,
        namespaces=["billing", "shop"],
    )
    # the controller's CRD first; the ACL through its ARN
    assert set(params.dependencies) == {r["ingress-controller"].urn, r["ingress-waf"].urn}
    ingress_class = r["ingress-class"]
    assert ingress_class.props == m.ingress_class("groundwork-test-alb")
    assert set(ingress_class.dependencies) == {r["ingress-controller"].urn, params.urn}


def test_an_unprotected_stack_may_delete_its_alb() -> None:
    """dev: `pulumi destroy` must be able to delete the ALB (ALB deletion protection off)."""
    for protect, value in ((False, "false"), (True, "true")):
        params = named(plan_ingress(protect=protect))["ingress-class-params"]
        attributes = {a["key"]: a["value"] for a in params.props["spec"]["loadBalancerAttributes"]}
        assert attributes["deletion_protection.enabled"] == value


def test_an_ingress_per_exposed_service_after_the_controller_class_and_namespace(full: Graph) -> None:
    """Every Ingress depends on the controller release, so `pulumi destroy` deletes Ingresses
    while the controller still runs to delete the ALB and remove their finalizers."""
    r = named(full)
    for e in EXPOSED:
        ingress = r[f"ingress-{e.service}"]
        assert ingress.props == m.service_ingress(
            e.service,
            e.team,
            port=e.port,
            path=e.path,
            health_check_path=e.health_check_path,
            ingress_class_name="groundwork-test-alb",
            host="api.example.com",
            https=True,
        )
        expected = {r["ingress-controller"].urn, r["ingress-class"].urn}
        if e.team == "shop":
            expected.add(r["ns-shop"].urn)
        assert set(ingress.dependencies) == expected, e.service


def test_without_a_certificate_the_alb_listens_on_http_only() -> None:
    g = plan_ingress({**SETTINGS, "waf": False}, certificate=None)
    r = named(g)
    assert r["ingress-orders"].props == m.service_ingress(
        "orders",
        "shop",
        port=8080,
        path="/orders",
        health_check_path="/healthz",
        ingress_class_name="groundwork-test-alb",
        host="api.example.com",
        https=False,
    )
    assert r["ingress-class-params"].props == m.ingress_class_params(
        "groundwork-test-alb",
        group="groundwork-test-edge",
        scheme="internet-facing",
        certificate_arn=None,
        ssl_policy=IngressSettings.model_validate(SETTINGS).ssl_policy,
        inbound_cidrs=["203.0.113.0/24"],
        waf_acl_arn=None,
        deletion_protection=True,
        tags=TAGS,
        namespaces=["billing", "shop"],
    )


def test_outputs(full: Graph) -> None:
    assert full.one("groundwork:ingress:Ingress").outputs["ingressClass"] == "groundwork-test-alb"


def test_every_resource_is_the_components_child(full: Graph) -> None:
    assert outside(full, "groundwork:ingress:Ingress") == ["ns-shop"]  # the test's own namespace


def test_defaults_keep_waf_logs_90_days_and_two_controllers() -> None:
    g = plan_ingress()
    assert g.one("aws:cloudwatch/logGroup:LogGroup").props["retentionInDays"] == 90
    assert named(g)["ingress-controller"].props["values"]["replicaCount"] == 2
