"""Per-stack usage profiles (`cost/usage/<stack>.yaml`): the quantities the plan cannot know.

Baseline costs come from the plan (counts, sizes, Multi-AZ). What depends on traffic and data
(GB through NAT, load balancer capacity units, log GB, S3 GB per storage class, backup GB,
secret API calls, cross-region copies, ...) comes from this file. A quantity the profile does
not give is shown as "$X per <unit>" and adds nothing to the total.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROOT = Path(__file__).resolve().parent.parent.parent
DIR = ROOT / "cost" / "usage"
# a quantity per purpose: as a scalar quantity, never negative (it would subtract from the total)
Quantity = Annotated[float, Field(ge=0)]


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    nat_gb: float | None = Field(None, ge=0, description="GB processed per NAT gateway per month.")
    spot_discount: float | None = Field(
        None,
        ge=0,
        lt=1,
        description="Average Spot price below on-demand assumed for SPOT node groups (0.6 = 60 % below). "
        "Spot prices move and the price list has none: check `aws ec2 describe-spot-price-history` for "
        "your types and region. Unset: Spot is priced at on-demand (an upper bound).",
    )
    alb_lcu: float | None = Field(None, ge=0, description="Average load balancer capacity units per hour.")
    interface_endpoint_gb: float | None = Field(None, ge=0, description="GB per interface endpoint per month.")
    logs_ingest_gb: dict[str, Quantity] = Field(
        default_factory=dict,
        description="GB ingested per month per log group purpose (flow-logs, eks, rds, cache, waf, ...).",
    )
    logs_stored_gb: dict[str, Quantity] = Field(default_factory=dict, description="GB stored per log group purpose.")
    s3_gb: dict[str, dict[str, Quantity]] = Field(
        default_factory=dict, description="GB per bucket purpose and storage class (standard, standard_ia, ...)."
    )
    s3_put_thousands: dict[str, Quantity] = Field(
        default_factory=dict, description="Thousands of PUTs per bucket purpose."
    )
    rds_backup_gb_beyond_free: float | None = Field(
        None, ge=0, description="Automated backup GB above the free allowance."
    )
    rds_replicated_backup_gb: float | None = Field(None, ge=0, description="Automated backup GB kept in the DR region.")
    cache_snapshot_gb: float | None = Field(None, ge=0, description="Cache snapshot GB beyond the free one.")
    backup_gb: dict[str, Quantity] = Field(
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
    cdn_gb: float | None = Field(None, ge=0, description="GB the frontend CDN serves per month.")
    cdn_requests_million: float | None = Field(
        None, ge=0, description="Millions of HTTPS requests to the frontend CDN per month."
    )
    dns_queries_million: float | None = Field(
        None, ge=0, description="Millions of DNS queries to the stack's zone per month (alias answers are free)."
    )
    sns_publishes_million: float | None = Field(None, ge=0, description="Millions of SNS publishes per month.")


class UsageError(ValueError):
    """The usage profile cannot be used; the message names the file, each key, value and fix."""


def _problem(path: Path, err: dict[str, Any]) -> str:
    loc = ".".join(str(x) for x in err["loc"])
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        known = sorted(Usage.model_fields)
        close = difflib.get_close_matches(str(err["loc"][0]), known)  # best first
        allowed = f"one of: {', '.join(known)}"
        fix = f"rename it to {close[0]}" if close else f"remove {loc} from {path}"
        return f"  {loc} = {value!r}\n    problem: unknown key\n    allowed: {allowed}\n    fix:     {fix}"
    field = Usage.model_fields.get(str(err["loc"][0]))
    allowed = (field.description or "") if field else ""
    return (
        f"  {loc} = {value!r}\n    problem: {err['msg']}\n    allowed: {allowed or 'see docs/cost.md'}\n"
        f"    fix:     correct {loc} in {path}"
    )


def load(stack: str, path: Path | None = None, *, required: bool = False) -> tuple[Usage, Path | None]:
    """The stack's usage profile (empty when the stack has none and none was asked for).

    `required`: the path was given explicitly (`--usage`, `cost.usageProfile`), so it must exist.
    Raises UsageError listing every problem."""
    path = path or DIR / f"{stack}.yaml"
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a usage profile (cost/usage/<stack>.yaml)")
    if not path.exists():
        if required:
            raise UsageError(
                f"{path}: no such usage profile; give an existing file (cost/usage/<stack>.yaml) or leave it out "
                "to price usage from the stack's default profile"
            )
        return Usage.model_validate({}), None
    try:
        data: Any = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        from groundwork.files import yaml_problem

        raise UsageError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of usage keys (e.g. nat_gb: 200), got {type(data).__name__}")
    try:
        return Usage.model_validate(data), path
    except ValidationError as exc:
        problems = "\n".join(_problem(path, e) for e in exc.errors())  # type: ignore[arg-type]
        raise UsageError(f"{path}: {len(exc.errors())} problem(s) in the usage profile\n{problems}") from None
