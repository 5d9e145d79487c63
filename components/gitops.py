"""GitOps: Argo CD and the Applications of the stack's services (GIT-01..03).

Behaviour:
- Argo CD (chart pinned in groundwork/charts.py) in `argocd`: the local admin disabled, login
  only through SSO (`gitops.oidc`; its client secret comes from Secrets Manager through
  External Secrets) or `argocd --core` with cluster credentials; read-only by default, admin
  for `gitops.adminGroups`; anonymous access, exec and status badges off. Highly available
  with `gitops.highAvailability` (redis-ha, two replicas of server, repo server and
  ApplicationSet controller).
- Repository credentials (`gitops.repoCredentials`) come from the Secrets Manager secret
  `<project>/<stack>/platform/argocd-repository` as an Argo CD credential template for the
  repositories' organisation: the program never sees them.
- One AppProject per environment: the services' repositories only, the team namespaces of
  this cluster only, no cluster-scoped kinds, and not the kinds the program owns (quotas,
  limit ranges, NetworkPolicies, SecretStores).
- One Application per service: `repoUrl` + `path` (template with {service}, {team},
  {environment}) at `targetRevision`, into the team namespace (CreateNamespace=false, the
  program owns namespaces), retries with exponential backoff, automated sync with prune and
  self-heal when `gitops.autoSync` (dev, staging), manual sync otherwise (prod), replicas left
  to the generated HPA. Deleting an Application deletes its resources (finalizer), so a
  `pulumi destroy` removes workloads before the controllers and the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components.kube import apply, release
from groundwork import manifests as m
from groundwork.settings.model import GitOpsSettings

NAMESPACE = "argocd"


@dataclass(frozen=True)
class ServiceSource:
    name: str
    team: str
    repo_url: str
    path: str


@dataclass(frozen=True)
class GitOpsArgs:
    settings: GitOpsSettings
    environment: str
    services: Sequence[ServiceSource]
    namespace: pulumi.Resource | None
    platform_store: str | None
    platform_store_resource: pulumi.Resource | None
    repository_secret: str | None  # Secrets Manager name of the repository credentials
    oidc_secret: str | None  # Secrets Manager name of the SSO client secret
    refresh_interval: str = "1h"
    hpa_owns_replicas: bool = True
    # What the project and every Application wait for (the admission policies), and what one
    # service's Application also waits for (its team's namespace, its synced secrets). Narrow on
    # purpose: an Application depending on every namespace and secret of the stack would wait for
    # other teams' objects and cost O(services) each in the SDK's cycle check (issue 16).
    depends_on: Sequence[pulumi.Resource] = ()
    team_namespaces: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    service_depends_on: Mapping[str, Sequence[pulumi.Resource]] = field(default_factory=dict)


def org_prefix(repo_url: str) -> str:
    """The credential-template URL for a repository: its host and organisation."""
    ssh = re.match(r"^(git@[^:]+:[^/]+/)", repo_url)
    if ssh:
        return ssh.group(1)
    https = re.match(r"^(https://[^/]+/[^/]+/)", repo_url)
    return https.group(1) if https else repo_url


def argocd_values(s: GitOpsSettings) -> dict:
    """Helm values of the argo-cd chart for these settings."""
    ha = s.high_availability
    cm: dict = {
        "admin.enabled": False,
        "users.anonymous.enabled": False,
        "exec.enabled": False,
        "statusbadge.enabled": False,
        "timeout.reconciliation": "180s",
    }
    if s.oidc:
        cm["oidc.config"] = (
            f"name: {s.oidc.name}\n"
            f"issuer: {s.oidc.issuer}\n"
            f"clientID: {s.oidc.client_id}\n"
            "clientSecret: $argocd-oidc:clientSecret\n"
            "requestedScopes: [openid, profile, email, groups]\n"
        )
    policy = "".join(f"g, {g}, role:admin\n" for g in s.admin_groups)
    return {
        "global": {"logging": {"format": "json"}},
        "configs": {
            "cm": cm,
            "rbac": {"policy.default": "role:readonly", "policy.csv": policy, "scopes": "[groups, email]"},
            "params": {"server.insecure": False},
        },
        "dex": {"enabled": False},
        "redis-ha": {"enabled": ha},
        "redis": {"enabled": not ha},
        "controller": {"replicas": 1},
        "server": {"replicas": 2 if ha else 1},
        "repoServer": {"replicas": 2 if ha else 1},
        "applicationSet": {"replicas": 2 if ha else 1},
    }


class GitOps(pulumi.ComponentResource):
    """`groundwork:gitops:GitOps`."""

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:gitops:GitOps", name, None, opts)
        s = args.settings
        ns_deps = [args.namespace] if args.namespace is not None else []

        secrets_ready: list[pulumi.Resource] = []
        store_deps = [*ns_deps, *([args.platform_store_resource] if args.platform_store_resource else [])]
        if s.repo_credentials and args.repository_secret and args.platform_store:
            for prefix in sorted({org_prefix(x.repo_url) for x in args.services}):
                slug = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-")[-40:].strip("-")
                secrets_ready.append(
                    apply(
                        f"{name}-repo-creds-{slug}",
                        m.external_secret(
                            f"repo-creds-{slug}",
                            NAMESPACE,
                            store=args.platform_store,
                            key=args.repository_secret,
                            refresh=args.refresh_interval,
                            template={
                                "mergePolicy": "Merge",
                                "metadata": {"labels": {"argocd.argoproj.io/secret-type": "repo-creds"}},
                                "data": {"url": prefix, "type": "git"},
                            },
                        ),
                        pulumi.ResourceOptions(parent=self, depends_on=store_deps),
                    )
                )
        if s.oidc and args.oidc_secret and args.platform_store:
            secrets_ready.append(
                apply(
                    f"{name}-oidc",
                    m.external_secret(
                        "argocd-oidc",
                        NAMESPACE,
                        store=args.platform_store,
                        key=args.oidc_secret,
                        refresh=args.refresh_interval,
                        extra_labels={"app.kubernetes.io/part-of": "argocd"},
                    ),
                    pulumi.ResourceOptions(parent=self, depends_on=store_deps),
                )
            )

        self.release = release(
            f"{name}-argocd",
            "argo-cd",
            release_name="argocd",
            namespace=NAMESPACE,
            values=argocd_values(s),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ns_deps, *secrets_ready]),
            timeout_seconds=900,
        )

        after = pulumi.ResourceOptions(
            parent=self, depends_on=[self.release, *args.depends_on, *args.team_namespaces.values()]
        )
        project = apply(
            f"{name}-project",
            m.app_project(
                args.environment,
                namespace=NAMESPACE,
                repos=[x.repo_url for x in args.services],
                teams=[x.team for x in args.services],
            ),
            after,
        )
        self.applications = []
        for svc in args.services:
            self.applications.append(
                apply(
                    f"{name}-app-{svc.name}",
                    m.application(
                        svc.name,
                        namespace=NAMESPACE,
                        project=args.environment,
                        team=svc.team,
                        repo_url=svc.repo_url,
                        path=svc.path,
                        revision=s.target_revision,
                        auto_sync=s.auto_sync,
                        hpa_owns_replicas=args.hpa_owns_replicas,
                    ),
                    pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[
                            self.release,
                            project,
                            *args.depends_on,
                            *([args.team_namespaces[svc.team]] if svc.team in args.team_namespaces else []),
                            *args.service_depends_on.get(svc.name, ()),
                        ],
                    ),
                )
            )
        self.register_outputs(
            {
                "project": args.environment,
                "applications": [x.name for x in args.services],
                "autoSync": s.auto_sync,
            }
        )
