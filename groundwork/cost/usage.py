"""Per-stack usage profiles (`cost/usage/<stack>.yaml`): the quantities the plan cannot know.

Baseline costs come from the plan (counts, sizes, Multi-AZ). What depends on traffic and data
(GB through NAT, load balancer capacity units, log GB, S3 GB per storage class, backup GB,
secret API calls, cross-region copies, ...) comes from this file. A quantity the profile does
not give is shown as "$X per <unit>" and adds nothing to the total.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parent.parent.parent
DIR = ROOT / "cost" / "usage"


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    nat_gb: float | None = Field(None, ge=0, description="GB processed per NAT gateway per month.")
    alb_lcu: float | None = Field(None, ge=0, description="Average load balancer capacity units per hour.")
    interface_endpoint_gb: float | None = Field(None, ge=0, description="GB per interface endpoint per month.")
    logs_ingest_gb: dict[str, float] = Field(
        default_factory=dict,
        description="GB ingested per month per log group purpose (flow-logs, eks, rds, cache, waf, ...).",
    )
    logs_stored_gb: dict[str, float] = Field(default_factory=dict, description="GB stored per log group purpose.")
    s3_gb: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="GB per bucket purpose and storage class (standard, standard_ia, ...)."
    )
    s3_put_thousands: dict[str, float] = Field(
        default_factory=dict, description="Thousands of PUTs per bucket purpose."
    )
    rds_backup_gb_beyond_free: float | None = Field(
        None, ge=0, description="Automated backup GB above the free allowance."
    )
    rds_replicated_backup_gb: float | None = Field(None, ge=0, description="Automated backup GB kept in the DR region.")
    cache_snapshot_gb: float | None = Field(None, ge=0, description="Cache snapshot GB beyond the free one.")
    backup_gb: dict[str, float] = Field(
        default_factory=dict,
        description="AWS Backup GB per vault purpose (primary, dr) and kind (rds_warm, ebs_warm, ebs_cold).",
    )
    inter_region_gb: float | None = Field(None, ge=0, description="GB copied to the DR region per month.")
    secret_api_calls: float | None = Field(None, ge=0, description="Secrets Manager API calls per month (all secrets).")
    kms_requests: float | None = Field(None, ge=0, description="KMS requests per month (all keys).")
    waf_requests_million: float | None = Field(
        None, ge=0, description="Millions of requests through the WAF per month."
    )
    ecr_gb: float | None = Field(None, ge=0, description="GB of images per repository.")
    sns_publishes_million: float | None = Field(None, ge=0, description="Millions of SNS publishes per month.")


def load(stack: str, path: Path | None = None) -> tuple[Usage, Path | None]:
    """The stack's usage profile (empty when the stack has none)."""
    path = path or DIR / f"{stack}.yaml"
    if not path.exists():
        return Usage.model_validate({}), None
    data: Any = yaml.safe_load(path.read_text()) or {}
    return Usage.model_validate(data), path
