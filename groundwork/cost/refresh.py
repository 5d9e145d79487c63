"""Rebuild the price catalog from the AWS Price List API (`groundwork cost refresh`).

Needs AWS credentials allowed `pricing:GetProducts`. Each catalog key maps to a Price List
query (service code and attribute filters); the on-demand price dimension of the one product
the query selects becomes the entry's price, with the API as its source and today's date.
Entries the API cannot answer keep their old value and are reported.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from groundwork.cost.catalog import Catalog, Price

API_SOURCE = "https://pricing.us-east-1.amazonaws.com/"  # the Price List API (GetProducts)

# Price List API `location` attribute of each region (AWS Price List API, GetProducts filter
# values as returned by `aws pricing get-attribute-values --service-code AmazonEC2
# --attribute-name location`): the regions teams use most.
LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-south-1": "Asia Pacific (Mumbai)",
}
TEMPLATE = "us-east-1"  # a region added to the catalog is priced for the keys this one has


@dataclass(frozen=True)
class Query:
    service: str
    filters: dict[str, str]


def query_for(key: str) -> Query | None:
    """The Price List query of a catalog key (None: not refreshable from the API)."""
    if key.startswith("ec2.") and key.count(".") == 2:
        return Query(
            "AmazonEC2",
            {
                "instanceType": key.removeprefix("ec2."),
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
            },
        )
    if key.startswith("rds.postgres."):
        cls, az = key.removeprefix("rds.postgres.").rsplit(".", 1)
        return Query(
            "AmazonRDS",
            {
                "instanceType": cls,
                "databaseEngine": "PostgreSQL",
                "deploymentOption": "Multi-AZ" if az == "multi_az" else "Single-AZ",
            },
        )
    if key.startswith("elasticache.") and key.endswith((".redis", ".valkey")):
        node, engine = key.removeprefix("elasticache.").rsplit(".", 1)
        return Query("AmazonElastiCache", {"instanceType": node, "cacheEngine": engine.capitalize()})
    fixed = {
        "eks.cluster.standard": Query("AmazonEKS", {"usagetype": "AmazonEKS-Hours:perCluster"}),
        "vpc.nat.hour": Query("AmazonEC2", {"productFamily": "NAT Gateway", "group": "NGW:NatGateway"}),
        "ebs.gp3.storage": Query("AmazonEC2", {"productFamily": "Storage", "volumeApiName": "gp3"}),
        "kms.key": Query("awskms", {"usagetype": "KMS-Keys"}),
        "secretsmanager.secret": Query("AWSSecretsManager", {"usagetype": "AWSSecretsManager-Secrets"}),
    }
    return fixed.get(key)


def _usd(product_json: str) -> float:
    """The on-demand USD price of a Price List product document."""
    product = json.loads(product_json)
    for term in product["terms"]["OnDemand"].values():
        for dim in term["priceDimensions"].values():
            return float(dim["pricePerUnit"]["USD"])
    raise ValueError("no on-demand price dimension")


def refresh(
    catalog: Catalog,
    client: Any,
    *,
    regions: list[str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[Catalog, list[str]]:
    """A new catalog with every refreshable entry re-read from the API, and the keys left as they were.

    A region in `regions` that the catalog lacks is added, priced for the keys of TEMPLATE; a key
    the API cannot price there stays out (the estimate lists what needs it as unpriced)."""
    today = today or dt.date.today()
    new_regions: dict[str, dict[str, Price]] = {}
    kept: list[str] = []
    added = [r for r in regions or [] if r not in catalog.regions]
    for region in [*catalog.regions, *added]:
        fresh = region not in catalog.regions
        entries = catalog.regions[TEMPLATE] if fresh else catalog.regions[region]
        if regions and region not in regions:
            new_regions[region] = dict(entries)
            continue
        updated: dict[str, Price] = {}
        for key, old in entries.items():
            q = query_for(key)
            if q is None or region not in LOCATIONS:
                if not fresh:
                    updated[key] = old
                kept.append(f"{region} {key}" + (" (not priced: no API query)" if fresh else ""))
                continue
            filters = [{"Type": "TERM_MATCH", "Field": "location", "Value": LOCATIONS[region]}]
            filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in q.filters.items()]
            response = client.get_products(ServiceCode=q.service, Filters=filters, MaxResults=10)
            products = response.get("PriceList", [])
            if len(products) != 1:
                if not fresh:
                    updated[key] = old
                kept.append(f"{region} {key} ({len(products)} products matched)")
                continue
            updated[key] = Price(price=_usd(products[0]), unit=old.unit, source=API_SOURCE, date=today)  # type: ignore[arg-type]
            progress(f"{region} {key}: {old.price} -> {updated[key].price}")
        new_regions[region] = updated
    return catalog.model_copy(update={"regions": new_regions, "version": today.isoformat()}), kept
