"""Delivery controls GIT-01, GIT-02, GIT-03, GIT-06: ArgoCD, its projects and applications, ECR."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .core import REGISTRY, Graph, PackContext, Res, Resource, as_list, num, unknown
from .kubernetes import RELEASE, app_namespaces, releases

APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
APPLICATION_SET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
ECR = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def _values(r: Res) -> dict[str, Any]:
    v = r.props.get("values", {})
    return v if isinstance(v, dict) else {}


def _dig(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


@REGISTRY.stack(
    "kubernetes-argocd-installed-admin-disabled",
    controls="GIT-01",
    types=RELEASE,
    severity="high",
    description="ArgoCD is installed by the program, with the local admin login disabled (SSO) or its password from Secrets Manager.",
    remediation="The GitOps component installs ArgoCD with configs.cm.admin.enabled false (or the admin password synced by External Secrets).",
)
def argocd(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not ctx.services and not app_namespaces(g):
        return
    found = releases(g, "argocd")
    if not found:
        yield "services are configured but ArgoCD is not installed", ""
    for r in found:
        v = _values(r)
        admin_off = _dig(v, "configs", "cm", "admin.enabled") in (False, "false")
        external_password = _dig(v, "configs", "secret", "createSecret") in (False, "false")
        if not admin_off and not external_password:
            yield "ArgoCD's local admin is enabled with a chart-generated password", r.urn


@REGISTRY.stack(
    "kubernetes-argocd-high-availability",
    controls="GIT-01",
    types=RELEASE,
    severity="medium",
    tier="prod",
    description="ArgoCD runs highly available: redis-ha and two replicas of the server, repo server and ApplicationSet controller.",
    remediation="Set groundwork:gitops.highAvailability to true (the prod default).",
)
def argocd_ha(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for r in releases(g, "argocd"):
        v = _values(r)
        if _dig(v, "redis-ha", "enabled") is not True:
            yield "redis-ha is not enabled", r.urn
        for component in ("server", "repoServer", "applicationSet"):
            n = _dig(v, component, "replicas")
            if not isinstance(n, int | float) or n < 2:
                yield f"{component}.replicas is {num(n) if isinstance(n, int | float) else 1}", r.urn


@REGISTRY.resource(
    "kubernetes-argocd-project-restricted",
    controls="GIT-02",
    types=APP_PROJECT,
    severity="high",
    description="AppProjects restrict source repositories, destinations and cluster-scoped kinds (no wildcards).",
    remediation="List the service repositories, the team namespaces of this cluster, and no cluster-scoped kinds.",
)
def project(r: Resource, ctx: PackContext) -> Iterator[str]:
    spec = r.props.mapping("spec")
    repos = as_list(spec.get("sourceRepos"))
    if not repos or "*" in repos:
        yield "sourceRepos is not a list of named repositories"
    for i, d in enumerate(as_list(spec.get("destinations"))):
        if not isinstance(d, dict):
            continue
        if d.get("namespace") in ("*", None, ""):
            yield f"destinations[{i}] allows every namespace"
        if d.get("server") == "*" or d.get("name") == "*":
            yield f"destinations[{i}] allows every cluster"
    for i, k in enumerate(as_list(spec.get("clusterResourceWhitelist"))):
        if isinstance(k, dict) and (k.get("kind") == "*" or k.get("group") == "*"):
            yield f"clusterResourceWhitelist[{i}] allows every cluster-scoped kind"


def _application_names(g: Graph) -> set[str]:
    names = {str(a.props.get("metadata.name")) for a in g.of(APPLICATION)}
    for s in g.of(APPLICATION_SET):
        for gen in s.props.items("spec.generators"):
            for element in as_list(_dig(gen or {}, "list", "elements")):
                if isinstance(element, dict) and element.get("name"):
                    names.add(str(element["name"]))
    return names


@REGISTRY.stack(
    "kubernetes-argocd-application-per-service",
    controls="GIT-02",
    types=(APPLICATION, APPLICATION_SET, APP_PROJECT),
    severity="medium",
    description="Every configured service is an ArgoCD Application (or an ApplicationSet element) in an AppProject of the stack.",
    remediation="Add the service to groundwork:services; the GitOps component generates its Application.",
)
def applications(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not ctx.services:
        return
    if not g.of(APP_PROJECT):
        yield "no AppProject for this environment", ""
    names = _application_names(g)
    for s in ctx.services:
        if s["name"] not in names:
            yield f"service {s['name']} has no Application", ""


def _sync_specs(r: Resource) -> dict[str, Any]:
    path = "spec.template.spec.syncPolicy" if r.type == APPLICATION_SET else "spec.syncPolicy"
    return r.props.mapping(path)


@REGISTRY.resource(
    "kubernetes-argocd-sync-policy-by-environment",
    controls="GIT-03",
    types=(APPLICATION, APPLICATION_SET),
    severity="medium",
    description="Applications sync automatically with prune and self-heal in dev and staging, manually (approved) in prod, "
    "and never create namespaces (the program owns them).",
    remediation="The GitOps component sets syncPolicy from groundwork:gitops.autoSync; remove CreateNamespace=true.",
)
def sync_policy(r: Resource, ctx: PackContext) -> Iterator[str]:
    policy = _sync_specs(r)
    automated = policy.get("automated")
    if unknown(automated):
        return
    if ctx.environment == "prod" and automated:
        yield "prod syncs automatically; it must wait for an approved manual sync"
    automatic = isinstance(automated, dict) and automated.get("prune") is True and automated.get("selfHeal") is True
    if ctx.environment != "prod" and not automatic:
        yield f"{ctx.environment} does not sync automatically with prune and selfHeal"
    if "CreateNamespace=true" in as_list(policy.get("syncOptions")):
        yield "syncOptions has CreateNamespace=true"


@REGISTRY.resource(
    "aws-ecr-repository-immutable-scanned-encrypted",
    controls="GIT-06",
    types=ECR,
    severity="high",
    description="ECR repositories have immutable tags, scan on push and KMS encryption.",
    remediation="imageTagMutability IMMUTABLE, imageScanningConfiguration.scanOnPush true, encryptionConfigurations KMS.",
)
def ecr(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.get("imageTagMutability") not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield "image tags are mutable"
    if r.props.get("imageScanningConfiguration.scanOnPush") is not True:
        yield "images are not scanned on push"
    enc = r.props.items("encryptionConfigurations")
    if not any(isinstance(e, dict) and e.get("encryptionType") == "KMS" for e in enc):
        yield "the repository is not KMS-encrypted"


@REGISTRY.stack(
    "aws-ecr-repository-require-lifecycle",
    controls="GIT-06",
    types=(ECR, ECR_LIFECYCLE),
    severity="low",
    description="Every ECR repository has a lifecycle policy (keep the last releases, expire untagged images).",
    remediation="The Registry component adds one per repository (groundwork:registry.keepReleases).",
)
def ecr_lifecycle(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for repo in g.of(ECR):
        if not g.referencing(repo, ECR_LIFECYCLE, prop="repository"):
            yield f"repository {repo.name} has no lifecycle policy", repo.urn
