"""`groundwork cost refresh` (groundwork/cost/refresh.py) against a recording stand-in for the
Price List client (issue 18): which catalog keys have a query and what it asks, which price of a
product document is read, and what happens to an entry the API cannot answer, in a region the
catalog has and in one it adds. tests/test_cost.py runs the same function through botocore's
Stubber; these pin each decision on its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from groundwork.cost.catalog import Catalog
from groundwork.cost.refresh import API_SOURCE, LOCATIONS, TEMPLATE, Query, _usd, query_for, refresh

TODAY = dt.date(2026, 11, 30)
EC2 = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}


@pytest.mark.parametrize(
    ("key", "query"),
    [
        ("ec2.t4g.nano", Query("AmazonEC2", {"instanceType": "t4g.nano", **EC2})),
        ("ec2.t4g", None),  # not an instance type key
        ("ec2.t4g.nano.spot", None),
        (
            "rds.postgres.db.t4g.micro.multi_az",
            Query(
                "AmazonRDS",
                {"instanceType": "db.t4g.micro", "databaseEngine": "PostgreSQL", "deploymentOption": "Multi-AZ"},
            ),
        ),
        (
            "rds.postgres.db.m7g.large.single_az",
            Query(
                "AmazonRDS",
                {"instanceType": "db.m7g.large", "databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"},
            ),
        ),
        (
            "elasticache.cache.t4g.micro.valkey",
            Query("AmazonElastiCache", {"instanceType": "cache.t4g.micro", "cacheEngine": "Valkey"}),
        ),
        (
            "elasticache.cache.t4g.small.redis",
            Query("AmazonElastiCache", {"instanceType": "cache.t4g.small", "cacheEngine": "Redis"}),
        ),
        ("elasticache.cache.t4g.small.memcached", None),
        ("elasticache.snapshot.redis.gb", None),  # an ElastiCache key that is no node
        ("eks.cluster.standard", Query("AmazonEKS", {"usagetype": "AmazonEKS-Hours:perCluster"})),
        ("vpc.nat.hour", Query("AmazonEC2", {"productFamily": "NAT Gateway", "group": "NGW:NatGateway"})),
        ("ebs.gp3.storage", Query("AmazonEC2", {"productFamily": "Storage", "volumeApiName": "gp3"})),
        ("kms.key", Query("awskms", {"usagetype": "KMS-Keys"})),
        ("secretsmanager.secret", Query("AWSSecretsManager", {"usagetype": "AWSSecretsManager-Secrets"})),
        ("waf.rule", None),
        ("backup.snapshot.redis", None),  # an engine suffix outside ElastiCache
    ],
)
def test_the_query_of_each_key(key: str, query: Query | None) -> None:
    assert query_for(key) == query


def test_a_query_cannot_change() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        query_for("kms.key").service = "x"  # type: ignore[union-attr,misc]


def product(*prices: str) -> str:
    dims = {f"d{i}": {"pricePerUnit": {"USD": p}} for i, p in enumerate(prices)}
    return json.dumps({"terms": {"OnDemand": {"term": {"priceDimensions": dims}}}})


def test_the_first_on_demand_dimension_is_the_price() -> None:
    assert _usd(product("0.0046", "9")) == 0.0046
    with pytest.raises(ValueError, match="no on-demand price dimension"):
        _usd(product())


class PriceList:
    """get_products as the API answers it: `answers` maps (region location, key filter) to products."""

    def __init__(self, answers: dict[tuple[str, str], list[str]]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        where = next(f["Value"] for f in kwargs["Filters"] if f["Field"] == "location")
        what = next(f["Value"] for f in kwargs["Filters"] if f["Field"] in ("instanceType", "usagetype"))
        return {"PriceList": self.answers.get((where, what), [])}


def entry(price: float) -> dict[str, Any]:
    return {
        "price": price,
        "unit": "hour",
        "source": "https://aws.amazon.com/pricing/",
        "date": "2026-11-21",
        "note": "n",
    }


def catalog(regions: dict[str, dict[str, float]]) -> Catalog:
    return Catalog.model_validate(
        {
            "version": "2026-11-21",
            "currency": "USD",
            "hours_per_month": 730,
            "pricing": "on-demand",
            "note": "test",
            "regions": {r: {k: entry(v) for k, v in keys.items()} for r, keys in regions.items()},
        }
    )


def test_refresh_rereads_what_the_api_answers_and_keeps_the_rest() -> None:
    old = catalog({"eu-west-1": {"kms.key": 1.0, "ec2.t4g.nano": 0.004, "waf.rule": 1.0, "eks.cluster.standard": 0.1}})
    client = PriceList(
        {
            ("EU (Ireland)", "KMS-Keys"): [product("1.5")],
            ("EU (Ireland)", "t4g.nano"): [product("0.0042"), product("0.0043")],  # two products: ambiguous
        }
    )
    seen: list[str] = []
    new, kept = refresh(old, client, today=TODAY, progress=seen.append)
    prices = new.regions["eu-west-1"]
    assert prices["kms.key"].model_dump(mode="json") == {
        "price": 1.5,
        "unit": "hour",  # the unit stays the catalog's
        "source": API_SOURCE,
        "date": "2026-11-30",
        "note": None,  # the API's price needs no hand-written note
    }
    assert prices["ec2.t4g.nano"] == old.regions["eu-west-1"]["ec2.t4g.nano"]
    assert prices["waf.rule"] == old.regions["eu-west-1"]["waf.rule"]
    assert prices["eks.cluster.standard"] == old.regions["eu-west-1"]["eks.cluster.standard"]
    assert kept == [
        "eu-west-1 ec2.t4g.nano (2 products matched)",
        "eu-west-1 waf.rule",
        "eu-west-1 eks.cluster.standard (0 products matched)",
    ]
    assert seen == ["eu-west-1 kms.key: 1.0 -> 1.5"]
    assert new.version == "2026-11-30"
    kms = next(call for call in client.calls if call["ServiceCode"] == "awskms")
    assert kms == {
        "ServiceCode": "awskms",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "location", "Value": "EU (Ireland)"},
            {"Type": "TERM_MATCH", "Field": "usagetype", "Value": "KMS-Keys"},
        ],
        "MaxResults": 10,
    }


def test_a_region_without_a_price_list_location_is_kept_as_it_is() -> None:
    assert "sa-east-1" not in LOCATIONS
    old = catalog({"sa-east-1": {"kms.key": 1.0}})
    client = PriceList({})
    new, kept = refresh(old, client, today=TODAY)
    assert new.regions == old.regions and kept == ["sa-east-1 kms.key"] and client.calls == []


def test_an_added_region_is_priced_only_from_the_api() -> None:
    old = catalog({TEMPLATE: {"kms.key": 1.0, "waf.rule": 1.0, "ec2.t4g.nano": 0.004}, "eu-west-1": {"kms.key": 1.0}})
    client = PriceList({("US West (Oregon)", "KMS-Keys"): [product("1.2")]})
    new, kept = refresh(old, client, regions=["us-west-2"], today=TODAY)
    assert list(new.regions["us-west-2"]) == ["kms.key"]  # never a price copied from another region
    assert new.regions["us-west-2"]["kms.key"].price == 1.2
    assert kept == ["us-west-2 waf.rule (not priced: no API query)", "us-west-2 ec2.t4g.nano (0 products matched)"]
    # the regions not asked for are copied untouched, and the API is asked about us-west-2 only
    assert new.regions[TEMPLATE] == old.regions[TEMPLATE] and new.regions["eu-west-1"] == old.regions["eu-west-1"]
    assert {c["Filters"][0]["Value"] for c in client.calls} == {"US West (Oregon)"}


def test_without_a_date_refresh_stamps_today() -> None:
    old = catalog({"eu-west-1": {"kms.key": 1.0}})
    new, _ = refresh(old, PriceList({("EU (Ireland)", "KMS-Keys"): [product("1")]}))
    assert new.version == dt.date.today().isoformat() == new.regions["eu-west-1"]["kms.key"].date.isoformat()
