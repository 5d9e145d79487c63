"""The Edge and ExternalDns components on their own (groundwork.plan.run_function): the zone
created or adopted, DNS-validated certificates used only once validated, DNSSEC, query logs,
the frontend CDN (private bucket, Origin Access Control, security headers, TLS, WAF, the API
under a path, access logs, alias records), and ExternalDNS's role and release, without planning
a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.edge import (
    ALL_METHODS,
    ALL_VIEWER_EXCEPT_HOST_HEADER,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    HSTS_SECONDS,
    MIN_VIEWER_TLS,
    Edge,
    EdgeArgs,
    ExternalDns,
    ExternalDnsArgs,
    ksk_name,
)
from groundwork import iam
from groundwork.charts import chart
from groundwork.naming import Naming
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import EdgeSettings
from tests.helpers import by_name, deps, outside

LOGS_KEY = "arn:aws:kms:us-east-1:111111111111:key/logs"
FRONTEND_KEY = "arn:aws:kms:eu-west-1:111111111111:key/frontend"
ACCOUNT = "123456789012"  # the offline plan's caller identity
FRONTEND = {"host": "app.example.com", "apiPath": "/api/*", "waf": True, "wafRateLimit": 700, "logRetentionDays": 30}
FULL = {
    "domain": "example.com",
    "dnssec": True,
    "queryLogging": True,
    "queryLogRetentionDays": 60,
    "frontend": FRONTEND,
}


def plan_edge(
    settings: dict[str, Any] | None = None, naming: Naming = Naming("groundwork", "test"), dr: bool = False, **args: Any
) -> Graph:
    def body() -> None:
        east = aws.Provider("us-east-1", region="us-east-1")
        opts = pulumi.ResourceOptions(provider=aws.Provider("dr", region="eu-central-1")) if dr else None
        Edge(
            "edge",
            EdgeArgs(
                **{
                    "settings": EdgeSettings.model_validate(settings if settings is not None else FULL),
                    "naming": naming,
                    "region": "eu-west-1",
                    "api_host": "api.example.com",
                    "request_api_certificate": True,
                    "us_east_1": east,
                    "us_east_1_logs_key_arn": LOGS_KEY,
                    "frontend_key_arn": FRONTEND_KEY,
                    **args,
                }
            ),
            opts=opts,
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_edge()


def east(g: Graph) -> str:
    return g.one("pulumi:providers:aws", "us-east-1").urn


def named(g: Graph, type_: str) -> dict[str, Resource]:
    return by_name(g, type_)


def test_the_zone_is_created_and_kept(full: Graph) -> None:
    zone = full.one("aws:route53/zone:Zone")
    assert zone.props == {
        "name": "example.com",
        "comment": "groundwork-test: public zone (groundwork)",
        "forceDestroy": False,
    }
    assert zone.options.get("protect") is True and zone.options.get("retainOnDelete") is True
    assert zone.provider_urn == ""
    out = full.one("groundwork:edge:Edge").outputs
    assert out["zoneId"] == zone.outputs["zoneId"] and out["nameServers"] == zone.outputs["nameServers"]


def test_an_adopted_zone_is_read_not_created() -> None:
    g = plan_edge({"domain": "example.com", "zoneId": "Z0123456789ABC"})
    assert g.of_type("aws:route53/zone:Zone") == []
    [invoke] = [i for i in g.invokes if i["token"] == "aws:route53/getZone:getZone"]
    assert invoke["args"] == {"zoneId": "Z0123456789ABC", "privateZone": False}
    cert_record = named(g, "aws:route53/record:Record")["edge-api-validation"]
    assert cert_record.props["zoneId"] == "Z0123456789ABC"


def test_an_adopted_zone_is_read_through_the_components_provider() -> None:
    """A DR stack builds the edge under its region's provider: the zone lookup goes there too."""
    g = plan_edge({"domain": "example.com", "zoneId": "Z0123456789ABC"}, dr=True)
    [invoke] = [i for i in g.invokes if i["token"] == "aws:route53/getZone:getZone"]
    assert invoke["provider"].startswith(g.one("pulumi:providers:aws", "dr").urn)


def test_a_destroyable_zone_when_unprotected() -> None:
    zone = plan_edge({"domain": "example.com"}, force_destroy=True, protect=False).one("aws:route53/zone:Zone")
    assert zone.props["forceDestroy"] is True and not zone.options.get("protect")


def test_no_domain_is_refused() -> None:
    with pytest.raises(PlanFailed, match=r"Edge needs edge\.domain"):
        plan_edge({})


def test_certificates_validated_by_dns_where_they_are_used(full: Graph) -> None:
    """EDGE-02: the API's certificate in the stack's region (an ALB uses only its region's), the
    frontend's in us-east-1 (CloudFront's rule); RSA 2048 with transparency logging; the
    validation record kept on destroy and shared (allowOverwrite): ACM gives one record per name
    and account. The ARN handed out is the validation's, so nothing uses a pending certificate."""
    certs = named(full, "aws:acm/certificate:Certificate")
    assert sorted(certs) == ["edge-api", "edge-frontend"]
    for name, host, provider in (("edge-api", "api.example.com", ""), ("edge-frontend", "app.example.com", east(full))):
        c = certs[name]
        assert c.props["domainName"] == host and c.props["validationMethod"] == "DNS"
        assert c.props["keyAlgorithm"] == "RSA_2048"
        assert c.props["options"] == {"certificateTransparencyLoggingPreference": "ENABLED"}
        assert c.props["tags"] == {"Name": f"groundwork-test-{name.removeprefix('edge-')}-certificate", "Host": host}
        assert c.provider_urn == provider, name
        record = named(full, "aws:route53/record:Record")[f"{name}-validation"]
        assert record.props["ttl"] == 300 and record.props["allowOverwrite"] is True
        assert record.options.get("retainOnDelete") is True and record.provider_urn == ""
        validation = named(full, "aws:acm/certificateValidation:CertificateValidation")[name]
        assert deps(validation, "certificateArn") == [c.urn]
        assert deps(validation, "validationRecordFqdns") == [record.urn]
        assert validation.provider_urn == provider
    api = full.one("groundwork:edge:Edge").outputs["apiCertificateArn"]
    assert (
        api == named(full, "aws:acm/certificateValidation:CertificateValidation")["edge-api"].outputs["certificateArn"]
    )


@pytest.mark.parametrize("args", [{"api_host": None}, {"request_api_certificate": False}])
def test_no_api_certificate_without_a_host_or_when_given_one(args: dict[str, Any]) -> None:
    g = plan_edge({"domain": "example.com"}, **args)
    assert g.of_type("aws:acm/certificate:Certificate") == []
    assert g.one("groundwork:edge:Edge").outputs.get("apiCertificateArn") is None


def test_dnssec_signs_with_an_asymmetric_key_in_us_east_1(full: Graph) -> None:
    """Route 53 signs with an ECC_NIST_P256 SIGN_VERIFY key in us-east-1 whose policy lets the
    DNSSEC service use it (Route 53 Developer Guide, "Working with customer managed keys for
    DNSSEC"); asymmetric keys have no automatic rotation; signing starts once the KSK is active."""
    key = full.one("aws:kms/key:Key")
    assert {k: v for k, v in key.props.items() if k != "policy"} == {
        "description": "groundwork-test: DNSSEC key-signing key of example.com",
        "customerMasterKeySpec": "ECC_NIST_P256",
        "keyUsage": "SIGN_VERIFY",
        "enableKeyRotation": False,
        "deletionWindowInDays": 30,
        "tags": {"Name": "groundwork-test-dnssec", "Purpose": "dnssec"},
    }
    assert json.loads(key.props["policy"]) == iam.dnssec_key_policy(partition="aws", account_id=ACCOUNT)
    assert key.provider_urn == east(full) and key.options.get("protect") is True
    assert key.options.get("retainOnDelete") is True
    ksk = full.one("aws:route53/keySigningKey:KeySigningKey")
    assert ksk.props["name"] == ksk_name("groundwork-test") == "groundwork_test_ksk"
    assert ksk.props["status"] == "ACTIVE" and deps(ksk, "keyManagementServiceArn") == [key.urn]
    signing = full.one("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec")
    assert signing.props["signingStatus"] == "SIGNING" and ksk.urn in signing.dependencies


def test_ksk_names_take_only_letters_digits_and_underscores() -> None:
    assert ksk_name("acme-prod.eu") == "acme_prod_eu_ksk"
    assert len(ksk_name("x" * 200)) == 128


def test_query_logs_in_us_east_1_after_the_delivery_policy(full: Graph) -> None:
    """Route 53 logs queries of a public zone only to a log group in us-east-1 whose resource
    policy lets it write (Route 53 Developer Guide, "Logging DNS queries")."""
    group = named(full, "aws:cloudwatch/logGroup:LogGroup")["edge-query-logs"]
    assert group.props == {
        "name": "/aws/route53/groundwork-test/example.com",
        "retentionInDays": 60,
        "kmsKeyId": LOGS_KEY,
    }
    assert group.provider_urn == east(full) and group.options.get("protect") is True
    policy = full.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert policy.props["policyName"] == "groundwork-test-route53-query-logs"
    assert json.loads(policy.props["policyDocument"]) == iam.query_log_delivery(partition="aws", account_id=ACCOUNT)
    assert policy.provider_urn == east(full)
    query_log = full.one("aws:route53/queryLog:QueryLog")
    assert deps(query_log, "cloudwatchLogGroupArn") == [group.urn] and policy.urn in query_log.dependencies


def test_neither_dnssec_nor_query_logs_unless_asked() -> None:
    g = plan_edge({"domain": "example.com", "dnssec": False, "queryLogging": False})
    assert g.of_type("aws:kms/key:Key") == [] and g.of_type("aws:route53/queryLog:QueryLog") == []
    assert g.of_type("aws:cloudfront/distribution:Distribution") == []
    assert g.one("groundwork:edge:Edge").outputs.get("distributionId") is None


def test_the_distribution_serves_only_its_host_over_tls(full: Graph) -> None:
    """EDGE-03: TLS 1.2+ with SNI, HTTP redirected to HTTPS for assets, IPv6 and HTTP/3, the
    frontend host only, cached assets from the bucket through Origin Access Control."""
    d = full.one("aws:cloudfront/distribution:Distribution")
    p = d.props
    assert d.provider_urn == east(full)
    assert (p["comment"], p["enabled"], p["isIpv6Enabled"], p["httpVersion"], p["priceClass"]) == (
        "groundwork-test: frontend app.example.com",
        True,
        True,
        "http2and3",
        "PriceClass_100",
    )
    assert p["aliases"] == ["app.example.com"] and p["defaultRootObject"] == "index.html"
    validated = named(full, "aws:acm/certificateValidation:CertificateValidation")["edge-frontend"]
    assert p["viewerCertificate"] == {
        "acmCertificateArn": validated.outputs["certificateArn"],
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": MIN_VIEWER_TLS,
    }
    assert MIN_VIEWER_TLS == "TLSv1.2_2021"
    headers = full.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert p["defaultCacheBehavior"] == {
        "targetOriginId": "assets",
        "viewerProtocolPolicy": "redirect-to-https",
        "allowedMethods": ["GET", "HEAD", "OPTIONS"],
        "cachedMethods": ["GET", "HEAD"],
        "cachePolicyId": CACHING_OPTIMIZED,
        "responseHeadersPolicyId": headers.id,
        "compress": True,
    }
    oac = full.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert p["origins"][0] == {
        "originId": "assets",
        "domainName": f"groundwork-test-frontend-{ACCOUNT}.s3.eu-west-1.amazonaws.com",
        "originAccessControlId": oac.id,
    }
    assert oac.props == {
        "name": "groundwork-test-frontend",
        "description": "groundwork-test: the frontend bucket, signed requests only",
        "originAccessControlOriginType": "s3",
        "signingBehavior": "always",
        "signingProtocol": "sigv4",
    }
    assert p["restrictions"] == {"geoRestriction": {"restrictionType": "none"}}
    assert "customErrorResponses" not in p  # they would apply to the API's answers too


def test_the_api_under_a_path_of_the_frontend_host(full: Graph) -> None:
    """Same origin, no CORS: HTTPS only (a redirect would turn a POST into a GET), nothing
    cached, every viewer header but Host forwarded (the ALB matches the API host)."""
    p = full.one("aws:cloudfront/distribution:Distribution").props
    assert p["origins"][1] == {
        "originId": "api",
        "domainName": "api.example.com",
        "customOriginConfig": {
            "httpPort": 80,
            "httpsPort": 443,
            "originProtocolPolicy": "https-only",
            "originSslProtocols": ["TLSv1.2"],
        },
    }
    headers = full.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert p["orderedCacheBehaviors"] == [
        {
            "pathPattern": "/api/*",
            "targetOriginId": "api",
            "viewerProtocolPolicy": "https-only",
            "allowedMethods": ALL_METHODS,
            "cachedMethods": ["GET", "HEAD"],
            "cachePolicyId": CACHING_DISABLED,
            "originRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
            "responseHeadersPolicyId": headers.id,
            "compress": True,
        }
    ]
    assert ALL_METHODS == ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    no_path = plan_edge({**FULL, "frontend": {**FRONTEND, "apiPath": None}})
    q = no_path.one("aws:cloudfront/distribution:Distribution").props
    assert [o["originId"] for o in q["origins"]] == ["assets"] and q.get("orderedCacheBehaviors", []) == []
    no_host = plan_edge(FULL, api_host=None)
    assert len(no_host.one("aws:cloudfront/distribution:Distribution").props["origins"]) == 1


def test_managed_policy_ids_are_awss() -> None:
    """CloudFront's managed policies have fixed IDs in every account (CloudFront Developer
    Guide, "Use managed cache policies", "Use managed origin request policies")."""
    assert CACHING_OPTIMIZED == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert CACHING_DISABLED == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert ALL_VIEWER_EXCEPT_HOST_HEADER == "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_security_headers(full: Graph) -> None:
    """EDGE-04: HSTS for two years with subdomains, nosniff, frame DENY, a strict referrer
    policy and XSS protection, overriding what the origin sends."""
    h = full.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert h.props["name"] == "groundwork-test-frontend-security-headers"
    assert h.props["comment"] == "groundwork-test: security headers"
    assert h.props["securityHeadersConfig"] == {
        "strictTransportSecurity": {
            "accessControlMaxAgeSec": HSTS_SECONDS,
            "includeSubdomains": True,
            "preload": False,
            "override": True,
        },
        "contentTypeOptions": {"override": True},
        "frameOptions": {"frameOption": "DENY", "override": True},
        "referrerPolicy": {"referrerPolicy": "strict-origin-when-cross-origin", "override": True},
        "xssProtection": {"protection": True, "modeBlock": True, "override": True},
    }
    assert HSTS_SECONDS == 2 * 365 * 24 * 3600
    assert h.provider_urn == east(full)


def test_a_cloudfront_web_acl_when_asked(full: Graph) -> None:
    acl = full.one("aws:wafv2/webAcl:WebAcl")
    assert (acl.props["scope"], acl.props["name"]) == ("CLOUDFRONT", "groundwork-test-frontend")
    assert acl.props["rules"][-1]["statement"]["rateBasedStatement"]["limit"] == 700
    assert acl.provider_urn == east(full)
    waf_logs = named(full, "aws:cloudwatch/logGroup:LogGroup")["edge-frontend-waf-logs"]
    assert waf_logs.props["name"] == "aws-waf-logs-groundwork-test-frontend"
    d = full.one("aws:cloudfront/distribution:Distribution")
    assert d.props["webAclId"] == acl.outputs["arn"]
    without = plan_edge({**FULL, "frontend": {**FRONTEND, "waf": False}})
    assert without.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert "webAclId" not in without.one("aws:cloudfront/distribution:Distribution").props


def test_the_bucket_is_readable_only_by_this_distribution(full: Graph) -> None:
    """CloudFront Developer Guide, "Restricting access to an Amazon S3 origin": the service
    principal, GetObject only, on behalf of this distribution (AWS:SourceArn)."""
    bucket = named(full, "aws:s3/bucket:Bucket")["edge-frontend"]
    assert bucket.props["bucket"] == f"groundwork-test-frontend-{ACCOUNT}"
    assert bucket.props["tags"]["Purpose"] == "frontend" and bucket.options.get("protect") is True
    distribution = full.one("aws:cloudfront/distribution:Distribution")
    policy = json.loads(full.one("aws:s3/bucketPolicy:BucketPolicy").props["policy"])
    [oac] = [s for s in policy["Statement"] if s.get("Sid") == "CloudFrontOriginAccessControl"]
    assert oac == {
        "Sid": "CloudFrontOriginAccessControl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::groundwork-test-frontend-{ACCOUNT}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}},
    }
    sse = full.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == FRONTEND_KEY
    lifecycle = full.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert {
        "id": "expire-superseded-assets",
        "status": "Enabled",
        "filter": {},
        "noncurrentVersionExpiration": {"noncurrentDays": 30},
    } in lifecycle.props["rules"]


def test_an_unprotected_frontend_bucket_may_be_destroyed() -> None:
    g = plan_edge(FULL, force_destroy=True, protect=False)
    bucket = named(g, "aws:s3/bucket:Bucket")["edge-frontend"]
    assert bucket.props["forceDestroy"] is True and not bucket.options.get("protect")


def test_log_delivery_names_fit_60_characters() -> None:
    """PutDeliverySource and PutDeliveryDestination names are 1-60 characters (the logs service
    model), fewer than other physical names' 63."""
    g = plan_edge(FULL, naming=Naming("groundwork-payments", "production-eu-west-blue-gr"))
    names = [
        g.one("aws:cloudwatch/logDeliverySource:LogDeliverySource").props["name"],
        g.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination").props["name"],
    ]
    assert len("groundwork-payments-production-eu-west-blue-gr-frontend-access") == 62
    assert all(len(n) <= 60 for n in names), names


def test_the_frontend_needs_its_key() -> None:
    with pytest.raises(PlanFailed, match="the frontend bucket needs its KMS key"):
        plan_edge(FULL, frontend_key_arn=None)


def test_every_request_is_logged_to_us_east_1(full: Graph) -> None:
    """CloudFront standard logging v2: source, destination and delivery configured in us-east-1
    (CloudFront Developer Guide, "Standard logging (v2)")."""
    group = named(full, "aws:cloudwatch/logGroup:LogGroup")["edge-frontend-access-logs"]
    assert group.props == {"name": "/groundwork/test/cloudfront/frontend", "retentionInDays": 30, "kmsKeyId": LOGS_KEY}
    assert group.provider_urn == east(full) and group.options.get("protect") is True
    source = full.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    distribution = full.one("aws:cloudfront/distribution:Distribution")
    assert source.props == {
        "name": "groundwork-test-frontend-access",
        "logType": "ACCESS_LOGS",
        "resourceArn": distribution.outputs["arn"],
    }
    destination = full.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    assert destination.props["name"] == "groundwork-test-frontend-access"
    assert destination.props["deliveryDestinationConfiguration"] == {"destinationResourceArn": group.outputs["arn"]}
    delivery = full.one("aws:cloudwatch/logDelivery:LogDelivery")
    assert deps(delivery, "deliverySourceName") == [source.urn]
    assert deps(delivery, "deliveryDestinationArn") == [destination.urn]
    for r in (source, destination, delivery):
        assert r.provider_urn == east(full)


def test_the_frontend_host_aliases_the_distribution(full: Graph) -> None:
    records = named(full, "aws:route53/record:Record")
    distribution = full.one("aws:cloudfront/distribution:Distribution")
    for record_type in ("A", "AAAA"):
        r = records[f"edge-frontend-{record_type.lower()}"]
        assert (r.props["name"], r.props["type"]) == ("app.example.com", record_type)
        assert r.props["aliases"] == [
            {
                "name": distribution.outputs["domainName"],
                "zoneId": distribution.outputs["hostedZoneId"],
                "evaluateTargetHealth": False,
            }
        ]
    out = full.one("groundwork:edge:Edge").outputs
    assert out["distributionId"] == distribution.id


def test_every_resource_is_the_edges_child(full: Graph) -> None:
    assert outside(full, "groundwork:edge:Edge") == []


# --------------------------------------------------------------------------------------------- ExternalDNS


def plan_external_dns() -> Graph:
    def body() -> None:
        ExternalDns(
            "external-dns",
            ExternalDnsArgs(
                naming=Naming("groundwork", "test"),
                region="eu-west-1",
                domain="example.com",
                zone_id="Z0123456789ABC",
                zone_arn="arn:aws:route53:::hostedzone/Z0123456789ABC",
                hosts=["api.example.com"],
                owner="groundwork-prod",
                cluster_name="groundwork-test",
                cluster_arn="arn:aws:eks:eu-west-1:111111111111:cluster/groundwork-test",
                account_id="111111111111",
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


def test_external_dns_owns_only_its_records_in_the_stacks_zone() -> None:
    """Policy sync on the TXT registry with the owner ID: it creates, updates and deletes only
    the records it owns; only Ingresses, only this zone, only the API host (ExternalDNS docs,
    "AWS" tutorial: --zone-id-filter, --aws-zone-type)."""
    g = plan_external_dns()
    release = g.one("kubernetes:helm.sh/v3:Release")
    assert (release.props["chart"], release.props["version"], release.props["namespace"]) == (
        "external-dns",
        chart("external-dns").version,
        "kube-system",
    )
    assert release.props["values"] == {
        "provider": {"name": "aws"},
        "sources": ["ingress"],
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": "groundwork-prod",
        "domainFilters": ["example.com"],
        "extraArgs": ["--aws-zone-type=public", "--zone-id-filter=Z0123456789ABC"],
        "env": [{"name": "AWS_DEFAULT_REGION", "value": "eu-west-1"}],
        "serviceAccount": {"create": True, "name": "external-dns"},
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }
    role = g.one("aws:iam/role:Role")
    assert role.props["description"] == "groundwork-test: ExternalDNS (example.com)"
    policy = json.loads(g.one("aws:iam/rolePolicy:RolePolicy").props["policy"])
    assert policy["Statement"] == iam.external_dns_statements(
        "arn:aws:route53:::hostedzone/Z0123456789ABC", ["api.example.com"]
    )
    association = g.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.props["namespace"], association.props["serviceAccount"]) == ("kube-system", "external-dns")
    assert {r.urn for r in g.children(g.one("groundwork:identity:WorkloadRole").urn)} == set(release.dependencies)
    assert outside(g, "groundwork:edge:ExternalDns") == []
