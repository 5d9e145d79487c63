"""What the in-cluster layers need to know about the services, derived from the settings
(pure module: the composition root hands these to the components)."""

from __future__ import annotations

from groundwork.manifests import Workload, manifest_path
from groundwork.settings.model import StackSettings


def workloads(s: StackSettings) -> list[Workload]:
    return [
        Workload(
            name=x.name,
            team=x.team,
            port=x.port,
            metrics_port=x.metrics_port or x.port,
            database=x.database,
            cache=x.cache,
            https_egress=x.https_egress,
            exposed=x.ingress is not None and s.ingress.enabled,
            calls=tuple(x.calls),
        )
        for x in s.services
    ]


def sources(s: StackSettings) -> list[tuple[str, str, str, str]]:
    """(service, team, repository, path) of every service's manifests."""
    out = []
    for x in s.services:
        repo = x.repo_url or s.gitops.repo_url
        assert repo, "the settings rules require a repository for every service"
        template = x.path or s.gitops.path
        out.append(
            (x.name, x.team, repo, manifest_path(template, service=x.name, team=x.team, environment=s.environment))
        )
    return out


def platform_secrets(s: StackSettings) -> list[dict]:
    """The platform secrets the settings call for: name, description, and for generated ones the
    generated keys and fixed keys (operator-provided ones have neither: created empty)."""
    out: list[dict] = []
    if s.gitops.repo_credentials:
        out.append(
            {
                "name": "argocd-repository",
                "description": "Argo CD repository credentials (JSON: username/password, or githubAppID/"
                "githubAppInstallationID/githubAppPrivateKey); value put by the operator",
            }
        )
    if s.gitops.oidc:
        out.append(
            {
                "name": "argocd-oidc",
                "description": "Argo CD SSO client secret (JSON: clientSecret); value put by the operator",
            }
        )
    out.append(
        {
            "name": "alerting",
            "description": "Alert receivers (JSON: pagerdutyRoutingKey, slackWebhookUrl, pagerdutyCloudwatchUrl); "
            "value put by the operator",
        }
    )
    out.append(
        {
            "name": "grafana-admin",
            "description": "Grafana admin login (generated)",
            "generated_keys": ("admin-password",),
            "fixed": (("admin-user", "admin"),),
        }
    )
    if any(x.database for x in s.services):
        out.append(
            {
                "name": "postgres-monitor",
                "description": "pg_monitor login of postgres-exporter (generated; created by the database bootstrap)",
                "generated_keys": ("password",),
                "fixed": (("username", "groundwork_monitor"),),
            }
        )
    return out
