"""Database bootstrap: each service's PostgreSQL role and database, created inside the VPC.

Pulumi never connects to the database (its endpoint is in isolated subnets and a provider
holding the master password would keep it in the state). Instead a Kubernetes Job in the
platform namespace `groundwork-system` runs psql against the instance:

- the master credentials (the RDS-managed secret) and each service's credentials arrive as
  files, through ExternalSecrets on the `database-admin` store, which only that namespace may
  use;
- for each service, idempotently: create the role with the generated password if it does
  not exist (afterwards the rotation function owns the password; after a restore, when the
  roles come from the snapshot with the old stack's passwords, set them to the new
  credentials: `reset_passwords`), let the master user act
  as it (needed to create its database and by the multi-user rotation), create its database
  owned by it, revoke PUBLIC's access to that database; and a `pg_monitor` login for
  postgres-exporter (its generated credentials in `<project>/<stack>/platform/postgres-monitor`);
- the image is psql from the Docker official image, pulled through the stack's ECR
  pull-through cache; non-root, read-only root filesystem, no service account token, no
  capabilities.

The Job's name carries a hash of the services and the image: adding a service replaces the
Job, which runs again (the steps are no-ops for existing services). `pulumi up` waits for it
to complete, so a failed bootstrap fails the deployment instead of the service's first start.
The services' own migrations then run as their own roles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.kube import apply
from groundwork import manifests as m

NAMESPACE = "groundwork-system"
UID = 70  # the postgres user of the alpine image

SQL = r"""
\set ON_ERROR_STOP on
\getenv password ROLE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') WHERE :'mode' = 'restore' \gexec
SELECT format('GRANT %I TO CURRENT_USER', :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
"""

MONITOR_SQL = r"""
\set ON_ERROR_STOP on
\getenv password ROLE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') WHERE :'mode' = 'restore' \gexec
SELECT format('GRANT pg_monitor TO %I', :'role') \gexec
"""

SCRIPT = (
    "set -eu\n"
    'export PGUSER="$(cat /secrets/master/username)" PGPASSWORD="$(cat /secrets/master/password)"\n'
    "cat > /tmp/bootstrap.sql <<'SQL'\n" + SQL.strip() + "\nSQL\n"
    "for dir in /secrets/services/*; do\n"
    '  export PGHOST="$(cat "$dir/host")" PGPORT="$(cat "$dir/port")" ROLE_PASSWORD="$(cat "$dir/password")"\n'
    '  psql -d postgres -v role="$(cat "$dir/username")" -v db="$(cat "$dir/dbname")" -v mode="$BOOTSTRAP_MODE" '
    "-f /tmp/bootstrap.sql\n"
    '  echo "bootstrapped $(cat "$dir/dbname")"\n'
    "done\n"
    "if [ -f /secrets/monitor/username ]; then\n"
    "  cat > /tmp/monitor.sql <<'SQL'\n" + MONITOR_SQL.strip() + "\nSQL\n"
    '  export ROLE_PASSWORD="$(cat /secrets/monitor/password)"\n'
    '  psql -d postgres -v role="$(cat /secrets/monitor/username)" -v mode="$BOOTSTRAP_MODE" -f /tmp/monitor.sql\n'
    '  echo "bootstrapped the monitoring role"\n'
    "fi\n"
)


@dataclass(frozen=True)
class DatabaseBootstrapArgs:
    services: Sequence[str]
    service_secret_names: dict[str, str]
    master_secret_arn: pulumi.Input[str]
    image: pulumi.Input[str]
    store: str
    database_host: pulumi.Input[str] = ""
    monitor_secret_name: str | None = None  # a pg_monitor role for postgres-exporter
    reset_passwords: bool = False  # a restored instance: its roles exist with the old passwords
    # What every object waits for (the namespace, the secret store) and what the master secret's
    # reader and the Job wait for (the instance); each service's secret waits for its own version
    # only. Narrow on purpose: a dependency on the whole Database component would make every
    # service's objects wait for every other service's secrets, and cost O(services) each in the
    # SDK's cycle check (issue 16).
    depends_on: Sequence[pulumi.Resource] = ()
    database: Sequence[pulumi.Resource] = ()
    service_depends_on: Mapping[str, Sequence[pulumi.Resource]] = field(default_factory=dict)
    refresh_interval: str = "1h"


class DatabaseBootstrap(pulumi.ComponentResource):
    """`groundwork:database:Bootstrap`."""

    def __init__(self, name: str, args: DatabaseBootstrapArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:database:Bootstrap", name, None, opts)
        after = pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *args.database])
        synced = [
            apply(
                f"{name}-master",
                m.external_secret(
                    "db-master",
                    NAMESPACE,
                    store=args.store,
                    key=args.master_secret_arn,
                    refresh=args.refresh_interval,
                ),
                after,
            )
        ]
        if args.monitor_secret_name:
            synced.append(
                apply(
                    f"{name}-monitor",
                    m.external_secret(
                        "db-monitor",
                        NAMESPACE,
                        store=args.store,
                        key=args.monitor_secret_name,
                        refresh=args.refresh_interval,
                    ),
                    after,
                )
            )
        for svc in args.services:
            synced.append(
                apply(
                    f"{name}-{svc}",
                    m.external_secret(
                        f"db-{svc}",
                        NAMESPACE,
                        store=args.store,
                        key=args.service_secret_names[svc],
                        refresh=args.refresh_interval,
                    ),
                    pulumi.ResourceOptions(
                        parent=self, depends_on=[*args.depends_on, *args.service_depends_on.get(svc, ())]
                    ),
                )
            )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={"name": "database-bootstrap", "namespace": NAMESPACE, "labels": m.labels()},
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        digest = pulumi.Output.from_input(args.image).apply(
            lambda image: hashlib.sha256(
                "\n".join([image, SCRIPT, str(args.reset_passwords), *sorted(args.services)]).encode()
            ).hexdigest()[:8]
        )
        metadata: Any = {
            "name": digest.apply(lambda h: f"database-bootstrap-{h}"),
            "namespace": NAMESPACE,
            "labels": m.labels(**{m.APP_LABEL: "database-bootstrap"}),
        }
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata=metadata,
            spec=job_spec(
                args.image,
                sorted(args.services),
                host=args.database_host,
                monitor=bool(args.monitor_secret_name),
                reset_passwords=args.reset_passwords,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*synced, account, *args.database]),
        )
        self.register_outputs({"job": self.job.metadata["name"], "services": sorted(args.services)})


def job_spec(
    image: pulumi.Input[str],
    services: list[str],
    *,
    host: pulumi.Input[str] = "",
    monitor: bool = False,
    reset_passwords: bool = False,
) -> Any:
    volumes = [
        {"name": "master", "secret": {"secretName": "db-master"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
        *[{"name": f"svc-{s}", "secret": {"secretName": f"db-{s}"}} for s in services],
        *([{"name": "monitor", "secret": {"secretName": "db-monitor"}}] if monitor else []),
    ]
    mounts = [
        {"name": "master", "mountPath": "/secrets/master", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
        *[{"name": f"svc-{s}", "mountPath": f"/secrets/services/{s}", "readOnly": True} for s in services],
        *([{"name": "monitor", "mountPath": "/secrets/monitor", "readOnly": True}] if monitor else []),
    ]
    return {
        "backoffLimit": 10,  # the instance or the synced secrets may still be on their way
        "activeDeadlineSeconds": 1800,
        "template": {
            "metadata": {"labels": m.labels(**{m.APP_LABEL: "database-bootstrap"})},
            "spec": {
                "serviceAccountName": "database-bootstrap",
                "automountServiceAccountToken": False,
                "restartPolicy": "Never",
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": UID,
                    "runAsGroup": UID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "psql",
                        "image": image,
                        "command": ["/bin/sh", "-c", SCRIPT],
                        "env": [
                            {"name": "PGSSLMODE", "value": "require"},  # the parameter group forces TLS
                            {"name": "PGHOST", "value": host},
                            {"name": "PGPORT", "value": "5432"},
                            {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                            {"name": "HOME", "value": "/tmp"},
                            {"name": "BOOTSTRAP_MODE", "value": "restore" if reset_passwords else "create"},
                        ],
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": mounts,
                    }
                ],
                "volumes": volumes,
            },
        },
    }
