"""The price catalog (`prices.yaml`): validated on load, looked up by region and key."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

PRICES = Path(__file__).resolve().parent / "prices.yaml"


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    price: float = Field(ge=0)
    unit: str = Field(min_length=1)
    source: HttpUrl
    date: dt.date
    note: str | None = None  # what the page's figure covers, where the URL alone does not say


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    currency: str
    hours_per_month: int = Field(ge=1)
    pricing: str
    note: str
    regions: dict[str, dict[str, Price]]

    def price(self, region: str, key: str) -> Price | None:
        return self.regions.get(region, {}).get(key)


class MissingPrice(LookupError):
    pass


@functools.cache
def load(path: Path = PRICES) -> Catalog:
    data: Any = yaml.safe_load(path.read_text())
    return Catalog.model_validate(data)


HEADER = (
    "# Groundwork price catalog: see `note`. Every entry: price (USD), unit, source page, date recorded,\n"
    "# and a note where the page's figure needs one.\n"
)


def dump(catalog: Catalog, path: Path = PRICES) -> None:
    data = catalog.model_dump(mode="json")
    for entries in data["regions"].values():
        for key in list(entries):
            entry = entries[key]
            entries[key] = {
                k: entry[k] for k in ("price", "unit", "source", "date", "note") if entry.get(k) is not None
            }
    path.write_text(HEADER + yaml.safe_dump(data, sort_keys=False, width=120))
    load.cache_clear()
