"""The GitOps component on its own (groundwork.plan.run_function): Argo CD's values (no local
admin, SSO, read-only by default, availability), repository credentials and the SSO secret
through External Secrets, the environment's AppProject and one Application per service, each
waiting for exactly what it needs, without planning a stack (issue 18)."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.gitops import GitOps, GitOpsArgs, ServiceSource, argocd_values, org_prefix
from groundwork import manifests as m
from groundwork.charts import chart
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import GitOpsSettings
from tests.helpers import outside

SERVICES = (
    ServiceSource("orders", "shop", "https://github.com/acme/orders.git", "deploy/prod"),
    ServiceSource("cart", "shop", "https://github.com/acme/cart.git", "deploy/prod"),
    ServiceSource("payments", "billing", "git@github.com:acme-pay/payments.git", "deploy/prod"),
)
OIDC = {"name": "Okta", "issuer": "https://acme.okta.com", "clientId": "argocd"}


def plan_gitops(settings: dict[str, Any] | None = None, wire: bool = True, **args: Any) -> Graph:
    def body() -> None:
        extra: dict[str, Any] = {}
        if wire:
            extra = {
                "namespace": k8s.core.v1.Namespace("ns-argocd"),
                "platform_store_resource": k8s.core.v1.ConfigMap("platform-store"),
                "depends_on": [k8s.core.v1.ConfigMap("admission-policies")],
                "team_namespaces": {t: k8s.core.v1.Namespace(f"ns-{t}") for t in ("shop", "billing")},
                "service_depends_on": {"orders": [k8s.core.v1.ConfigMap("orders-secrets")]},
            }
        GitOps(
            "gitops",
            GitOpsArgs(
                **{
                    "settings": GitOpsSettings.model_validate(settings or {}),
                    "environment": "prod",
                    "services": SERVICES,
                    "namespace": None,
                    "platform_store": "platform",
                    "platform_store_resource": None,
                    "repository_secret": "groundwork/prod/platform/argocd-repository",
                    "oidc_secret": "groundwork/prod/platform/argocd-oidc",
                    **extra,
                    **args,
                }
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_gitops(
        {"highAvailability": True, "repoCredentials": True, "oidc": OIDC, "adminGroups": ["platform-admins"]}
    )


def named(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.resources}


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("https://github.com/acme/orders.git", "https://github.com/acme/"),
        ("git@github.com:acme-pay/payments.git", "git@github.com:acme-pay/"),
        ("https://gitlab.example.com/group/sub/repo.git", "https://gitlab.example.com/group/"),
        ("ssh://git@example.com/repo.git", "ssh://git@example.com/repo.git"),
    ],
)
def test_credential_templates_cover_the_repositorys_organisation(url: str, prefix: str) -> None:
    """Argo CD applies a credential template to every repository whose URL starts with it (Argo
    CD docs, "Repository credentials: credential templates"): host and organisation."""
    assert org_prefix(url) == prefix


def test_argocd_values_without_local_admin_and_read_only_by_default() -> None:
    """GIT-03: no local admin, anonymous access, exec or badges; everyone read-only unless in an
    admin group; SSO from the issuer with the client secret read from the `argocd-oidc` Secret
    (Argo CD docs, "Sensitive data and SSO client secrets": `$<secret>:<key>`); Dex off."""
    s = GitOpsSettings.model_validate({"highAvailability": True, "oidc": OIDC, "adminGroups": ["ops", "sre"]})
    values = argocd_values(s)
    assert values["configs"] == {
        "cm": {
            "admin.enabled": False,
            "users.anonymous.enabled": False,
            "exec.enabled": False,
            "statusbadge.enabled": False,
            "timeout.reconciliation": "180s",
            "oidc.config": "name: Okta\nissuer: https://acme.okta.com\nclientID: argocd\n"
            "clientSecret: $argocd-oidc:clientSecret\nrequestedScopes: [openid, profile, email, groups]\n",
        },
        "rbac": {
            "policy.default": "role:readonly",
            "policy.csv": "g, ops, role:admin\ng, sre, role:admin\n",
            "scopes": "[groups, email]",
        },
        "params": {"server.insecure": False},
    }
    assert values["global"] == {"logging": {"format": "json"}} and values["dex"] == {"enabled": False}


@pytest.mark.parametrize(("ha", "replicas"), [(True, 2), (False, 1)])
def test_argocd_availability(ha: bool, replicas: int) -> None:
    """Argo CD's HA: redis-ha instead of a single redis, two of each stateless part; one
    application controller (it shards by cluster, and there is one)."""
    values = argocd_values(GitOpsSettings.model_validate({"highAvailability": ha}))
    assert {k: values[k] for k in ("redis-ha", "redis", "controller", "server", "repoServer", "applicationSet")} == {
        "redis-ha": {"enabled": ha},
        "redis": {"enabled": not ha},
        "controller": {"replicas": 1},
        "server": {"replicas": replicas},
        "repoServer": {"replicas": replicas},
        "applicationSet": {"replicas": replicas},
    }
    assert "oidc.config" not in values["configs"]["cm"] and values["configs"]["rbac"]["policy.csv"] == ""


def test_repository_credentials_per_organisation_from_secrets_manager(full: Graph) -> None:
    """The program never sees the credentials: External Secrets writes a repo-creds Secret per
    organisation, merging the secret's keys with the template's url and type."""
    creds = {
        r.name: r for r in full.of_type("kubernetes:external-secrets.io/v1:ExternalSecret") if "repo-creds" in r.name
    }
    assert sorted(creds) == ["gitops-repo-creds-git-github-com-acme-pay", "gitops-repo-creds-https-github-com-acme"]
    https = creds["gitops-repo-creds-https-github-com-acme"]
    assert https.props["metadata"]["name"] == "repo-creds-https-github-com-acme"
    assert https.props["metadata"]["namespace"] == "argocd"
    assert https.props["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "platform"}
    assert https.props["spec"]["dataFrom"] == [{"extract": {"key": "groundwork/prod/platform/argocd-repository"}}]
    assert https.props["spec"]["target"]["template"] == {
        "mergePolicy": "Merge",
        "metadata": {"labels": {"argocd.argoproj.io/secret-type": "repo-creds"}},
        "data": {"url": "https://github.com/acme/", "type": "git"},
    }
    r = named(full)
    assert set(https.dependencies) == {r["ns-argocd"].urn, r["platform-store"].urn}


def test_long_organisation_slugs_are_cut_to_40_characters() -> None:
    long = (
        ServiceSource("x", "shop", "https://git.example.com/a-very-long-organisation-name-for-payments/x.git", "p"),
    )
    g = plan_gitops({"repoCredentials": True}, services=long)
    [es] = [r for r in g.of_type("kubernetes:external-secrets.io/v1:ExternalSecret") if "repo-creds" in r.name]
    slug = es.props["metadata"]["name"].removeprefix("repo-creds-")
    # the end of the URL names the organisation; a Kubernetes name stays short and clean
    assert slug == "very-long-organisation-name-for-payments"
    org = "abcdefghijklmnopqrstuvwxyz0123456789abcdefgh"  # 44 characters: the last 40 are kept
    g = plan_gitops(
        {"repoCredentials": True}, services=(ServiceSource("x", "shop", f"https://github.com/{org}/x.git", "p"),)
    )
    [es] = [r for r in g.of_type("kubernetes:external-secrets.io/v1:ExternalSecret") if "repo-creds" in r.name]
    assert es.props["metadata"]["name"] == f"repo-creds-{org[-40:]}"


@pytest.mark.parametrize(
    ("settings", "args"),
    [
        ({"repoCredentials": False}, {}),
        ({"repoCredentials": True}, {"repository_secret": None}),
        ({"repoCredentials": True}, {"platform_store": None}),
    ],
)
def test_no_repository_credentials_unless_asked_with_a_secret_and_a_store(
    settings: dict[str, Any], args: dict[str, Any]
) -> None:
    g = plan_gitops(settings, **args)
    assert [r for r in g.of_type("kubernetes:external-secrets.io/v1:ExternalSecret") if "repo-creds" in r.name] == []


def test_the_sso_secret_is_labelled_for_argocd(full: Graph) -> None:
    """Argo CD reads `$argocd-oidc:clientSecret` only from a Secret labelled
    app.kubernetes.io/part-of: argocd (Argo CD docs, "Sensitive data and SSO client secrets")."""
    oidc = named(full)["gitops-oidc"]
    assert oidc.props["metadata"]["name"] == "argocd-oidc"
    assert oidc.props["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert oidc.props["spec"]["dataFrom"] == [{"extract": {"key": "groundwork/prod/platform/argocd-oidc"}}]
    r = named(full)
    assert set(oidc.dependencies) == {r["ns-argocd"].urn, r["platform-store"].urn}
    without: list[dict[str, Any]] = [{"oidc_secret": None}, {"platform_store": None}]
    for args in without:
        assert "gitops-oidc" not in named(plan_gitops({"oidc": OIDC}, **args))
    assert "gitops-oidc" not in named(plan_gitops({}))


def test_argocd_waits_for_its_namespace_and_secrets(full: Graph) -> None:
    r = named(full)
    argocd = r["gitops-argocd"]
    assert (argocd.props["name"], argocd.props["chart"], argocd.props["version"]) == (
        "argocd",
        "argo-cd",
        chart("argo-cd").version,
    )
    assert argocd.props["namespace"] == "argocd" and argocd.props["timeout"] == 900
    assert argocd.props["values"] == argocd_values(
        GitOpsSettings.model_validate(
            {"highAvailability": True, "repoCredentials": True, "oidc": OIDC, "adminGroups": ["platform-admins"]}
        )
    )
    assert set(argocd.dependencies) == {
        r["ns-argocd"].urn,
        r["gitops-oidc"].urn,
        r["gitops-repo-creds-https-github-com-acme"].urn,
        r["gitops-repo-creds-git-github-com-acme-pay"].urn,
    }


def test_the_project_of_the_environment(full: Graph) -> None:
    """GIT-02: the services' repositories and team namespaces only, after Argo CD (its CRD), the
    admission policies and every team namespace."""
    r = named(full)
    project = r["gitops-project"]
    assert project.props == m.app_project(
        "prod", namespace="argocd", repos=[s.repo_url for s in SERVICES], teams=[s.team for s in SERVICES]
    )
    assert set(project.dependencies) == {
        r["gitops-argocd"].urn,
        r["admission-policies"].urn,
        r["ns-shop"].urn,
        r["ns-billing"].urn,
    }


@pytest.mark.parametrize("auto", [True, False])
def test_an_application_per_service_waiting_only_for_its_own(auto: bool) -> None:
    """GIT-01: each service's Application follows its repository at the target revision, syncs by
    itself where `autoSync`, and waits for Argo CD, the project, the admission policies, its own
    team's namespace and its own secrets, not other teams' (issue 16)."""
    g = plan_gitops({"autoSync": auto, "targetRevision": "v1.2.3"})
    r = named(g)
    for svc in SERVICES:
        app = r[f"gitops-app-{svc.name}"]
        assert app.props == m.application(
            svc.name,
            namespace="argocd",
            project="prod",
            team=svc.team,
            repo_url=svc.repo_url,
            path=svc.path,
            revision="v1.2.3",
            auto_sync=auto,
            hpa_owns_replicas=True,
        )
        expected = {
            r["gitops-argocd"].urn,
            r["gitops-project"].urn,
            r["admission-policies"].urn,
            r[f"ns-{svc.team}"].urn,
        }
        if svc.name == "orders":
            expected.add(r["orders-secrets"].urn)
        assert set(app.dependencies) == expected, svc.name
    out = g.one("groundwork:gitops:GitOps").outputs
    assert out == {"project": "prod", "applications": ["orders", "cart", "payments"], "autoSync": auto}


def test_replicas_may_stay_with_the_manifests() -> None:
    g = plan_gitops(hpa_owns_replicas=False, wire=False)
    app = named(g)["gitops-app-orders"]
    assert app.props == m.application(
        "orders",
        namespace="argocd",
        project="prod",
        team="shop",
        repo_url=SERVICES[0].repo_url,
        path="deploy/prod",
        revision="main",
        auto_sync=GitOpsSettings.model_validate({}).auto_sync,
        hpa_owns_replicas=False,
    )
    assert set(app.dependencies) == {named(g)["gitops-argocd"].urn, named(g)["gitops-project"].urn}


def test_every_resource_is_the_components_child(full: Graph) -> None:
    assert sorted(outside(full, "groundwork:gitops:GitOps")) == [
        "admission-policies",
        "ns-argocd",
        "ns-billing",
        "ns-shop",
        "orders-secrets",
        "platform-store",
    ]  # the test's own stand-ins
