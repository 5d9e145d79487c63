"""The DatabaseBootstrap component on its own (groundwork.plan.run_function): the credentials
synced into groundwork-system, the locked-down psql Job named by what it runs, and what each
object waits for, without planning a stack (issue 18). What the script does to a real
PostgreSQL is tests/test_database_bootstrap.py's."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.database_bootstrap import SCRIPT, UID, DatabaseBootstrap, DatabaseBootstrapArgs, job_spec
from groundwork import manifests as m
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from tests.helpers import outside

IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/groundwork-test-ecr-public/docker/library/postgres:17.6-alpine"
MASTER = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-0123-AbCdEf"
NAMES = {"orders": "groundwork/test/services/orders/database", "cart": "groundwork/test/services/cart/database"}


def plan_bootstrap(
    services: tuple[str, ...] = ("orders", "cart"), wire: bool = True, built: Any = None, **args: Any
) -> Graph:
    def body() -> None:
        extra: dict[str, Any] = {}
        if wire:
            extra = {
                "depends_on": [k8s.core.v1.Namespace("ns-groundwork-system"), k8s.core.v1.ConfigMap("admin-store")],
                "database": [k8s.core.v1.ConfigMap("instance")],
                "service_depends_on": {"orders": [k8s.core.v1.ConfigMap("orders-version")]},
            }
        b = DatabaseBootstrap(
            "bootstrap",
            DatabaseBootstrapArgs(
                **{
                    "services": list(services),
                    "service_secret_names": NAMES,
                    "master_secret_arn": MASTER,
                    "image": IMAGE,
                    "store": "database-admin",
                    "database_host": "groundwork-test-db.abc.eu-west-1.rds.amazonaws.com",
                    **extra,
                    **args,
                }
            ),
        )
        if built is not None:
            built(b)

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_bootstrap(monitor_secret_name="groundwork/test/platform/postgres-monitor", refresh_interval="5m")


def named(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.resources}


def synced(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")}


def test_credentials_arrive_in_groundwork_system_from_the_admin_store(full: Graph) -> None:
    """The master secret (RDS names it: its ARN is the key), the monitoring login and each
    service's credentials, through the `database-admin` store only groundwork-system may use."""
    s = synced(full)
    assert sorted(s) == ["bootstrap-cart", "bootstrap-master", "bootstrap-monitor", "bootstrap-orders"]
    for name, secret, key in (
        ("bootstrap-master", "db-master", MASTER),
        ("bootstrap-monitor", "db-monitor", "groundwork/test/platform/postgres-monitor"),
        ("bootstrap-orders", "db-orders", NAMES["orders"]),
        ("bootstrap-cart", "db-cart", NAMES["cart"]),
    ):
        assert s[name].props == m.external_secret(
            secret, "groundwork-system", store="database-admin", key=key, refresh="5m"
        ), name


def test_each_secret_waits_for_only_what_it_needs(full: Graph) -> None:
    """The master's and monitor's readers wait for the namespace, the store and the instance; a
    service's only for the namespace, the store and its own secret version (issue 16)."""
    r = named(full)
    base = {r["ns-groundwork-system"].urn, r["admin-store"].urn}
    s = synced(full)
    assert set(s["bootstrap-master"].dependencies) == base | {r["instance"].urn}
    assert set(s["bootstrap-monitor"].dependencies) == base | {r["instance"].urn}
    assert set(s["bootstrap-orders"].dependencies) == base | {r["orders-version"].urn}
    assert set(s["bootstrap-cart"].dependencies) == base


def test_the_job_runs_after_its_secrets_account_and_the_instance(full: Graph) -> None:
    r = named(full)
    job = full.one("kubernetes:batch/v1:Job")
    account = r["bootstrap-sa"]
    assert set(job.dependencies) == {*(x.urn for x in synced(full).values()), account.urn, r["instance"].urn}
    assert account.props == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "database-bootstrap", "namespace": "groundwork-system", "labels": m.labels()},
        "automountServiceAccountToken": False,
    }
    assert set(account.dependencies) == {r["ns-groundwork-system"].urn, r["admin-store"].urn}


def test_the_job_is_locked_down_and_mounts_each_secret_read_only(full: Graph) -> None:
    """K8S-02/SEC-05: non-root as the image's postgres user, no privilege escalation, no
    capabilities, read-only root filesystem, no service-account token; TLS required (the
    parameter group forces it); retried while the instance or secrets are on their way, for at
    most half an hour."""
    job = full.one("kubernetes:batch/v1:Job")
    spec = job.props["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"]) == (10, 1800)
    pod = spec["template"]["spec"]
    assert UID == 70
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 70,
        "runAsGroup": 70,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert (pod["serviceAccountName"], pod["automountServiceAccountToken"], pod["restartPolicy"]) == (
        "database-bootstrap",
        False,
        "Never",
    )
    [c] = pod["containers"]
    assert (c["name"], c["image"], c["command"]) == ("psql", IMAGE, ["/bin/sh", "-c", SCRIPT])
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert c["env"] == [
        {"name": "PGSSLMODE", "value": "require"},
        {"name": "PGHOST", "value": "groundwork-test-db.abc.eu-west-1.rds.amazonaws.com"},
        {"name": "PGPORT", "value": "5432"},
        {"name": "PGCONNECT_TIMEOUT", "value": "10"},
        {"name": "HOME", "value": "/tmp"},
        {"name": "BOOTSTRAP_MODE", "value": "create"},
    ]
    assert c["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
    assert pod["volumes"] == [
        {"name": "master", "secret": {"secretName": "db-master"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
        {"name": "svc-cart", "secret": {"secretName": "db-cart"}},
        {"name": "svc-orders", "secret": {"secretName": "db-orders"}},
        {"name": "monitor", "secret": {"secretName": "db-monitor"}},
    ]
    assert c["volumeMounts"] == [
        {"name": "master", "mountPath": "/secrets/master", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "svc-cart", "mountPath": "/secrets/services/cart", "readOnly": True},
        {"name": "svc-orders", "mountPath": "/secrets/services/orders", "readOnly": True},
        {"name": "monitor", "mountPath": "/secrets/monitor", "readOnly": True},
    ]
    labels = m.labels(**{m.APP_LABEL: "database-bootstrap"})
    assert job.props["metadata"]["namespace"] == "groundwork-system" and job.props["metadata"]["labels"] == labels
    assert spec["template"]["metadata"] == {"labels": labels}


def test_job_spec_defaults() -> None:
    """No host given: PGHOST empty (each service's host file sets it); no monitor volume;
    create mode."""
    spec = job_spec(IMAGE, ["orders"])
    [c] = spec["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["PGHOST"] == "" and env["BOOTSTRAP_MODE"] == "create"
    assert [v["name"] for v in spec["template"]["spec"]["volumes"]] == ["master", "tmp", "svc-orders"]


def job_name(**kwargs: Any) -> str:
    seen: list[str] = []

    def watch(b: DatabaseBootstrap) -> None:
        b.job.metadata.apply(lambda md: seen.append(str(md.name)))

    plan_bootstrap(built=watch, wire=False, **kwargs)
    return seen[0]


def test_the_jobs_name_changes_with_what_it_runs() -> None:
    """A Job's pod template cannot change in place: a new name per services, image and mode
    makes Pulumi replace it, so it runs again (the steps are no-ops for existing services); the
    order services are listed in does not matter."""
    base = job_name()
    assert base.startswith("database-bootstrap-") and len(base) == len("database-bootstrap-") + 8
    assert job_name(services=("cart", "orders")) == base
    assert job_name(services=("orders",)) != base
    assert job_name(image=IMAGE.replace("17.6", "17.7")) != base
    restore = job_name(reset_passwords=True)
    assert restore != base


def test_restore_mode_resets_passwords(full: Graph) -> None:
    g = plan_bootstrap(reset_passwords=True, wire=False)
    [c] = g.one("kubernetes:batch/v1:Job").props["spec"]["template"]["spec"]["containers"]
    assert {"name": "BOOTSTRAP_MODE", "value": "restore"} in c["env"]
    assert "bootstrap-monitor" not in synced(g)
    assert synced(g)["bootstrap-master"].props["spec"]["refreshInterval"] == "1h"


def test_outputs(full: Graph) -> None:
    out = full.one("groundwork:database:Bootstrap").outputs
    assert out["services"] == ["cart", "orders"] and out["job"].startswith("database-bootstrap-")


def test_every_resource_is_the_components_child(full: Graph) -> None:
    assert sorted(outside(full, "groundwork:database:Bootstrap")) == [
        "admin-store",
        "instance",
        "ns-groundwork-system",
        "orders-version",
    ]  # the test's own stand-ins
