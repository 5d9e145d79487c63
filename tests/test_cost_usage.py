"""The usage profile's model (groundwork/cost/usage.py) on its own (issue 18): every quantity is
a non-negative number, a negative one is refused with the key, the value, what the key means and
the fix, an unknown key is named with the closest known one, and a loaded profile cannot change.
A negative quantity would have subtracted from a stack's estimate without a word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from groundwork.cost.usage import Usage, UsageError, load

SCALARS = [
    name
    for name, field in Usage.model_fields.items()
    if field.annotation == (float | None) and name != "spot_discount"  # spot_discount: [0, 1), below
]
MAPPINGS = {
    "logs_ingest_gb": {"eks": -1},
    "logs_stored_gb": {"eks": -1},
    "s3_put_thousands": {"logs": -1},
    "backup_gb": {"primary_rds_warm": -1},
    "s3_gb": {"logs": {"standard": -1}},
}


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    return path


def test_every_scalar_quantity_is_known() -> None:
    assert len(SCALARS) == 15 and "nat_gb" in SCALARS and "sns_publishes_million" in SCALARS


@pytest.mark.parametrize("name", SCALARS)
def test_a_quantity_may_be_zero_but_not_negative(name: str, tmp_path: Path) -> None:
    assert getattr(Usage.model_validate({name: 0}), name) == 0
    with pytest.raises(UsageError) as info:
        load("dev", _profile(tmp_path, f"{name}: -1\n"))
    message = str(info.value)
    description = Usage.model_fields[name].description
    assert description and f"  {name} = -1\n    problem: Input should be greater than or equal to 0\n" in message
    assert f"    allowed: {description}\n    fix:     correct {name} in {tmp_path / 'dev.yaml'}" in message


@pytest.mark.parametrize("name", sorted(MAPPINGS))
def test_quantities_per_purpose_are_not_negative(name: str) -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Usage.model_validate({name: MAPPINGS[name]})
    zero = {k: ({c: 0 for c in v} if isinstance(v, dict) else 0) for k, v in MAPPINGS[name].items()}
    assert getattr(Usage.model_validate({name: zero}), name) == zero


@pytest.mark.parametrize(("value", "valid"), [(0, True), (0.6, True), (1, False), (-0.1, False)])
def test_the_spot_discount_is_a_fraction_below_one(value: float, valid: bool) -> None:
    if valid:
        assert Usage.model_validate({"spot_discount": value}).spot_discount == value
    else:
        with pytest.raises(ValidationError):
            Usage.model_validate({"spot_discount": value})


def test_an_unknown_key_is_named_with_the_closest_known_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load("dev", _profile(tmp_path, "nat_gbs: 30\nfoo_bar_baz: 1\n"))
    message = str(info.value)
    assert "2 problem(s) in the usage profile" in message
    assert "  nat_gbs = 30\n    problem: unknown key\n" in message and "    fix:     rename it to nat_gb" in message
    assert f"    fix:     remove foo_bar_baz from {tmp_path / 'dev.yaml'}" in message


def test_a_problem_in_a_mapping_says_where(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load("dev", _profile(tmp_path, "logs_ingest_gb:\n  eks: -2\n"))
    message = str(info.value)
    assert "  logs_ingest_gb.eks = -2\n" in message
    assert f"    allowed: {Usage.model_fields['logs_ingest_gb'].description}\n" in message


def test_a_loaded_profile_cannot_change(tmp_path: Path) -> None:
    usage, path = load("dev", _profile(tmp_path, "nat_gb: 30\n"))
    assert (usage.nat_gb, path) == (30, tmp_path / "dev.yaml")
    with pytest.raises(ValidationError):
        usage.nat_gb = 0  # type: ignore[misc]


@pytest.mark.parametrize(("text", "expected"), [("", {}), ("{}\n", {})])
def test_an_empty_profile_prices_no_usage(text: str, expected: dict[str, Any], tmp_path: Path) -> None:
    usage, _ = load("dev", _profile(tmp_path, text))
    assert usage.model_dump(exclude_defaults=True) == expected


def test_every_usage_key_is_documented_with_its_unit(root: Path) -> None:
    """docs/usage-profile.md is generated from the model: each key says what it counts and in
    which unit, so a profile can be written without reading the estimator."""
    from groundwork.docs import usage_markdown

    doc = usage_markdown(root)
    for name, field in Usage.model_fields.items():
        assert field.description and len(field.description) > 20, name
        assert f"| `{name}` |" in doc and field.description in doc
    assert (root / "docs" / "usage-profile.md").read_text() == doc
