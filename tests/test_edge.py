"""The edge (issue 17): what the Edge component decides, checked against the AWS rules it follows.

Each test names the rule the offline plan cannot see and asserts the decision that keeps a real
`pulumi up` within it (docs/edge.md, "Decisions, and the AWS rules behind them").
"""

from __future__ import annotations

import json
import re

import pytest

from groundwork import iam
from groundwork.plan.graph import Graph
from groundwork.settings import SettingsError
from groundwork.settings.loader import load_settings
from tests.conftest import ROOT, plan, section, stack_config
from tests.helpers import by_name, deps, provider_inputs

CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def region(g: Graph, name: str, type_: str) -> str:
    return provider_inputs(g, g.one(type_, name))["region"]


def test_certificates_are_requested_where_they_are_used_and_used_only_once_validated(prod: Graph) -> None:
    certs = by_name(prod, CERT)
    assert {n: (c.props["domainName"], c.props["validationMethod"]) for n, c in certs.items()} == {
        "edge-api": ("api.example.com", "DNS"),
        "edge-frontend": ("app.example.com", "DNS"),
    }
    # an ALB takes certificates of its own region; CloudFront only those of us-east-1
    assert region(prod, "edge-api", CERT) == "eu-west-1"
    assert region(prod, "edge-frontend", CERT) == "us-east-1"
    validations = by_name(prod, VALIDATION)
    params = prod.one("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")
    assert validations["edge-api"].urn in deps(params, "spec")
    assert params.props["spec"]["certificateArn"] == [validations["edge-api"].outputs["certificateArn"]]
    dist = prod.one(DISTRIBUTION)
    assert validations["edge-frontend"].urn in deps(dist, "viewerCertificate")
    # the validation record comes from the certificate's own validation options, kept on destroy
    record = prod.one("aws:route53/record:Record", "edge-api-validation")
    option = certs["edge-api"].outputs["domainValidationOptions"][0]
    assert (record.props["name"], record.props["type"], record.props["records"]) == (
        option["resourceRecordName"],
        "CNAME",
        [option["resourceRecordValue"]],
    )
    assert record.props["allowOverwrite"] is True and record.options.get("retainOnDelete") is True
    # ACM issues only once it sees the record: the validation waits for it, and everything else for the validation
    assert deps(validations["edge-api"], "validationRecordFqdns") == [record.urn]
    assert deps(validations["edge-api"], "certificateArn") == [certs["edge-api"].urn]


def test_the_distribution_follows_cloudfronts_rules(prod: Graph) -> None:
    d = prod.one(DISTRIBUTION)
    assert region(prod, d.name, DISTRIBUTION) == "us-east-1"
    viewer = d.props["viewerCertificate"]
    assert (viewer["minimumProtocolVersion"], viewer["sslSupportMethod"]) == ("TLSv1.2_2021", "sni-only")
    assert d.props["aliases"] == ["app.example.com"]
    assert d.props["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    [api] = d.props["orderedCacheBehaviors"]
    # a redirect would turn a POST into a GET; nothing of the API is cached; Host is the origin's
    assert (api["pathPattern"], api["viewerProtocolPolicy"], api["targetOriginId"]) == ("/api/*", "https-only", "api")
    assert api["cachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert api["originRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert set(api["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    origins = {o["originId"]: o for o in d.props["origins"]}
    assert origins["api"]["domainName"] == "api.example.com"
    assert origins["api"]["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert origins["assets"]["domainName"].endswith(".s3.eu-west-1.amazonaws.com")
    assert "originAccessControlId" in origins["assets"]
    # error pages would also rewrite the API's answers under /api/*
    assert not d.props.get("customErrorResponses")
    # the CDN's web ACL has scope CLOUDFRONT and lives in us-east-1
    acl = next(r for r in prod.of_type("aws:wafv2/webAcl:WebAcl") if r.props["scope"] == "CLOUDFRONT")
    assert provider_inputs(prod, acl)["region"] == "us-east-1"
    assert acl.urn in deps(d, "webAclId")


def test_the_frontend_bucket_is_readable_only_by_the_stacks_distribution(prod: Graph) -> None:
    d = prod.one(DISTRIBUTION)
    bucket = prod.one("aws:s3/bucket:Bucket", "edge-frontend")
    policy = prod.one("aws:s3/bucketPolicy:BucketPolicy", "edge-frontend-policy")
    [read] = [s for s in json.loads(policy.props["policy"])["Statement"] if s.get("Principal") != "*"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert read["Condition"] == {"StringEquals": {"AWS:SourceArn": d.outputs["arn"]}}
    assert read["Resource"] == f"arn:aws:s3:::{bucket.props['bucket']}/*"
    # the origin's domain is the bucket's regional endpoint, derived before the bucket exists
    assert {o["originId"]: o["domainName"] for o in d.props["origins"]}["assets"] == (
        f"{bucket.props['bucket']}.s3.eu-west-1.amazonaws.com"
    )
    key = next(k for k in prod.of_type("aws:kms/key:Key") if (k.props.get("tags") or {}).get("Purpose") == "frontend")
    [cf] = [s for s in json.loads(key.props["policy"])["Statement"] if s["Sid"] == "CloudFrontOriginAccessControl"]
    assert cf["Principal"] == {"Service": "cloudfront.amazonaws.com"} and "kms:Decrypt" in cf["Action"]
    assert cf["Condition"]["StringEquals"] == {"aws:SourceAccount": "333333333333"}


def test_dnssec_and_query_logs_follow_route53s_rules(prod: Graph) -> None:
    key = prod.one("aws:kms/key:Key", "edge-dnssec")
    assert (key.props["customerMasterKeySpec"], key.props["keyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert provider_inputs(prod, key)["region"] == "us-east-1"
    assert key.props["enableKeyRotation"] is False  # KMS rotates symmetric keys only
    stmts = {s["Sid"]: s for s in json.loads(key.props["policy"])["Statement"]}
    assert stmts["Route53DnssecSign"]["Principal"] == {"Service": "dnssec-route53.amazonaws.com"}
    assert set(stmts["Route53DnssecSign"]["Action"]) == {"kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"}
    ksk = prod.one("aws:route53/keySigningKey:KeySigningKey")
    assert re.fullmatch(r"[A-Za-z0-9_]{3,128}", ksk.props["name"])  # CreateKeySigningKey: no hyphens
    signing = prod.one("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec")
    assert signing.props["signingStatus"] == "SIGNING" and ksk.urn in signing.dependencies
    logs = prod.one("aws:cloudwatch/logGroup:LogGroup", "edge-query-logs")
    assert provider_inputs(prod, logs)["region"] == "us-east-1"
    assert logs.props["name"].startswith("/aws/route53/") and logs.props["kmsKeyId"]
    policy = prod.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert provider_inputs(prod, policy)["region"] == "us-east-1"
    [grant] = json.loads(policy.props["policyDocument"])["Statement"]
    assert grant["Principal"] == {"Service": "route53.amazonaws.com"}
    assert grant["Resource"].endswith(":log-group:/aws/route53/*")
    query_log = prod.one("aws:route53/queryLog:QueryLog")
    assert policy.urn in query_log.dependencies  # the policy must exist before query logging starts


def test_dev_turns_off_what_only_prod_requires_and_keeps_the_rest(dev: Graph) -> None:
    assert not dev.of_type("aws:route53/keySigningKey:KeySigningKey")
    assert not dev.of_type("aws:route53/queryLog:QueryLog")
    assert not [r for r in dev.of_type("aws:wafv2/webAcl:WebAcl") if r.props["scope"] == "CLOUDFRONT"]
    assert len(dev.of_type(CERT)) == 2 and dev.one(DISTRIBUTION)


def test_external_dns_may_write_only_the_api_names_in_the_stacks_zone(prod: Graph) -> None:
    # registry/mapper/mapper.go ToTXTName at v0.21.0: "<type>-<first label>.<rest>"; an ALB alias is "cname"
    assert iam.external_dns_record_names("api.example.com") == [
        "api.example.com",
        "a-api.example.com",
        "aaaa-api.example.com",
        "cname-api.example.com",
    ]
    release = prod.one("kubernetes:helm.sh/v3:Release", "external-dns")
    values = release.props["values"]
    assert (values["policy"], values["registry"], values["sources"]) == ("sync", "txt", ["ingress"])
    assert values["txtOwnerId"] == "groundwork-prod" and values["domainFilters"] == ["example.com"]
    zone = prod.one("aws:route53/zone:Zone")
    assert f"--zone-id-filter={zone.outputs['zoneId']}" in values["extraArgs"]
    role_policy = next(
        p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy") if "ChangeOwnRecords" in p.props["policy"]
    )
    stmts = {s["Sid"]: s for s in json.loads(role_policy.props["policy"])["Statement"]}
    change = stmts["ChangeOwnRecords"]
    assert change["Resource"] == zone.outputs["arn"]
    cond = change["Condition"]["ForAllValues:StringEquals"]
    assert cond["route53:ChangeResourceRecordSetsNormalizedRecordNames"] == sorted(
        iam.external_dns_record_names("api.example.com")
    )
    assert cond["route53:ChangeResourceRecordSetsRecordTypes"] == ["A", "AAAA", "TXT"]
    assert stmts["FindZone"]["Resource"] == "*" and stmts["ReadZone"]["Resource"] == zone.outputs["arn"]


def _pack(stack: str, g: Graph, **overrides: object) -> list:
    from groundwork.policy import inprocess

    cfg = stack_config(stack, **overrides)
    s = inprocess.servicer(ROOT / "policies", cfg.project, cfg.stack, dict(cfg.config))
    return [f for f in inprocess.findings(s, g) if f.level != -1]


def test_an_adopted_zone_is_read_not_created_and_the_pack_stays_clean() -> None:
    edge = section("prod", "edge")
    edge["zoneId"] = "Z0123456789ABCDEFGHIJ"
    g = plan("prod", edge=edge)
    assert not g.of_type("aws:route53/zone:Zone")
    records = g.of_type("aws:route53/record:Record")
    assert records and {r.props["zoneId"] for r in records} == {"Z0123456789ABCDEFGHIJ"}
    assert _pack("prod", g, edge=edge) == []


def _problems(stack: str, **overrides: object) -> list:
    cfg = stack_config(stack, **overrides)
    try:
        load_settings(cfg.config, project="groundwork", stack=stack, source=f"Pulumi.{stack}.yaml")
    except SettingsError as e:
        return e.problems
    return []


@pytest.mark.parametrize(
    ("stack", "change", "key", "control"),
    [
        ("prod", {"edge": {}}, "groundwork:edge.domain", "EDGE-01"),
        ("prod", {"edge": {"domain": "example.org"}}, "groundwork:ingress.host", "EDGE-01"),
        ("prod", {"edge": {"domain": "example.com", "dnssec": False}}, "groundwork:edge.dnssec", "EDGE-05"),
        ("prod", {"edge": {"domain": "example.com", "queryLogging": False}}, "groundwork:edge.queryLogging", "EDGE-05"),
        (
            "prod",
            {"edge": {"domain": "example.com", "frontend": {"host": "app.example.com", "waf": False}}},
            "groundwork:edge.frontend.waf",
            "EDGE-04",
        ),
        (
            "prod",
            {"edge": {"domain": "example.com", "frontend": {"host": "api.example.com"}}},
            "groundwork:edge.frontend.host",
            "EDGE-01",
        ),
        ("dev", {"edge": {"zoneId": "Z0123456789ABCDEFGHIJ"}}, "groundwork:edge.zoneId", "EDGE-01"),
    ],
)
def test_edge_settings_rules_name_the_key_and_the_control(stack: str, change: dict, key: str, control: str) -> None:
    problems = _problems(stack, **change)
    assert [(p.key, p.control) for p in problems if p.key == key] == [(key, control)]


def test_a_hand_supplied_certificate_is_an_explicit_override() -> None:
    """EDGE-02 (C): with a managed zone, a certificate ARN is refused unless an EDGE-02 exemption says
    why (e.g. until the zone is delegated); with one, it is a warning and the ALB uses it."""
    arn = "arn:aws:acm:eu-west-1:333333333333:certificate/9e8d7c6b-3333-4a5b-8c7d-1e2f3a4b5c6d"
    ingress = {**section("prod", "ingress"), "certificateArn": arn}
    [p] = [p for p in _problems("prod", ingress=ingress)]
    assert (p.key, p.control) == ("groundwork:ingress.certificateArn", "EDGE-02") and "EDGE-02 exemption" in p.allowed
    exemption = {
        "control": "EDGE-02",
        "reason": "the zone is delegated next week; until then the old certificate serves",
        "expires": "2026-12-31",
    }
    exemptions = [*json.loads(stack_config("prod").config.get("groundwork:exemptions", "[]")), exemption]
    cfg = stack_config("prod", ingress=ingress, exemptions=exemptions)
    settings = load_settings(cfg.config, project="groundwork", stack="prod", source="Pulumi.prod.yaml")
    assert any("EDGE-02" in w and "delegated next week" in w for w in settings.warnings)
    g = plan("prod", ingress=ingress, exemptions=exemptions)
    assert [c.props["domainName"] for c in g.of_type(CERT)] == ["app.example.com"]  # the CDN's is still requested
    params = g.one("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")
    assert params.props["spec"]["certificateArn"] == [arn]


def test_stack_files_take_no_certificate_arn() -> None:
    for stack in ("dev", "staging", "prod"):
        assert "certificateArn" not in (ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")


def test_log_delivery_names_fit_cloudwatch_logs_even_for_long_stack_names() -> None:
    """PutDeliverySource/PutDeliveryDestination take 1-60 characters of [\\w-] (botocore's logs model);
    the default naming limit is 63."""
    import botocore.session

    from groundwork.naming import LIMITS, Naming

    model = botocore.session.get_session().get_service_model("logs")
    for op in ("PutDeliverySource", "PutDeliveryDestination"):
        shape = model.operation_model(op).input_shape.members["name"]
        assert shape.metadata["max"] == LIMITS["log-delivery"]
    name = Naming("groundwork-platform-team", "production-eu-west-1-blue").physical(
        "frontend-access", kind="log-delivery"
    )
    assert len(name) <= 60 and re.fullmatch(r"[\w-]+", name)
