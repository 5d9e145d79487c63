"""The price catalog's model (groundwork/cost/catalog.py) on its own: what a `prices.yaml` may
hold, what `groundwork cost refresh` writes back, and lookups (issue 18: its constraints had no
test). A catalog that took a negative price, an empty unit or an unknown field would price a
stack wrongly without a word."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from groundwork.cost.catalog import HEADER, Catalog, Price, dump, load

ENTRY = {"price": 0.1, "unit": "hour", "source": "https://aws.amazon.com/eks/pricing/", "date": "2026-11-21"}


def catalog(**entry: Any) -> dict[str, Any]:
    return {
        "version": "2026-11-21",
        "currency": "USD",
        "hours_per_month": 730,
        "pricing": "on-demand",
        "note": "test",
        "regions": {"eu-west-1": {"eks.cluster.standard": {**ENTRY, **entry}}},
    }


def test_a_valid_catalog_is_read_as_typed_prices() -> None:
    c = Catalog.model_validate(catalog())
    p = c.price("eu-west-1", "eks.cluster.standard")
    assert p == Price(price=0.1, unit="hour", source="https://aws.amazon.com/eks/pricing/", date=dt.date(2026, 11, 21))
    assert c.price("eu-west-1", "eks.cluster.extended") is None and c.price("us-east-1", "eks.cluster.standard") is None


@pytest.mark.parametrize(
    ("entry", "valid"),
    [
        ({"price": 0}, True),  # free items (the first hosted-zone queries) are priced at 0
        ({"price": -0.01}, False),
        ({"unit": "h"}, True),
        ({"unit": ""}, False),
        ({"source": "not a url"}, False),
        ({"date": "yesterday"}, False),
        ({"currency": "USD"}, False),  # a field the entry does not have
    ],
)
def test_price_entries_are_checked(entry: dict[str, Any], valid: bool) -> None:
    data = catalog(**entry)
    if valid:
        Catalog.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            Catalog.model_validate(data)


@pytest.mark.parametrize(("hours", "valid"), [(1, True), (0, False)])
def test_hours_per_month_is_positive(hours: int, valid: bool) -> None:
    data = {**catalog(), "hours_per_month": hours}
    if valid:
        assert Catalog.model_validate(data).hours_per_month == 1
    else:
        with pytest.raises(ValidationError):
            Catalog.model_validate(data)


def test_unknown_catalog_fields_are_refused_and_prices_cannot_change() -> None:
    with pytest.raises(ValidationError):
        Catalog.model_validate({**catalog(), "discount": 0.3})
    c = Catalog.model_validate(catalog())
    with pytest.raises(ValidationError):
        c.hours_per_month = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        c.regions["eu-west-1"]["eks.cluster.standard"].price = 0  # type: ignore[misc]


def test_dump_writes_the_four_fields_in_order_and_load_reads_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(catalog()))
    assert load(path).price("eu-west-1", "eks.cluster.standard").price == 0.1  # type: ignore[union-attr]
    dump(Catalog.model_validate(catalog(price=0.6)), path)
    text = path.read_text()
    assert text.startswith(HEADER)
    entry = yaml.safe_load(text)["regions"]["eu-west-1"]["eks.cluster.standard"]
    assert list(entry) == ["price", "unit", "source", "date"]
    assert entry == {
        "price": 0.6,
        "unit": "hour",
        "source": "https://aws.amazon.com/eks/pricing/",
        "date": "2026-11-21",
    }
    assert load(path).price("eu-west-1", "eks.cluster.standard").price == 0.6  # type: ignore[union-attr]
    dump(Catalog.model_validate(catalog(note="first 25 zones")), path)  # a note comes last, only when given
    assert list(yaml.safe_load(path.read_text())["regions"]["eu-west-1"]["eks.cluster.standard"])[-1] == "note"


def test_the_committed_catalog_is_what_dump_writes(tmp_path: Path) -> None:
    """`groundwork cost refresh` rewrites prices.yaml with dump: loading and dumping the committed
    file changes nothing (its layout, header, order and 120-column lines), so a refresh's diff
    shows only prices that moved."""
    from groundwork.cost.catalog import PRICES

    path = tmp_path / "prices.yaml"
    dump(load(PRICES), path)
    assert path.read_text() == PRICES.read_text()
    load.cache_clear()
