"""Regions: every AWS service the program uses exists in the region it is used in (pure module).

A stack uses services in its own region and in its DR region (backup copies, secret replicas,
the replica bucket), and a DR rebuild (`groundwork dr plan`) runs the whole stack in the DR
region. Most services the platform uses are in every commercial region; a few are not, and the
failure only shows when the provider calls an endpoint that does not exist. This table records
the exceptions with the page that lists their regions (AWS General Reference, "<service>
endpoints and quotas", read on CHECKED_ON); `tests/test_regions.py` maps every AWS resource type
of every stack's plan (the DR rebuild included) to its service and region and checks it here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections.abc import Iterator
from dataclasses import dataclass

CHECKED_ON = dt.date(2026, 11, 30)
ALL = frozenset({"*"})


@dataclass(frozen=True)
class Availability:
    regions: frozenset[str]
    source: str

    def has(self, region: str) -> bool:
        return self.regions == ALL or region in self.regions


_ENDPOINTS = "https://docs.aws.amazon.com/general/latest/gr/{}.html"

# pulumi-aws modules (the `aws:<module>/...` of a type token) offered in every commercial region,
# and the botocore API each stands for (`vpc` resources are EC2 API calls; CloudWatch log groups
# are the `logs` API, alarms the `cloudwatch` one)
EVERYWHERE: dict[str, tuple[str, ...]] = {
    "acm": ("acm",),
    "backup": ("backup",),
    "cloudtrail": ("cloudtrail",),
    "cloudwatch": ("cloudwatch", "logs"),
    "codebuild": ("codebuild",),
    "ec2": ("ec2",),
    "vpc": ("ec2",),
    "ecr": ("ecr",),
    "eks": ("eks",),
    "elasticache": ("elasticache",),
    "kms": ("kms",),
    "rds": ("rds",),
    "s3": ("s3",),
    "secretsmanager": ("secretsmanager",),
    "sns": ("sns",),
    "ssm": ("ssm",),
    "wafv2": ("wafv2",),
}

# pulumi-aws module -> where its API exists
SERVICES: dict[str, Availability] = {
    **{module: Availability(ALL, "every commercial region (AWS Regional Services List)") for module in EVERYWHERE},
    "iam": Availability(ALL, "global service (IAM endpoints: iam.amazonaws.com)"),
    "route53": Availability(ALL, "global service (Route 53 endpoints: route53.amazonaws.com)"),
    # global; its certificates, CLOUDFRONT web ACLs and log delivery are created in us-east-1
    "cloudfront": Availability(ALL, "global service (CloudFront endpoints: cloudfront.amazonaws.com)"),
    # AWS Chatbot (Amazon Q Developer in chat applications): its API is in four regions only
    "chatbot": Availability(
        frozenset({"us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1"}), _ENDPOINTS.format("chatbot")
    ),
    # the multi-user rotation function is deployed from the Serverless Application Repository
    "serverlessrepository": Availability(
        frozenset(
            {
                "us-east-1",
                "us-east-2",
                "us-west-1",
                "us-west-2",
                "af-south-1",
                "ap-east-1",
                "ap-south-1",
                "ap-northeast-1",
                "ap-northeast-2",
                "ap-northeast-3",
                "ap-southeast-1",
                "ap-southeast-2",
                "ca-central-1",
                "eu-central-1",
                "eu-west-1",
                "eu-west-2",
                "eu-west-3",
                "eu-south-1",
                "eu-north-1",
                "me-south-1",
                "sa-east-1",
            }
        ),
        _ENDPOINTS.format("serverlessrepo"),
    ),
}


def chatbot_region(region: str) -> str:
    """Where the stack's AWS Chatbot configuration lives: its own region where Chatbot has an
    API, else US East (Ohio), the region of Chatbot's console. The configuration delivers from
    SNS topics in any region."""
    return region if SERVICES["chatbot"].has(region) else "us-east-2"


def missing(used: dict[str, set[str]]) -> Iterator[str]:
    """`used`: module -> regions. Yields what is used where it does not exist, or is not in the table."""
    for module, regions in sorted(used.items()):
        where = SERVICES.get(module)
        if where is None:
            yield f"aws:{module}: not in groundwork/regions.py (add where the service exists, with its source)"
            continue
        for region in sorted(regions):
            if not where.has(region):
                yield f"aws:{module} in {region}: the service has no endpoint there ({where.source})"


# botocore's endpoint data (the installed SDK's endpoints.json) names the commercial regions in
# which each service has an endpoint: the APIs of the modules offered everywhere.
BOTOCORE_SERVICES = tuple(sorted({api for apis in EVERYWHERE.values() for api in apis}))


@functools.cache
def stack_regions() -> tuple[str, ...]:
    """Regions that can hold a whole stack (its own region, or its DR region, which a DR rebuild
    turns into a stack): every service of BOTOCORE_SERVICES has an endpoint there per botocore,
    and so has the Serverless Application Repository (the rotation function). Chatbot is not
    required: it falls back to us-east-2 (`chatbot_region`)."""
    import botocore.session

    session = botocore.session.get_session()
    regions: set[str] | None = None
    for service in BOTOCORE_SERVICES:
        available = set(session.get_available_regions(service, partition_name="aws"))
        regions = available if regions is None else regions & available
    return tuple(sorted((regions or set()) & SERVICES["serverlessrepository"].regions))


def suggestion(region: str) -> str | None:
    close = difflib.get_close_matches(region, stack_regions(), n=1, cutoff=0.6)
    return close[0] if close else None
