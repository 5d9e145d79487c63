"""Order of the first `pulumi up` (issue 13, defect 8): in-cluster layers wait for what they need.

The engine creates a resource once the resources it depends on exist. A child waits for its
parent's registration, which the SDK sends only after the parent's `depends_on` resources are
created (pulumi/pulumi sdk/python/lib/pulumi/runtime/resource.py, `prepare_resource` awaits the
dependency URNs; a URN of a custom resource resolves when its RegisterResource returns, i.e. after
the create). So a resource waits for its own dependencies and property dependencies and for those
of every ancestor. This test computes that closure from the recorded graph and requires every
Kubernetes object and Helm release to wait for every node group, coredns and the EBS CSI driver.
On the landed code, Helm releases waited only for the control plane.
"""

from __future__ import annotations

from functools import cache

from groundwork.plan.graph import Graph

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"


def waits_for(g: Graph):
    by_urn = g.by_urn
    children: dict[str, list[str]] = {}
    for r in g.resources:
        children.setdefault(r.parent, []).append(r.urn)

    def expand(urn: str) -> set[str]:
        # depending on a component means depending on everything under it
        out = {urn}
        for c in children.get(urn, []):
            out |= expand(c)
        return out

    @cache
    def closure(urn: str) -> frozenset[str]:
        r = by_urn[urn]
        direct = set(r.dependencies) | {u for us in r.property_dependencies.values() for u in us}
        out: set[str] = set()
        for d in direct:
            for e in expand(d):
                out.add(e)
                if e in by_urn and e != urn:
                    out |= closure(e)
        if r.parent and r.parent in by_urn:
            out |= closure(r.parent)
        return frozenset(out)

    return closure


def test_in_cluster_layers_wait_for_nodes_dns_and_volumes(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    closure = waits_for(g)
    groups = {r.urn for r in g.of_type(NODE_GROUP)}
    addons = {r.props["addonName"]: r.urn for r in g.of_type(ADDON)}
    needed = groups | {addons["coredns"], addons["aws-ebs-csi-driver"]}
    in_cluster = [
        r
        for r in g.resources
        if r.type.startswith("kubernetes:") and not (r.type.endswith("StorageClass") and r.name == "cluster-gp3")
    ]
    releases = [r for r in in_cluster if r.type == "kubernetes:helm.sh/v3:Release"]
    assert len(releases) >= 5
    late = {r.name: sorted(needed - closure(r.urn)) for r in in_cluster if needed - closure(r.urn)}
    assert late == {}


def test_closure_sees_component_dependencies(prod: Graph) -> None:
    """Seeded mistake: without the ancestors' dependencies, Helm releases would look unordered."""
    closure = waits_for(prod)
    coredns = next(r.urn for r in prod.of_type(ADDON) if r.props["addonName"] == "coredns")
    release = next(r for r in prod.of_type("kubernetes:helm.sh/v3:Release") if r.props["chart"] == "kyverno")
    assert coredns in closure(release.urn)
    own = set(release.dependencies) | {u for us in release.property_dependencies.values() for u in us}
    assert coredns not in own  # it comes through the component's depends_on


APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def _own(r) -> set[str]:
    return set(r.dependencies) | {u for us in r.property_dependencies.values() for u in us}


def test_each_application_waits_for_its_own_namespace_secrets_and_the_admission_policies(prod: Graph) -> None:
    """Issue 16: the Applications depend on what their service needs, not on every namespace and
    secret of the stack (which made them wait for other teams and cost O(services) each in the
    SDK's cycle check). What a service's pods need before Argo CD syncs them: its team's
    namespace, its synced secrets, and the Kyverno policies that admit them."""
    closure = waits_for(prod)
    secrets = prod.of_type(EXTERNAL_SECRET)
    policies = {r.urn for r in prod.of_type("kubernetes:kyverno.io/v1:ClusterPolicy")}
    namespaces = {r.props["metadata"]["name"]: r.urn for r in prod.of_type("kubernetes:core/v1:Namespace")}
    apps = prod.of_type(APPLICATION)
    assert apps and policies
    for app in apps:
        service = app.props["metadata"]["name"]
        team = app.props["spec"]["destination"]["namespace"]
        mine = {
            s.urn for s in secrets if s.props["metadata"].get("labels", {}).get("app.kubernetes.io/name") == service
        }
        mine = {u for u in mine if prod.by_urn[u].props["metadata"]["namespace"] == team}
        theirs = {
            s.urn
            for s in secrets
            if s.props["metadata"]["namespace"] not in (team, "groundwork-system", "argocd", "monitoring")
        }
        waited = closure(app.urn)
        assert mine and mine <= waited, service
        assert namespaces[team] in waited and policies <= waited, service
        assert not (theirs & _own(app)), f"{service} depends directly on other teams' secrets"


def test_database_bootstrap_secrets_wait_for_their_own_version_and_the_job_for_the_instance(prod: Graph) -> None:
    closure = waits_for(prod)
    versions = {r.name: r.urn for r in prod.of_type("aws:secretsmanager/secretVersion:SecretVersion")}
    instance = next(r.urn for r in prod.of_type("aws:rds/instance:Instance") if r.name == "database-instance")
    bootstrap = [r for r in prod.of_type(EXTERNAL_SECRET) if r.name.startswith("database-bootstrap-")]
    services = [r for r in bootstrap if r.name not in ("database-bootstrap-master", "database-bootstrap-monitor")]
    assert services
    for es in services:
        service = es.name.removeprefix("database-bootstrap-")
        assert versions[f"database-{service}"] in closure(es.urn), service
        others = {u for n, u in versions.items() if n != f"database-{service}"}
        assert not (others & _own(es)), f"{es.name} depends on other services' secrets"
    master = next(r for r in bootstrap if r.name == "database-bootstrap-master")
    assert instance in closure(master.urn)
    job = next(r for r in prod.of_type("kubernetes:batch/v1:Job") if r.name == "database-bootstrap-job")
    assert instance in closure(job.urn) and {es.urn for es in bootstrap} <= closure(job.urn)
