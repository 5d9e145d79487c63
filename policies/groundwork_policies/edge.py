"""Edge controls EDGE-01..05: DNS records, certificates, the frontend bucket and its CDN, zone hardening.

What the engine sends: a record's `aliases[].name`/`zoneId` and `records`, a certificate's
`validationMethod`, a distribution's `origins`, behaviours, `viewerCertificate`, `webAclId`; each
with the property dependencies naming the resources they came from. Values unknown at preview
(a distribution's domain name on its first `up`) are judged through those dependencies.
"""

from __future__ import annotations

from collections.abc import Iterator

from .backup import region_of
from .core import REGISTRY, Graph, PackContext, Res, dicts, statements, sub, unknown

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
KSK = "aws:route53/keySigningKey:KeySigningKey"
DNSSEC = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
QUERY_LOG = "aws:route53/queryLog:QueryLog"
CERT = "aws:acm/certificate:Certificate"
CERT_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
HEADERS = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
INGRESS_CLASS_PARAMS = "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams"
# viewer TLS policies of CloudFront that allow nothing below TLS 1.2 (CloudFront Developer Guide,
# "Supported protocols and ciphers between viewers and CloudFront")
TLS12_VIEWER = ("TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
MIN_VIEWER = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")  # EDGE-04: TLSv1.2_2021 or newer
CNAME_FOR_ACM = ".acm-validations.aws"


def _from(g: Graph, r: Res, prop: str, *types: str) -> bool:
    return bool(g.targets(r, prop, *types))


@REGISTRY.stack(
    "aws-route53-record-require-stack-target",
    controls="EDGE-01",
    types=(RECORD, ZONE, DISTRIBUTION, CERT),
    severity="high",
    description="Every record the stack writes is in a zone of the stack and points at a resource of the stack: "
    "an alias to its own distribution, or the validation record of its own certificate.",
    remediation="Create records in the Edge component's zone, aliased to the stack's distribution; the API's record "
    "is written by ExternalDNS from the Ingress status.",
)
def record_targets(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    edge = ctx.setting("edge") or {}
    adopted = edge.get("zoneId") if isinstance(edge, dict) else None
    for rec in g.of(RECORD):
        zone = rec.props.peek("zoneId")
        if not _from(g, rec, "zoneId", ZONE) and not unknown(zone) and (not adopted or zone != adopted):
            yield f"record {rec.name} is written into a zone the stack does not manage ({zone})", rec.urn
        aliases = rec.props.peek("aliases")
        if unknown(aliases) or dicts(aliases):
            if not unknown(aliases) and not _from(g, rec, "aliases", DISTRIBUTION):
                yield f"record {rec.name} aliases something that is not the stack's distribution", rec.urn
            continue
        values = rec.props.peek("records")
        if unknown(values):
            continue
        values = values if isinstance(values, list) else []
        from_cert = _from(g, rec, "records", CERT) or _from(g, rec, "name", CERT)
        literal = [v for v in values if isinstance(v, str) and not unknown(v)]
        if not from_cert or any(not v.rstrip(".").endswith(CNAME_FOR_ACM) for v in literal):
            yield (
                f"record {rec.name} points at {', '.join(literal) or 'a value'} the stack does not own "
                "(only aliases to its distribution and its certificates' validation records)",
                rec.urn,
            )


@REGISTRY.stack(
    "aws-acm-certificate-require-dns-validation",
    controls="EDGE-02",
    types=(CERT, CERT_VALIDATION, INGRESS_CLASS_PARAMS, DISTRIBUTION),
    severity="high",
    description="Certificates are requested with DNS validation and used only through a CertificateValidation "
    "(never while pending); CloudFront's certificate is in us-east-1.",
    remediation="Use the Edge component: aws.acm.Certificate (validationMethod DNS), its validation record and "
    "aws.acm.CertificateValidation, whose certificateArn the listener and the distribution take.",
)
def dns_validated(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for cert in g.of(CERT):
        method = cert.props.peek("validationMethod")
        if method != "DNS" and not unknown(method):
            yield f"certificate {cert.name} is validated by {method or 'nothing'}, not DNS", cert.urn
        if not g.referencing(cert, CERT_VALIDATION, prop="certificateArn"):
            yield f"certificate {cert.name} has no CertificateValidation: it could be used while pending", cert.urn
    for d in g.of(DISTRIBUTION):
        for cert in g.targets(d, "viewerCertificate", CERT, CERT_VALIDATION):
            source = cert if cert.type == CERT else next(iter(g.targets(cert, "certificateArn", CERT)), cert)
            region = region_of(source)
            if region and region != "us-east-1":
                yield (
                    f"distribution {d.name} uses a certificate from {region}: CloudFront only accepts "
                    "certificates from us-east-1",
                    d.urn,
                )
        if g.targets(d, "viewerCertificate", CERT):
            yield (
                f"distribution {d.name} uses its certificate before validation (take CertificateValidation's ARN)",
                d.urn,
            )
    for params in g.of(INGRESS_CLASS_PARAMS):
        if g.targets(params, "spec", CERT):
            yield (
                f"IngressClassParams {params.name} uses a certificate before validation "
                "(take CertificateValidation's ARN)",
                params.urn,
            )


@REGISTRY.stack(
    "aws-s3-frontend-bucket-require-origin-access-control",
    controls="EDGE-03",
    types=(DISTRIBUTION, OAC, BUCKET, BUCKET_POLICY),
    severity="critical",
    description="The distribution reads its S3 origins only through Origin Access Control, and the bucket policy "
    "lets CloudFront read only on behalf of the stack's distribution (AWS:SourceArn).",
    remediation="Give every S3 origin an originAccessControlId (no origin access identity, no website endpoint) and "
    "condition the bucket policy's cloudfront.amazonaws.com statement on AWS:SourceArn of the distribution.",
)
def origin_access_control(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for d in g.of(DISTRIBUTION):
        for origin in dicts(d.props.peek("origins") or []):
            if origin.get("customOriginConfig"):
                continue
            domain = origin.get("domainName")
            if isinstance(domain, str) and not unknown(domain) and ".s3-website" in domain:
                yield f"distribution {d.name} reads a public website endpoint ({domain})", d.urn
            if sub(origin, "s3OriginConfig", "originAccessIdentity"):
                yield f"distribution {d.name} uses a legacy origin access identity, not OAC", d.urn
            if not origin.get("originAccessControlId"):
                yield f"distribution {d.name}'s S3 origin {origin.get('originId')} has no Origin Access Control", d.urn
    for policy in g.of(BUCKET_POLICY):
        # on a first preview the document names a distribution not created yet: judge the rest
        if unknown(policy.props.peek("policy")):
            continue
        doc = policy.props.json("policy")
        if doc is None:
            continue
        for st in statements(doc):
            principal = st.get("Principal")
            service = principal.get("Service") if isinstance(principal, dict) else None
            if st.get("Effect") != "Allow" or service != "cloudfront.amazonaws.com":
                continue
            source = sub(st, "Condition", "StringEquals", "AWS:SourceArn") or sub(
                st, "Condition", "ArnEquals", "AWS:SourceArn"
            )
            if not source or (isinstance(source, str) and source.endswith("/*")):
                yield (
                    f"bucket policy {policy.name} lets CloudFront read for any distribution "
                    "(condition AWS:SourceArn on the stack's distribution)",
                    policy.urn,
                )


def _behaviours(d: Res) -> list[dict]:
    default = d.props.peek("defaultCacheBehavior")
    ordered = d.props.peek("orderedCacheBehaviors") or []
    return [b for b in [default, *(ordered if isinstance(ordered, list) else [])] if isinstance(b, dict)]


@REGISTRY.stack(
    "aws-cloudfront-distribution-require-tls-headers-logging",
    controls="EDGE-04",
    types=(DISTRIBUTION, DELIVERY_SOURCE, DELIVERY),
    severity="high",
    description="Distributions accept TLS 1.2+ only (TLSv1.2_2021 or newer, SNI), never plain HTTP, add a "
    "response-headers policy on every behaviour, and log every request (standard logging v1 or v2).",
    remediation="viewerCertificate.minimumProtocolVersion TLSv1.2_2021; viewerProtocolPolicy redirect-to-https or "
    "https-only; responseHeadersPolicyId on every behaviour; a LogDeliverySource (ACCESS_LOGS) with a LogDelivery.",
)
def distribution_hardening(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for d in g.of(DISTRIBUTION):
        viewer = d.props.peek("viewerCertificate") or {}
        if isinstance(viewer, dict):  # UNKNOWN (a value unknown at preview) is no dict
            if viewer.get("cloudfrontDefaultCertificate"):
                yield f"distribution {d.name} serves the default *.cloudfront.net certificate (TLS 1.0 allowed)", d.urn
            minimum = viewer.get("minimumProtocolVersion")
            if not unknown(minimum) and minimum not in MIN_VIEWER:
                yield f"distribution {d.name} accepts viewers below TLSv1.2_2021 ({minimum})", d.urn
        for b in _behaviours(d):
            where = b.get("pathPattern") or "default"
            if b.get("viewerProtocolPolicy") == "allow-all":
                yield f"distribution {d.name} serves {where} over plain HTTP", d.urn
            if not b.get("responseHeadersPolicyId"):
                yield f"distribution {d.name}'s {where} behaviour adds no security headers", d.urn
        v1 = d.props.peek("loggingConfig")
        sources = g.referencing(d, DELIVERY_SOURCE, prop="resourceArn")
        delivered = any(g.referencing(s, DELIVERY, prop="deliverySourceName") for s in sources)
        if not (isinstance(v1, dict) and v1.get("bucket")) and not delivered and not unknown(v1):
            yield f"distribution {d.name} logs no requests", d.urn


@REGISTRY.resource(
    "aws-cloudfront-distribution-require-waf",
    controls="EDGE-04",
    types=DISTRIBUTION,
    severity="high",
    tier="prod",
    description="Prod's distributions sit behind a WAF web ACL (scope CLOUDFRONT).",
    remediation="Keep groundwork:edge.frontend.waf true in prod.",
)
def distribution_waf(r: Res, ctx: PackContext) -> Iterator[str]:
    if not r.props.has("webAclId"):
        yield "no WAF web ACL"


@REGISTRY.stack(
    "aws-route53-zone-require-dnssec-and-query-logging",
    controls="EDGE-05",
    types=(ZONE, KSK, DNSSEC, QUERY_LOG),
    severity="medium",
    tier="prod",
    description="Prod's public zones are signed with DNSSEC (an active key-signing key, signing on) and log their "
    "queries.",
    remediation="Keep groundwork:edge.dnssec and edge.queryLogging true in prod.",
)
def zone_hardening(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for zone in g.of(ZONE):
        if zone.props.peek("vpcs"):
            continue  # a private zone: neither applies
        signing = [
            s
            for s in g.referencing(zone, DNSSEC, prop="hostedZoneId")
            + [
                s
                for k in g.referencing(zone, KSK, prop="hostedZoneId")
                for s in g.referencing(k, DNSSEC, prop="hostedZoneId")
            ]
            if s.props.peek("signingStatus", "SIGNING") in ("SIGNING",) or unknown(s.props.peek("signingStatus"))
        ]
        keys = [
            k
            for k in g.referencing(zone, KSK, prop="hostedZoneId")
            if k.props.peek("status", "ACTIVE") == "ACTIVE" or unknown(k.props.peek("status"))
        ]
        if not signing or not keys:
            yield f"zone {zone.name} is not signed with DNSSEC", zone.urn
        if not g.referencing(zone, QUERY_LOG, prop="zoneId"):
            yield f"zone {zone.name} logs no queries", zone.urn
