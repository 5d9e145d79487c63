"""The database bootstrap job: its Kubernetes objects in the plan, and its script run for real
against a local PostgreSQL server whose admin is, like RDS's master user, no superuser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.database_bootstrap import SCRIPT
from groundwork.plan.graph import Graph
from tests.helpers import by_name, deps
from tests.k8s import manifests, validate_core

JOB = "kubernetes:batch/v1:Job"
DB_SERVICES = ["customer-service", "menu-service", "order-service", "payment-service", "user-service"]


# --------------------------------------------------------------------------------------------- the plan


def test_job_runs_psql_from_the_stacks_registry_locked_down(prod: Graph) -> None:
    [job] = manifests(prod, "Job")
    validate_core(job, "1.35")
    assert job["metadata"]["namespace"] == "groundwork-system" and job["metadata"]["name"].startswith(
        "database-bootstrap-"
    )
    pod = job["spec"]["template"]["spec"]
    [c] = pod["containers"]
    assert (
        c["image"]
        == "333333333333.dkr.ecr.eu-west-1.amazonaws.com/groundwork-prod-ecr-public/docker/library/postgres:17.6-alpine"
    )
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"name": "PGSSLMODE", "value": "require"} in c["env"]
    mounted = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    assert mounted == {"db-master", "db-monitor", *(f"db-{s}" for s in DB_SERVICES)}


def test_job_waits_for_its_secrets_and_the_database(prod: Graph) -> None:
    job = prod.one(JOB)
    synced = {
        r.props["metadata"]["name"]: r.urn
        for r in prod.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.props["metadata"]["namespace"] == "groundwork-system"
    }
    assert set(synced) == {"db-master", "db-monitor", *(f"db-{s}" for s in DB_SERVICES)}
    assert set(synced.values()) <= set(job.dependencies)
    assert prod.one("aws:rds/instance:Instance").urn in job.dependencies


def test_only_groundwork_system_reads_the_master_secret(prod: Graph) -> None:
    stores = {x["metadata"]["name"]: x for x in manifests(prod, "ClusterSecretStore")}
    assert stores["database-admin"]["spec"]["conditions"] == [{"namespaces": ["groundwork-system"]}]
    policy = by_name(prod, "aws:iam/rolePolicy:RolePolicy")["external-secrets-store-database-admin"]
    rds = prod.one("aws:rds/instance:Instance")
    assert rds.urn in deps(policy, "policy")  # the master secret's ARN comes from the instance
    for team in ("catalog", "edge", "identity", "orders"):
        team_policy = by_name(prod, "aws:iam/rolePolicy:RolePolicy")[f"external-secrets-store-{team}"]
        assert rds.urn not in deps(team_policy, "policy")


def test_adding_a_service_replaces_the_job(graph_of) -> None:
    from tests.conftest import section

    services = section("prod", "services")
    services.append({"name": "invoice-service", "port": 3006, "team": "billing", "database": True})
    before = manifests(graph_of("prod"), "Job")[0]["metadata"]["name"]
    after = manifests(graph_of("prod", services=services), "Job")[0]["metadata"]["name"]
    assert before != after


# --------------------------------------------------------------------------------------------- the script


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, str]]:
    initdb = shutil.which("initdb") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None)
    if not initdb:
        if os.environ.get("GROUNDWORK_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL server binaries not found (install the postgresql package)")
        pytest.skip("PostgreSQL server binaries not found")
    bindir = Path(initdb).resolve().parent
    # not under pytest's tmp dir: its parents are private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="groundwork-pg-"))
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text("superpass\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    port = str(_free_port())
    subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256", f"--pwfile={pwfile}"]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
             "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {root}", "start"]
        ),
        check=True,
        capture_output=True,
    )  # fmt: skip
    env = {
        "PGHOST": "127.0.0.1",
        "PGPORT": port,
        "PGUSER": "postgres",
        "PGPASSWORD": "superpass",
        "PGSSLMODE": "disable",
    }
    # RDS's master user: CREATEROLE and CREATEDB, not a superuser
    psql(env, "postgres", "CREATE ROLE groundwork_admin LOGIN CREATEROLE CREATEDB PASSWORD 'masterpass'")
    try:
        yield env
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def psql(env: dict[str, str], db: str, sql: str, *, user: str | None = None, password: str | None = None) -> str:
    e = {**os.environ, **env}
    if user:
        e.update(PGUSER=user, PGPASSWORD=password or "")
    out = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        env=e,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip())
    return out.stdout.strip()


def run_job(
    env: dict[str, str], work: Path, services: dict[str, str], *, reset: bool = False, monitor: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The job's script as the container runs it, with its mounts under `work`."""
    secrets = work / "secrets"
    (secrets / "master").mkdir(parents=True, exist_ok=True)
    (secrets / "master" / "username").write_text("groundwork_admin")
    (secrets / "master" / "password").write_text("masterpass")
    for svc, password in services.items():
        d = secrets / "services" / svc
        d.mkdir(parents=True, exist_ok=True)
        user = svc.replace("-", "_")
        for key, value in {
            "host": env["PGHOST"],
            "port": env["PGPORT"],
            "username": user,
            "dbname": user,
            "password": password,
        }.items():
            (d / key).write_text(value)
    if monitor is not None:
        (secrets / "monitor").mkdir(parents=True, exist_ok=True)
        (secrets / "monitor" / "username").write_text("groundwork_monitor")
        (secrets / "monitor" / "password").write_text(monitor)
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    script = SCRIPT.replace("/tmp/", f"{tmp}/").replace("/secrets/", f"{secrets}/")  # work is under /tmp
    e = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    e.update(
        PGSSLMODE="disable",
        HOME=str(tmp),
        BOOTSTRAP_MODE="restore" if reset else "create",
        PGHOST=env["PGHOST"],
        PGPORT=env["PGPORT"],
    )
    return subprocess.run(["/bin/sh", "-c", script], env=e, capture_output=True, text=True, timeout=60)


def test_script_creates_each_services_role_and_private_database(server: dict[str, str], tmp_path: Path) -> None:
    first = run_job(server, tmp_path, {"order-service": "orderpass", "user-service": "userpass"})
    assert first.returncode == 0, first.stderr
    assert "bootstrapped order_service" in first.stdout and "bootstrapped user_service" in first.stdout
    # each service logs in with its generated password and owns its database
    assert (
        psql(server, "order_service", "SELECT current_user", user="order_service", password="orderpass")
        == "order_service"
    )
    psql(server, "order_service", "CREATE TABLE orders (id int)", user="order_service", password="orderpass")
    # and cannot reach another service's database
    with pytest.raises(RuntimeError, match="permission denied for database"):
        psql(server, "order_service", "SELECT 1", user="user_service", password="userpass")
    # no superuser anywhere: the roles are plain logins
    assert psql(server, "postgres", "SELECT bool_or(rolsuper OR rolcreaterole OR rolcreatedb) FROM pg_roles "
                "WHERE rolname IN ('order_service', 'user_service')") == "f"  # fmt: skip


def test_script_is_idempotent_and_leaves_rotated_passwords_alone(server: dict[str, str], tmp_path: Path) -> None:
    assert run_job(server, tmp_path / "a", {"menu-service": "menupass"}).returncode == 0
    # the rotation function changes the password later; the next run must not undo it
    psql(
        server, "postgres", "ALTER ROLE menu_service PASSWORD 'rotated'", user="groundwork_admin", password="masterpass"
    )
    again = run_job(server, tmp_path / "b", {"menu-service": "menupass", "payment-service": "paypass"})
    assert again.returncode == 0, again.stderr
    assert psql(server, "menu_service", "SELECT 1", user="menu_service", password="rotated") == "1"
    assert psql(server, "payment_service", "SELECT 1", user="payment_service", password="paypass") == "1"
    # the master user may act as the service role (multi-user rotation clones it)
    assert psql(server, "postgres", "SELECT pg_has_role('groundwork_admin', 'menu_service', 'MEMBER')") == "t"


def test_script_creates_the_monitoring_login_for_postgres_exporter(server: dict[str, str], tmp_path: Path) -> None:
    result = run_job(server, tmp_path, {"order-service": "orderpass"}, monitor="monitorpass")
    assert result.returncode == 0 and "bootstrapped the monitoring role" in result.stdout, result.stderr
    # what postgres-exporter reads: server settings and every database's statistics
    assert psql(server, "postgres", "SELECT setting FROM pg_settings WHERE name = 'max_connections'",
                user="groundwork_monitor", password="monitorpass").isdigit()  # fmt: skip
    assert psql(server, "postgres", "SELECT pg_has_role('groundwork_monitor', 'pg_monitor', 'MEMBER')") == "t"
    with pytest.raises(RuntimeError, match="permission denied"):  # but no service data
        psql(server, "order_service", "SELECT * FROM orders", user="groundwork_monitor", password="monitorpass")


def test_after_a_restore_the_roles_take_the_new_stacks_passwords(server: dict[str, str], tmp_path: Path) -> None:
    # the snapshot brought customer_service with the old stack's password
    assert run_job(server, tmp_path / "old", {"customer-service": "old-stack-pass"}).returncode == 0
    restored = run_job(server, tmp_path / "new", {"customer-service": "new-stack-pass"}, reset=True)
    assert restored.returncode == 0, restored.stderr
    assert psql(server, "customer_service", "SELECT 1", user="customer_service", password="new-stack-pass") == "1"
    with pytest.raises(RuntimeError, match="password authentication failed"):
        psql(server, "customer_service", "SELECT 1", user="customer_service", password="old-stack-pass")


def test_restore_mode_is_part_of_the_job(graph_of) -> None:
    from tests.conftest import section

    database = {**section("prod", "database"), "restore": {"snapshotIdentifier": "groundwork-prod-db-final"}}
    [normal], [restored] = manifests(graph_of("prod"), "Job"), manifests(graph_of("prod", database=database), "Job")
    env = {e["name"]: e["value"] for e in restored["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["BOOTSTRAP_MODE"] == "restore" and normal["metadata"]["name"] != restored["metadata"]["name"]


def test_script_fails_loudly_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = {"PGHOST": "127.0.0.1", "PGPORT": str(_free_port())}
    started = time.monotonic()
    result = run_job(env, tmp_path, {"order-service": "x"})
    assert result.returncode != 0 and "bootstrapped" not in result.stdout
    assert time.monotonic() - started < 30
