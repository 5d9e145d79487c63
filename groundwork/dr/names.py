"""The physical names of a stack's stateful resources, derived exactly as the components do
(groundwork.naming), so the DR tooling finds them without the Pulumi state; a
`pulumi stack output --json` file overrides them when given."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from groundwork.naming import Naming
from groundwork.settings.model import StackSettings


@dataclass(frozen=True)
class StackResources:
    region: str
    dr_region: str
    database: str
    cache: str
    backup_bucket: str
    replica_bucket: str
    vault: str
    dr_vault: str
    zone_id: str | None = None  # the stack's public zone (exported as zoneId)


def expected(settings: StackSettings, account: str) -> StackResources:
    n = Naming(settings.project, settings.stack)
    return StackResources(
        region=settings.region,
        dr_region=settings.dr_region,
        database=n.physical("db", kind="rds"),
        cache=n.physical("cache", kind="elasticache-replication-group"),
        backup_bucket=settings.backups.adopt_bucket or f"{n.physical('backups')}-{account}",
        replica_bucket=f"{n.physical('backups-dr')}-{account}",
        vault=n.physical("vault", kind="backup-vault"),
        dr_vault=n.physical("vault-dr", kind="backup-vault"),
    )


OUTPUT_KEYS = {
    "databaseIdentifier": "database",
    "cacheGroupId": "cache",
    "backupBucket": "backup_bucket",
    "backupReplicaBucket": "replica_bucket",
    "backupVault": "vault",
    "backupDrVault": "dr_vault",
    "zoneId": "zone_id",
}


def with_outputs(resources: StackResources, outputs_file: Path | None) -> StackResources:
    """Names from `pulumi stack output --json` where the stack exports them."""
    if outputs_file is None:
        return resources
    outputs = json.loads(outputs_file.read_text())
    return replace(resources, **{field: outputs[key] for key, field in OUTPUT_KEYS.items() if outputs.get(key)})
