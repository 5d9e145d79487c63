"""AWS access for the DR tooling: one place that makes clients (tests inject their own) and
turns AWS failures into one-line operator errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import botocore.exceptions


class OperatorError(Exception):
    """A problem the operator fixes (no credentials, wrong region, nothing restorable): exit 2."""


# Failures the commands report as one line (exit 2): the operator's, and an unreachable AWS
# endpoint (a wrong region name, no network). `dr status` tolerates the latter for the primary
# region, which may be the one that is down.
OPERATOR_FAILURES: tuple[type[Exception], ...] = (OperatorError, botocore.exceptions.EndpointConnectionError)


ClientFactory = Callable[[str, str], Any]


def boto3_clients(profile: str | None = None) -> ClientFactory:
    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = session.client(service, region_name=region)
        return cache[(service, region)]

    return client


def call(what: str, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Call an AWS API; credential and permission failures become OperatorErrors."""
    try:
        return fn(**kwargs)
    except botocore.exceptions.NoCredentialsError:
        raise OperatorError(
            f"no AWS credentials to {what}: export AWS_PROFILE (or assume the stack's role) and retry"
        ) from None
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in (
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "ExpiredToken",
            "InvalidClientTokenId",
        ):
            raise OperatorError(f"AWS refused to {what} ({code}): check the credentials' role and account") from None
        raise


def missing(exc: botocore.exceptions.ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    return code.endswith(
        ("NotFound", "NotFoundFault", "NotFoundException", "NoSuchBucket", "ResourceNotFoundException", "404")
    ) or code in (
        "DBInstanceNotFound",
        "ReplicationGroupNotFoundFault",
        "NoSuchEntity",
    )


def utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def age(now: dt.datetime, then: dt.datetime | None) -> dt.timedelta | None:
    return None if then is None else now - then


def human(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
