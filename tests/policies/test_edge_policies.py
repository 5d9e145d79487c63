"""Edge policies (EDGE-01..05) on the variations the one-change cases do not cover: an adopted
zone, values unknown at preview, other services in a bucket policy, and their tiers (issue 18's
survivors of policies/groundwork_policies/edge.py)."""

from __future__ import annotations

import json

import groundwork_policies as pack
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from tests.policies.harness import World, built, context, stack_args
from tests.policies.test_policy_cases import WORLD

RECORDS = "aws-route53-record-require-stack-target"
VALIDATION = "aws-acm-certificate-require-dns-validation"
OAC = "aws-s3-frontend-bucket-require-origin-access-control"
DISTRIBUTION = "aws-cloudfront-distribution-require-tls-headers-logging"


def run(policy: str, world: World, **config: str) -> list[str]:
    ctx = context("prod", {**world.config("prod"), **config}, stack=world.stack)
    messages: list[str] = []
    built(policy, ctx).validate(stack_args(world), lambda message, urn=None: messages.append(message))
    return messages


def adopted(world: World, zone_id: str) -> World:
    """The zone adopted with edge.zoneId: no Zone resource, the records carry its ID."""
    w = world.without("zone", "ksk", "dnssec", "query-log")
    for name in ("app-a", "app-aaaa", "cert-api-record", "cert-app-record"):
        w.resources[name].props["zoneId"] = zone_id
    return w


def test_records_in_the_adopted_zone_pass_and_others_do_not() -> None:
    config = {"groundwork:edge": json.dumps({"domain": "example.com", "zoneId": "ZADOPTED"})}
    assert run(RECORDS, adopted(WORLD, "ZADOPTED"), **config) == []
    assert run(RECORDS, adopted(WORLD, "ZADOPTED")) != []  # without the setting, nothing says the zone is ours
    elsewhere = adopted(WORLD, "ZADOPTED").patch("app-a", "zoneId", "ZOTHER")
    assert run(RECORDS, elsewhere, **config) == [
        "[EDGE-01] record app-a is written into a zone the stack does not manage (ZOTHER)"
    ]


def test_a_validation_record_may_come_from_the_certificate_through_its_name_only() -> None:
    w = WORLD.copy()
    w.resources["cert-api-record"].deps = {"zoneId": ["zone"], "name": ["cert-api"]}
    assert run(RECORDS, w) == []


def test_record_values_that_are_not_text_are_ignored_not_fatal() -> None:
    w = WORLD.patch("cert-api-record", "records", ["_def.mhbtsbpdnt.acm-validations.aws.", 5])
    assert run(RECORDS, w) == []


def test_a_validation_of_a_literal_arn_validates_nothing_of_the_stack() -> None:
    w = WORLD.copy()
    w.resources["cert-api-validation"].deps = {"validationRecordFqdns": ["cert-api"]}
    assert run(VALIDATION, w) == [
        "[EDGE-02] certificate cert-api has no CertificateValidation: it could be used while pending"
    ]


def test_unknown_policies_and_viewer_settings_are_not_judged_at_preview() -> None:
    assert run(OAC, WORLD.patch("frontend-policy", "policy", UNKNOWN_STRING_VALUE)) == []
    assert run(DISTRIBUTION, WORLD.patch("distribution", "viewerCertificate", UNKNOWN_OBJECT_VALUE)) == []


def test_other_services_in_the_bucket_policy_are_not_cloudfronts() -> None:
    w = WORLD.copy()
    doc = json.loads(w.resources["frontend-policy"].props["policy"])
    doc["Statement"].append(
        {
            "Sid": "ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::x/*",
        }
    )
    w.resources["frontend-policy"].props["policy"] = json.dumps(doc)
    assert run(OAC, w) == []


def test_edge_policies_carry_the_tier_of_their_control() -> None:
    """EDGE-04's WAF and EDGE-05 are prod's (../shared/controls-edge.md); the rest apply to every stack."""
    tiers = {
        name: spec.tier
        for name, spec in pack.REGISTRY.specs.items()
        if any(c.startswith("EDGE") for c in spec.controls)
    }
    assert tiers == {
        RECORDS: "all",
        VALIDATION: "all",
        OAC: "all",
        DISTRIBUTION: "all",
        "aws-cloudfront-distribution-require-waf": "prod",
        "aws-route53-zone-require-dnssec-and-query-logging": "prod",
    }


def test_access_logs_must_be_delivered_from_the_distribution_itself() -> None:
    """A delivery source named after the distribution but reading another resource, or a delivery fed
    by another source, logs none of the distribution's requests."""
    w = WORLD.copy()
    w.resources["access-source"].deps = {"name": ["distribution"]}
    assert run(DISTRIBUTION, w) == ["[EDGE-04] distribution distribution logs no requests"]
    w = WORLD.copy()
    w.resources["access-delivery"].deps = {"deliveryDestinationArn": ["access-source"]}
    assert run(DISTRIBUTION, w) == ["[EDGE-04] distribution distribution logs no requests"]


ZONES = "aws-route53-zone-require-dnssec-and-query-logging"
NOT_SIGNED = ["[EDGE-05] zone zone is not signed with DNSSEC"]


def wired(**deps: dict[str, list[str]]) -> World:
    w = WORLD.copy()
    for name, d in deps.items():
        w.resources[name].deps = d
    return w


def test_only_the_zone_id_ties_signing_keys_and_query_logs_to_a_zone() -> None:
    """DNSSEC counts for a zone only through hostedZoneId (its own, or its key's), a key only through
    its hostedZoneId, a query log only through its zoneId: any other tie (a name derived from the zone,
    an ordering dependency) is another zone's configuration."""
    assert run(ZONES, wired(dnssec={"signingStatus": ["zone"]})) == NOT_SIGNED
    assert run(ZONES, wired(dnssec={"signingStatus": ["ksk"]})) == NOT_SIGNED
    assert run(ZONES, wired(ksk={"name": ["zone"]}, dnssec={"hostedZoneId": ["zone"]})) == NOT_SIGNED
    two_keys = wired(dnssec={"hostedZoneId": ["ksk-2"]})
    two_keys.resources["ksk-2"] = type(WORLD.resources["ksk"])(
        "aws:route53/keySigningKey:KeySigningKey", "ksk-2", {"status": "ACTIVE", "name": "other"}, {"name": ["zone"]}
    )
    assert run(ZONES, two_keys) == NOT_SIGNED
    assert run(ZONES, wired(**{"query-log": {"cloudwatchLogGroupArn": ["zone"]}})) == [
        "[EDGE-05] zone zone logs no queries"
    ]
