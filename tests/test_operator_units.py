"""The operator tooling's small helpers on their own (issue 18): how the DR commands print an
age, read AWS timestamps, classify AWS errors and build clients; how a settings problem is
worded. Every command prints these, so a changed boundary is a changed message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.exceptions
import pytest

from groundwork.dr import aws
from groundwork.settings.errors import MISSING, Problem, SettingsError, show_value

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-1, "in the future"),
        (0, "0 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2.0 h"),
        (172799, "48.0 h"),
        (172800, "2.0 days"),
    ],
)
def test_ages_are_printed_in_the_unit_a_person_reads(seconds: int, text: str) -> None:
    assert aws.human(dt.timedelta(seconds=seconds)) == text


def test_no_age_without_a_point() -> None:
    assert aws.human(None) == "-" and aws.age(NOW, None) is None
    assert aws.age(NOW, NOW - dt.timedelta(minutes=5)) == dt.timedelta(minutes=5)


def test_aws_timestamps_are_read_as_utc() -> None:
    """boto3 returns aware datetimes; some APIs (and moto) give naive ones or ISO strings with Z."""
    assert aws.utc(None) is None
    assert aws.utc(dt.datetime(2026, 11, 21, 12, 0)) == NOW
    assert aws.utc(dt.datetime(2026, 11, 21, 12, 0)).tzinfo is dt.UTC  # type: ignore[union-attr]
    assert aws.utc(NOW) is NOW
    assert aws.utc("2026-11-21T12:00:00Z") == NOW


def _error(code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")


@pytest.mark.parametrize(
    ("code", "gone"),
    [
        ("DBInstanceNotFound", True),
        ("DBInstanceNotFoundFault", True),
        ("ReplicationGroupNotFoundFault", True),
        ("NoSuchBucket", True),
        ("NoSuchEntity", True),
        ("ResourceNotFoundException", True),
        ("404", True),
        ("Throttling", False),
        ("AccessDenied", False),
    ],
)
def test_missing_means_the_resource_is_not_there(code: str, gone: bool) -> None:
    assert aws.missing(_error(code)) is gone


def test_refusals_become_one_line_errors_and_the_rest_propagate() -> None:
    def refuse(**_: Any) -> None:
        raise _error("AccessDenied")

    with pytest.raises(aws.OperatorError, match=r"^AWS refused to read the vault \(AccessDenied\)"):
        aws.call("read the vault", refuse)

    def throttle(**_: Any) -> None:
        raise _error("Throttling")

    with pytest.raises(botocore.exceptions.ClientError):
        aws.call("read the vault", throttle)

    def no_credentials(**_: Any) -> None:
        raise botocore.exceptions.NoCredentialsError()

    with pytest.raises(aws.OperatorError, match=r"^no AWS credentials to read the vault: export AWS_PROFILE"):
        aws.call("read the vault", no_credentials)
    assert aws.call("add", lambda **kw: kw["a"] + kw["b"], a=1, b=2) == 3


def test_clients_are_made_once_per_service_and_region_with_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[tuple[str | None, str, str]] = []

    class Session:
        def __init__(self, profile_name: str | None = None) -> None:
            self.profile = profile_name

        def client(self, service: str, region_name: str) -> object:
            made.append((self.profile, service, region_name))
            return object()

    monkeypatch.setattr(aws.boto3, "Session", Session)
    clients = aws.boto3_clients("ops")
    first = clients("rds", "eu-west-1")
    assert clients("rds", "eu-west-1") is first and first is not None
    clients("rds", "eu-central-1")
    assert made == [("ops", "rds", "eu-west-1"), ("ops", "rds", "eu-central-1")]
    made.clear()
    aws.boto3_clients()("s3", "eu-west-1")
    assert made == [(None, "s3", "eu-west-1")]


def test_a_value_is_shown_as_written_and_cut_at_120_characters() -> None:
    assert show_value(MISSING) == "<not set>" and repr(MISSING) == "<not set>"
    assert show_value("a") == '"a"' and show_value(3) == "3"
    assert show_value({"b": 1, "a": dt.date(2026, 1, 2)}) == '{"a": "2026-01-02", "b": 1}'
    assert show_value("x" * 300) == '"' + "x" * 300 + '"'  # a string whole: it is what was written
    assert show_value(["x" * 116]) == '["' + "x" * 116 + '"]'  # 120 characters: whole
    assert show_value(["x" * 117]) == '["' + "x" * 115 + "..."  # 121: cut to 117 and an ellipsis
    assert show_value({1}) == '"{1}"'  # what JSON cannot hold, as its str
    loop: list[Any] = []
    loop.append(loop)
    assert show_value(loop) == "[[...]]"  # what JSON cannot write at all, as its repr


def test_a_problem_says_key_value_problem_control_allowed_and_fix() -> None:
    p = Problem("groundwork:network.azCount", 1, "too few zones", "2 to 6", "set 3", control="NET-01")
    assert p.render() == (
        "  groundwork:network.azCount = 1\n    problem: too few zones (NET-01)\n    allowed: 2 to 6\n    fix:     set 3"
    )
    assert "(" not in Problem("k", MISSING, "m", "a", "f").render().splitlines()[1]
    with pytest.raises(AttributeError):
        p.key = "other"  # type: ignore[misc]
    one = SettingsError([p], source="Pulumi.prod.yaml")
    assert (
        str(one)
        == one.render()
        == "Pulumi.prod.yaml: 1 problem in the stack settings; nothing was created.\n\n" + p.render() + "\n"
    )
    # its message is the report, however it is shown (str, or repr in a log or a debugger)
    assert one.args == (one.render(),) and repr(one) == f"SettingsError({one.render()!r})"
    two = SettingsError([p, p])
    assert two.render().startswith("stack settings: 2 problems in the stack settings; nothing was created.\n\n")
    assert two.problems == [p, p]
