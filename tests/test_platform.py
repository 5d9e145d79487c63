"""The Kubernetes platform layer as the offline plan records it (K8S-*, SEC-04/05, GIT-01..03/06,
NET-10, EKS-08): namespaces and guardrails, admission policies, workload identity, External
Secrets, ingress, registry and Argo CD. Custom resources are validated against the upstream
CRDs in ../shared/schemas/crds, core objects against the Kubernetes schema of the stack's
version."""

from __future__ import annotations

import itertools
import json
from ipaddress import ip_network
from pathlib import Path

import pytest

from groundwork import charts, iam
from groundwork import manifests as m
from groundwork.controls import platform as pack_platform
from groundwork.plan.graph import Graph, Resource, plain
from tests.conftest import section
from tests.helpers import by_name, deps, provider_inputs
from tests.k8s import External, Pod, manifests, reachable, validate_core, validate_crd

RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
TEAMS = ["catalog", "edge", "identity", "orders"]
SERVICES = {
    "api-gateway": ("edge", 3000),
    "user-service": ("identity", 3001),
    "customer-service": ("identity", 3002),
    "menu-service": ("catalog", 3003),
    "order-service": ("orders", 3004),
    "payment-service": ("orders", 3005),
}
CALLS = {
    ("api-gateway", t) for t in ("user-service", "customer-service", "menu-service", "order-service", "payment-service")
} | {("order-service", "menu-service"), ("order-service", "payment-service")}


def releases(g: Graph) -> dict[str, Resource]:
    return {r.props["chart"]: r for r in g.of_type(RELEASE)}


def values(g: Graph, chart: str) -> dict:
    return plain(releases(g)[chart].props["values"])


def named(g: Graph, kind: str) -> dict[str, dict]:
    return {x["metadata"]["name"]: x for x in manifests(g, kind)}


# --------------------------------------------------------------------------------------------- charts


def test_every_chart_is_pinned_in_one_place(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    found = releases(g)
    assert set(found) == set(charts.CHARTS)
    for name, r in found.items():
        c = charts.chart(name)
        assert (r.props["version"], r.props["repositoryOpts"]["repo"]) == (c.version, c.repo)
        assert r.props["createNamespace"] is False and r.props["atomic"] is True
        assert c.supports(section(any_stack, "cluster")["version"])


# --------------------------------------------------------------------------------------------- namespaces


def test_one_restricted_namespace_per_team(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    ns = named(g, "Namespace")
    assert sorted(n for n, x in ns.items() if x["metadata"]["labels"].get(m.TENANT_LABEL) == "true") == TEAMS
    assert "default" not in ns
    for team in TEAMS:
        labels = ns[team]["metadata"]["labels"]
        assert all(
            labels[f"pod-security.kubernetes.io/{mode}"] == "restricted" for mode in ("enforce", "audit", "warn")
        )
    # platform namespaces enforce what their charts' pods need (tests/test_admission.py derives it)
    for platform_ns, level in (
        ("kyverno", "baseline"),
        ("external-secrets", "baseline"),
        ("argocd", "baseline"),
        ("groundwork-system", "baseline"),
        ("monitoring", "privileged"),  # node-exporter: hostNetwork, hostPID, hostPath, hostPort 9100
    ):
        assert platform_ns in pack_platform.PLATFORM_NAMESPACES
        assert ns[platform_ns]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == level
        assert ns[platform_ns]["metadata"]["labels"]["pod-security.kubernetes.io/warn"] == "restricted"
    everything = [x for r in g.resources if r.type.startswith("kubernetes:") for x in [plain(r.props)]]
    assert all(x.get("metadata", {}).get("namespace") != "default" for x in everything)


def test_quota_and_limits_follow_the_settings(prod: Graph, dev: Graph) -> None:
    for g, cpu, pods in ((prod, "8", "100"), (dev, "4", "50")):
        quotas = {q["metadata"]["namespace"]: q for q in manifests(g, "ResourceQuota")}
        assert sorted(quotas) == TEAMS
        hard = quotas["orders"]["spec"]["hard"]
        assert (hard["requests.cpu"], hard["pods"], hard["services.loadbalancers"]) == (cpu, pods, "0")
        limits = {x["metadata"]["namespace"]: x for x in manifests(g, "LimitRange")}
        assert sorted(limits) == TEAMS
        assert limits["edge"]["spec"]["limits"][0]["default"] == {"memory": "256Mi"}


def test_core_objects_are_valid_kubernetes(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    version = section(any_stack, "cluster")["version"]
    kinds = (
        "Namespace",
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "Ingress",
        "IngressClass",
        "ClusterRole",
        "StorageClass",
    )
    checked = 0
    for kind in kinds:
        for obj in manifests(g, kind):
            validate_core(obj, version)
            checked += 1
    assert checked >= 40


# --------------------------------------------------------------------------------------------- network policies


class World:
    """Pods of every service, the ALB's nodes, the data subnets and the internet, with real addresses."""

    def __init__(self, g: Graph) -> None:
        self.policies = manifests(g, "NetworkPolicy")
        subnets = {r.props["tags"]["Name"]: r.props["cidrBlock"] for r in g.of_type("aws:ec2/subnet:Subnet")}
        self.private = next(ip_network(c) for n, c in subnets.items() if "private" in n)
        public = next(ip_network(c) for n, c in subnets.items() if "public" in n)
        database = next(ip_network(c) for n, c in subnets.items() if "database" in n)
        ns_labels = {
            x["metadata"]["name"]: {**x["metadata"]["labels"], "kubernetes.io/metadata.name": x["metadata"]["name"]}
            for x in manifests(g, "Namespace")
        }
        hosts = self.private.hosts()
        self.pods = {
            name: Pod(team, {m.APP_LABEL: name}, ns_labels[team], ip=str(next(hosts)))
            for name, (team, _) in SERVICES.items()
        }
        self.prometheus = Pod(
            "monitoring", {"app.kubernetes.io/name": "prometheus"}, ns_labels["monitoring"], ip=str(next(hosts))
        )
        self.dns = Pod(
            "kube-system", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"}, ip=str(next(hosts))
        )
        self.alb = External(str(next(public.hosts())))
        self.database = External(str(next(database.hosts())))
        self.internet = External("198.51.100.7")

    def can(self, src, dst, port: int, protocol: str = "TCP") -> bool:
        return reachable(self.policies, src, dst, port, protocol)


def test_services_reach_exactly_what_they_declare(prod: Graph) -> None:
    w = World(prod)
    for (a, (_, _)), (b, (_, port)) in itertools.product(SERVICES.items(), SERVICES.items()):
        if a != b:
            assert w.can(w.pods[a], w.pods[b], port) == ((a, b) in CALLS), (a, b)
    # a declared call opens only the callee's port
    assert not w.can(w.pods["order-service"], w.pods["payment-service"], 22)


def test_namespaces_deny_by_default_but_resolve_names(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    w = World(g)
    by_ns = {}
    for p in w.policies:
        by_ns.setdefault(p["metadata"]["namespace"], []).append(p["metadata"]["name"])
    assert sorted(by_ns) == TEAMS and all({"default-deny", "allow-dns"} <= set(v) for v in by_ns.values())
    for name, pod in w.pods.items():
        assert w.can(pod, w.dns, 53, "UDP") and w.can(pod, w.dns, 53, "TCP")
        assert not w.can(pod, w.prometheus, 9090), name


def test_only_the_exposed_service_takes_load_balancer_traffic(prod: Graph) -> None:
    w = World(prod)
    assert w.can(w.alb, w.pods["api-gateway"], 3000)
    assert not any(w.can(w.alb, w.pods[s], port) for s, (_, port) in SERVICES.items() if s != "api-gateway")
    assert not w.can(w.internet, w.pods["api-gateway"], 3000)  # clients arrive through the ALB only


def test_data_stores_only_for_services_that_use_them(prod: Graph) -> None:
    w = World(prod)
    db_users = {s for s in SERVICES if s != "api-gateway"}
    cache_users = {"api-gateway", "menu-service", "order-service"}
    for s, pod in w.pods.items():
        assert w.can(pod, w.database, 5432) == (s in db_users), s
        assert w.can(pod, w.database, 6379) == (s in cache_users), s


def test_https_egress_only_where_declared(prod: Graph) -> None:
    w = World(prod)
    assert [s for s, pod in w.pods.items() if w.can(pod, w.internet, 443)] == ["payment-service"]


def test_prometheus_scrapes_every_service(prod: Graph) -> None:
    w = World(prod)
    for s, (_, port) in SERVICES.items():
        assert w.can(w.prometheus, w.pods[s], port), s


# --------------------------------------------------------------------------------------------- admission


def test_admission_policies_per_tier(any_stack: str, graph_of, shared: Path) -> None:
    g: Graph = graph_of(any_stack)
    policies = named(g, "ClusterPolicy")
    expected = {
        n for n, (_, _, tier) in pack_platform.ADMISSION_POLICIES.items() if tier == "all" or any_stack != "dev"
    }
    assert set(policies) == expected
    mode = "Audit" if any_stack == "dev" else "Enforce"
    for name, p in policies.items():
        validate_crd(p, shared / "schemas/crds/kyverno/kyverno.io_clusterpolicies.yaml")
        for rule in p["spec"]["rules"]:
            if "validate" in rule:
                assert rule["validate"]["failureAction"] == mode, name
            # every rule applies to team namespaces only and excludes nothing but the platform's
            assert rule["match"]["any"][0]["resources"]["namespaceSelector"] == {
                "matchLabels": {m.TENANT_LABEL: "true"}
            }
            excluded = [x["resources"] for x in rule.get("exclude", {}).get("any", [])]
            assert {"namespaces": list(pack_platform.PLATFORM_NAMESPACES)} in excluded
            assert all(set(x) in ({"namespaces"}, {"selector"}) for x in excluded)
        assert p["metadata"]["annotations"]["groundwork.io/controls"]


def test_images_only_from_the_stacks_registry(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    account = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}[any_stack]
    rule = named(g, "ClusterPolicy")["restrict-image-registries"]["spec"]["rules"][0]
    pattern = rule["validate"]["pattern"]["spec"]
    assert pattern["containers"][0]["image"] == f"{account}.dkr.ecr.eu-west-1.amazonaws.com/*"
    assert pattern["=(initContainers)"][0]["image"] == pattern["containers"][0]["image"]


def test_generated_hpa_and_pdb_meet_k8s_09(prod: Graph) -> None:
    policies = named(prod, "ClusterPolicy")
    hpa = policies["generate-hpa"]["spec"]["rules"][0]["generate"]
    assert hpa["kind"] == "HorizontalPodAutoscaler" and hpa["synchronize"] is True
    spec = hpa["data"]["spec"]
    assert spec["minReplicas"] == 2
    assert {x["resource"]["name"]: x["resource"]["target"]["averageUtilization"] for x in spec["metrics"]} == {
        "cpu": 70,
        "memory": 80,
    }
    pdb = policies["generate-pdb"]["spec"]["rules"][0]["generate"]
    assert pdb["kind"] == "PodDisruptionBudget" and pdb["data"]["spec"]["maxUnavailable"] == 1
    rbac = named(prod, "ClusterRole")["groundwork:kyverno:generate-availability"]
    assert rbac["metadata"]["labels"]["rbac.kyverno.io/aggregate-to-background-controller"] == "true"
    assert {r["resources"][0] for r in rbac["rules"]} == {"horizontalpodautoscalers", "poddisruptionbudgets"}


def test_policies_wait_for_kyverno(prod: Graph) -> None:
    kyverno = releases(prod)["kyverno"]
    for r in prod.of_type("kubernetes:kyverno.io/v1:ClusterPolicy"):
        assert kyverno.urn in r.dependencies


def test_kyverno_is_replicated_where_it_enforces(prod: Graph, dev: Graph) -> None:
    assert values(prod, "kyverno")["admissionController"]["replicas"] == 3
    assert values(dev, "kyverno")["admissionController"]["replicas"] == 1
    assert values(prod, "kyverno")["features"]["policyExceptions"] == {"enabled": True, "namespace": "kyverno"}


# --------------------------------------------------------------------------------------------- identity


def pod_roles(g: Graph) -> list[Resource]:
    return [r for r in g.of_type(ROLE) if "pods.eks.amazonaws.com" in r.props["assumeRolePolicy"]]


def test_every_pod_role_is_bound_to_one_service_account_and_least_privilege(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    roles = pod_roles(g)
    bound = {deps(a, "roleArn")[0]: (a.props["namespace"], a.props["serviceAccount"]) for a in g.of_type(ASSOCIATION)}
    subjects = {bound[r.urn] for r in roles if r.urn in bound}
    assert subjects == {
        ("external-secrets", "external-secrets"),
        ("kube-system", "aws-load-balancer-controller"),
        ("kube-system", "external-dns"),
        ("monitoring", "loki"),
        ("monitoring", "tempo"),
    }
    account = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}[any_stack]
    cluster_arn = f"arn:aws:eks:eu-west-1:{account}:cluster/{g.outputs['clusterName']}"
    for r in roles:
        trust = json.loads(r.props["assumeRolePolicy"])["Statement"][0]
        if r.urn in bound:  # the platform's own roles carry the confused-deputy conditions
            assert trust["Condition"]["ArnEquals"]["aws:SourceArn"] == cluster_arn
        for p in g.resources:
            if p.type == ROLE_POLICY and r.urn in deps(p, "role"):
                assert iam.data_actions_on_star(json.loads(p.props["policy"])) == [], p.name


def test_a_data_action_on_star_is_refused_before_any_resource() -> None:
    from components.identity import _refuse_data_actions_on_star

    with pytest.raises(ValueError, match=r"s3:GetObject.*EKS-08"):
        _refuse_data_actions_on_star("x", [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}])
    _refuse_data_actions_on_star("x", [{"Effect": "Allow", "Action": ["ec2:DescribeSubnets"], "Resource": "*"}])


# --------------------------------------------------------------------------------------------- external secrets


def test_each_team_reads_only_its_own_secrets(prod: Graph) -> None:
    stores = named(prod, "ClusterSecretStore")
    assert set(stores) == {f"team-{t}" for t in TEAMS} | {"gitops", "monitoring", "database-admin"}
    for t in TEAMS:
        assert stores[f"team-{t}"]["spec"]["conditions"] == [{"namespaces": [t]}]
    assert stores["gitops"]["spec"]["conditions"] == [{"namespaces": ["argocd"]}]
    assert stores["monitoring"]["spec"]["conditions"] == [{"namespaces": ["monitoring"]}]

    secrets = {r.urn: r.props["name"] for r in prod.of_type("aws:secretsmanager/secret:Secret")}
    roles = by_name(prod, ROLE)
    policies = by_name(prod, ROLE_POLICY)
    readable = {
        store: sorted(secrets[u] for u in deps(policies[f"external-secrets-store-{store}"], "policy") if u in secrets)
        for store in [*TEAMS, "gitops", "monitoring"]
    }
    assert readable["orders"] == [
        "groundwork/prod/platform/cache",
        "groundwork/prod/services/order-service/database",
        "groundwork/prod/services/payment-service/app",
        "groundwork/prod/services/payment-service/database",
    ]
    assert readable["identity"] == [
        "groundwork/prod/services/customer-service/database",
        "groundwork/prod/services/user-service/database",
    ]
    assert readable["gitops"] == [
        "groundwork/prod/platform/argocd-oidc",
        "groundwork/prod/platform/argocd-repository",
    ]
    assert readable["monitoring"] == [
        "groundwork/prod/platform/alerting",
        "groundwork/prod/platform/cache",
        "groundwork/prod/platform/grafana-admin",
        "groundwork/prod/platform/postgres-monitor",
    ]
    for t in TEAMS:
        assert (
            stores[f"team-{t}"]["spec"]["provider"]["aws"]["role"]
            == roles[f"external-secrets-store-{t}"].outputs["arn"]
        )
    # the controller's own role can only assume the store roles
    controller = json.loads(policies["external-secrets-controller-assume"].props["policy"])["Statement"]
    assert controller == [
        {
            "Sid": "AssumeStoreRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": sorted(
                roles[f"external-secrets-store-{s}"].outputs["arn"]
                for s in [*TEAMS, "gitops", "monitoring", "database-admin"]
            ),
        }
    ]


def test_every_service_gets_its_secrets_through_external_secrets(any_stack: str, graph_of, shared: Path) -> None:
    g: Graph = graph_of(any_stack)
    found = {(x["metadata"]["namespace"], x["metadata"]["name"]): x for x in manifests(g, "ExternalSecret")}
    expected = {
        ("edge", "api-gateway-cache"), ("edge", "api-gateway-app"),
        ("identity", "user-service-database"), ("identity", "customer-service-database"),
        ("catalog", "menu-service-database"), ("catalog", "menu-service-cache"),
        ("orders", "order-service-database"), ("orders", "order-service-cache"),
        ("orders", "payment-service-database"), ("orders", "payment-service-app"),
    }  # fmt: skip
    assert expected <= set(found)
    for (ns, _), x in found.items():
        validate_crd(x, shared / "schemas/crds/external-secrets/external-secrets.io_externalsecrets.yaml")
        store = x["spec"]["secretStoreRef"]["name"]
        assert store == (
            f"team-{ns}"
            if ns in TEAMS
            else {"argocd": "gitops", "monitoring": "monitoring", "groundwork-system": "database-admin"}[ns]
        )
        assert x["spec"]["refreshInterval"] == "1h"
    for store in manifests(g, "ClusterSecretStore"):
        validate_crd(store, shared / "schemas/crds/external-secrets/external-secrets.io_clustersecretstores.yaml")
    assert g.of_type("kubernetes:core/v1:Secret") == []  # never a literal Secret (SEC-04)


def test_external_secrets_wait_for_the_operator_and_the_namespace(prod: Graph) -> None:
    operator = releases(prod)["external-secrets"].urn
    stores = {
        r.props["metadata"]["name"]: r for r in prod.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    }
    namespaces = {r.props["metadata"]["name"]: r.urn for r in prod.of_type("kubernetes:core/v1:Namespace")}
    assert all(operator in s.dependencies for s in stores.values())
    for r in prod.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
        ns = r.props["metadata"]["namespace"]
        if ns in TEAMS:
            assert {stores[f"team-{ns}"].urn, namespaces[ns]} <= set(r.dependencies)


# --------------------------------------------------------------------------------------------- ingress


def test_shared_alb_terminates_tls_and_redirects(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    params = manifests(g, "IngressClassParams")[0]["spec"]
    # the certificate the stack requested, once ACM has validated it (components/edge.py)
    validation = g.one("aws:acm/certificateValidation:CertificateValidation", "edge-api")
    assert params["certificateArn"] == [validation.outputs["certificateArn"]]
    assert params["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06" and params["sslRedirectPort"] == "443"
    assert params["scheme"] == "internet-facing" and params["group"] == {"name": f"groundwork-{any_stack}-edge"}
    attrs = {a["key"]: a["value"] for a in params["loadBalancerAttributes"]}
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["deletion_protection.enabled"] == ("false" if any_stack == "dev" else "true")
    assert params["namespaceSelector"]["matchExpressions"][0]["values"] == TEAMS
    cls = manifests(g, "IngressClass")[0]
    assert (
        cls["spec"]["controller"] == "ingress.k8s.aws/alb"
        and cls["spec"]["parameters"]["name"] == cls["metadata"]["name"]
    )


def test_waf_only_in_prod_and_attached_through_the_class(prod: Graph, staging: Graph) -> None:
    acl = prod.one("aws:wafv2/webAcl:WebAcl", "ingress-waf")  # the CDN's, scope CLOUDFRONT, is edge-frontend-waf
    assert acl.props["scope"] == "REGIONAL"
    params = prod.one("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")
    assert params.props["spec"]["wafv2AclArn"] == acl.outputs["arn"] and acl.urn in deps(params, "spec")
    names = [r["name"] for r in acl.props["rules"]]
    assert names[:4] == [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    ]
    rate = acl.props["rules"][-1]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 2000 and "block" in rate["action"]
    logging = prod.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "ingress-waf-logs")
    assert [f["singleHeader"]["name"] for f in logging.props["redactedFields"]] == ["authorization", "cookie"]
    logs = prod.one("aws:cloudwatch/logGroup:LogGroup", "ingress-waf-logs")
    assert logs.props["name"] == "aws-waf-logs-groundwork-prod"  # unchanged by the shared builder (components/waf.py)
    assert staging.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert "wafv2AclArn" not in staging.one("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams").props["spec"]


def test_exposed_service_ingress_and_deletion_order(prod: Graph) -> None:
    ingresses = manifests(prod, "Ingress")
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in ingresses] == [("edge", "api-gateway")]
    i = ingresses[0]
    rule = i["spec"]["rules"][0]
    assert rule["host"] == "api.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "api-gateway", "port": {"number": 3000}}
    assert json.loads(i["metadata"]["annotations"]["alb.ingress.kubernetes.io/listen-ports"]) == [
        {"HTTP": 80},
        {"HTTPS": 443},
    ]
    # destroy deletes the Ingress (and so the ALB) while the controller still runs
    controller = releases(prod)["aws-load-balancer-controller"]
    assert controller.urn in prod.one("kubernetes:networking.k8s.io/v1:Ingress").dependencies
    v = values(prod, "aws-load-balancer-controller")
    assert v["defaultTags"]["Environment"] == "prod" and v["createIngressClassResource"] is False
    assert v["clusterName"] == prod.outputs["clusterName"]


def test_load_balancer_controller_mutates_only_what_it_tagged() -> None:
    from components.ingress import controller_statements

    statements = {st["Sid"]: st for st in controller_statements()}
    # what AWS cannot condition on a cluster tag (reads, listeners/rules/targets of the ALBs it
    # owns and their tags, WAF association, new security groups, the rule that opens nodes to the
    # ALB, and the annotation features upstream's v3.5.0 reference policy grants unconditioned)
    unconditioned = {s for s, st in statements.items() if "Condition" not in st}
    assert unconditioned == {
        "Describe", "AttachWaf", "AnnotationFeatures", "CreateSecurityGroups", "OpenNodeSecurityGroupsToTheAlb",
        "ListenersAndRules", "TagListenersAndRules", "Targets", "ListenerUpdates",
    }  # fmt: skip
    for sid in ("ManageOwnSecurityGroups", "DeleteOwnSecurityGroups", "ManageOwnLoadBalancers", "TagOwnLoadBalancers"):
        assert statements[sid]["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert statements["CreateTaggedLoadBalancers"]["Condition"] == {
        "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}
    }
    assert all(
        a.startswith(("ec2:Describe", "ec2:Get", "elasticloadbalancing:Describe", "acm:", "wafv2:Get", "shield:"))
        for a in statements["Describe"]["Action"]
    )
    assert iam.data_actions_on_star({"Statement": list(statements.values())}) == []


# --------------------------------------------------------------------------------------------- registry


def test_one_immutable_scanned_encrypted_repository_per_service(prod: Graph, dev: Graph) -> None:
    repos = by_name(prod, "aws:ecr/repository:Repository")
    assert sorted(r.props["name"] for r in repos.values()) == sorted(f"groundwork-prod/{s}" for s in SERVICES)
    data_key = by_name(prod, "aws:kms/key:Key")["keys-data"].urn
    for r in repos.values():
        assert r.props["imageTagMutability"] == "IMMUTABLE" and r.props["imageScanningConfiguration"]["scanOnPush"]
        assert deps(r, "encryptionConfigurations") == [data_key] and r.props["forceDelete"] is False
    assert all(r.props["forceDelete"] for r in dev.of_type("aws:ecr/repository:Repository"))
    lifecycle = json.loads(prod.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].props["policy"])["rules"]
    assert [(r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in lifecycle] == [
        ("untagged", 7),
        ("tagged", 30),
    ]
    node_role = by_name(prod, ROLE)["cluster-nodes"].outputs["arn"]
    for p in prod.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy"):
        st = json.loads(p.props["policy"])["Statement"]
        assert [(s["Principal"]["AWS"], sorted(s["Action"])) for s in st] == [
            (node_role, ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
        ]


# --------------------------------------------------------------------------------------------- argo cd


def test_argocd_admin_disabled_and_ha_in_prod(prod: Graph, staging: Graph) -> None:
    p, s = values(prod, "argo-cd"), values(staging, "argo-cd")
    for v in (p, s):
        assert (
            v["configs"]["cm"]["admin.enabled"] is False and v["configs"]["rbac"]["policy.default"] == "role:readonly"
        )
    assert p["redis-ha"]["enabled"] is True and all(
        p[c]["replicas"] == 2 for c in ("server", "repoServer", "applicationSet")
    )
    assert s["redis-ha"]["enabled"] is False and s["server"]["replicas"] == 1
    assert "clientSecret: $argocd-oidc:clientSecret" in p["configs"]["cm"]["oidc.config"]
    assert p["configs"]["rbac"]["policy.csv"] == "g, platform-admins, role:admin\n"
    assert "oidc.config" not in s["configs"]["cm"]


def test_project_restricts_repositories_namespaces_and_kinds(any_stack: str, graph_of, shared: Path) -> None:
    g: Graph = graph_of(any_stack)
    [project] = manifests(g, "AppProject")
    validate_crd(project, shared / "schemas/crds/argo-cd/appproject-crd.yaml")
    spec = project["spec"]
    assert project["metadata"]["name"] == any_stack
    assert spec["sourceRepos"] == ["https://github.com/example-org/groundwork-services.git"]
    assert [d["namespace"] for d in spec["destinations"]] == TEAMS
    assert spec["clusterResourceWhitelist"] == []
    assert {"group": "networking.k8s.io", "kind": "NetworkPolicy"} in spec["namespaceResourceBlacklist"]


def test_an_application_per_service_synced_per_environment(any_stack: str, graph_of, shared: Path) -> None:
    g: Graph = graph_of(any_stack)
    apps = named(g, "Application")
    assert set(apps) == set(SERVICES)
    for name, app in apps.items():
        validate_crd(app, shared / "schemas/crds/argo-cd/application-crd.yaml")
        spec = app["spec"]
        assert spec["destination"]["namespace"] == SERVICES[name][0]
        assert spec["source"]["path"] == f"{name}/{any_stack}"
        assert spec["source"]["targetRevision"] == ("release" if any_stack == "prod" else "main")
        assert ("automated" in spec["syncPolicy"]) == (any_stack != "prod")
        if any_stack != "prod":
            assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert "CreateNamespace=false" in spec["syncPolicy"]["syncOptions"]
        assert spec["syncPolicy"]["retry"]["backoff"]["factor"] == 2
        assert ("ignoreDifferences" in spec) == (any_stack != "dev")  # the generated HPA owns replicas


def test_repository_credentials_come_from_secrets_manager(prod: Graph, dev: Graph, shared: Path) -> None:
    creds = {
        x["metadata"]["name"]: x for x in manifests(prod, "ExternalSecret") if x["metadata"]["namespace"] == "argocd"
    }
    assert set(creds) == {"repo-creds-https-github-com-example-org", "argocd-oidc"}
    repo = creds["repo-creds-https-github-com-example-org"]["spec"]
    assert repo["dataFrom"] == [{"extract": {"key": "groundwork/prod/platform/argocd-repository"}}]
    assert repo["target"]["template"]["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repo-creds"}
    assert repo["target"]["template"]["data"]["url"] == "https://github.com/example-org/"
    assert {
        x["metadata"]["name"] for x in manifests(dev, "ExternalSecret") if x["metadata"]["namespace"] == "argocd"
    } == {"repo-creds-https-github-com-example-org"}
    # operator-provided secrets are created empty: no value passes through the program
    placeholders = [
        r for r in prod.of_type("aws:secretsmanager/secret:Secret") if "/platform/argocd-" in r.props["name"]
    ]
    versions = {deps(v, "secretId")[0] for v in prod.of_type("aws:secretsmanager/secretVersion:SecretVersion")}
    assert len(placeholders) == 2 and not any(p.urn in versions for p in placeholders)


def test_applications_wait_for_guardrails_and_secrets(prod: Graph) -> None:
    argocd = releases(prod)["argo-cd"].urn
    policies = {r.urn for r in prod.of_type("kubernetes:kyverno.io/v1:ClusterPolicy")}
    for app in prod.of_type("kubernetes:argoproj.io/v1alpha1:Application"):
        assert argocd in app.dependencies and policies <= set(app.dependencies)


# --------------------------------------------------------------------------------------------- the evaluator itself


def test_network_policy_evaluator_follows_kubernetes_semantics() -> None:
    a = Pod("a", {"app": "x"}, {"kubernetes.io/metadata.name": "a"})
    b = Pod("b", {"app": "y"}, {"kubernetes.io/metadata.name": "b"})
    deny = {"metadata": {"namespace": "b"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
    assert reachable([], a, b, 80)  # nothing isolates the pods
    assert not reachable([deny], a, b, 80)
    allow = {
        "metadata": {"namespace": "b"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "y"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "x"}}}], "ports": [{"port": 80}]}],
        },
    }
    assert not reachable([deny, allow], a, b, 80)  # a podSelector alone means b's own namespace
    allow["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": "a"}}
    assert reachable([deny, allow], a, b, 80) and not reachable([deny, allow], a, b, 81)
    egress_deny = {"metadata": {"namespace": "a"}, "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    assert not reachable([deny, allow, egress_deny], a, b, 80)  # both ends must allow


def test_public_images_come_through_the_stacks_pull_through_cache(prod: Graph) -> None:
    rules = {
        r.props["upstreamRegistryUrl"]: r.props["ecrRepositoryPrefix"]
        for r in prod.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    }
    assert rules == {"public.ecr.aws": "groundwork-prod-ecr-public", "quay.io": "groundwork-prod-quay"}
    templates = {
        r.props["prefix"]: r.props
        for r in prod.of_type("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
        if r.props["appliedFors"] == ["PULL_THROUGH_CACHE"]
    }
    assert set(templates) == set(rules.values())
    node_policy = json.loads(by_name(prod, ROLE_POLICY)["registry-nodes-pull-through"].props["policy"])["Statement"]
    assert node_policy == [
        {
            "Sid": "FillThePullThroughCache",
            "Effect": "Allow",
            "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
            "Resource": [
                "arn:aws:ecr:eu-west-1:333333333333:repository/groundwork-prod-ecr-public/*",
                "arn:aws:ecr:eu-west-1:333333333333:repository/groundwork-prod-quay/*",
            ],
        }
    ]


def test_service_images_replicate_to_the_dr_region_where_the_stack_says_so(prod: Graph, dev: Graph) -> None:
    """A DR rebuild pulls the services' images in the DR region (DR-06): prod replicates its
    repositories there, created on arrival with immutable tags; dev (replicateToDr: false) does not."""
    [replication] = prod.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    [rule] = replication.props["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [{"region": "eu-central-1", "registryId": "333333333333"}]
    assert rule["repositoryFilters"] == [{"filter": "groundwork-prod/", "filterType": "PREFIX_MATCH"}]
    [template] = [
        r
        for r in prod.of_type("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
        if r.props["appliedFors"] == ["REPLICATION"]
    ]
    assert template.props["prefix"] == "groundwork-prod" and template.props["imageTagMutability"] == "IMMUTABLE"
    assert provider_inputs(prod, template)["region"] == "eu-central-1"  # created where the replicas arrive
    assert all(r.props["name"].startswith("groundwork-prod/") for r in prod.of_type("aws:ecr/repository:Repository"))
    assert dev.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration") == []
