"""Edge: the stack's public DNS zone, its certificates and the frontend CDN (EDGE-01..05).

Behaviour:
- **Zone.** The public hosted zone of `edge.domain`, created (kept on destroy with `protect`) or,
  with `edge.zoneId`, adopted: read, and given only the stack's records, DNSSEC and query logging.
  The parent domain must delegate to the zone's name servers (output `nameServers`; `groundwork
  doctor` checks the delegation).
- **Certificates.** ACM certificates requested and validated by DNS in code: one for the API host
  in the stack's region (the ALB's listener; an ALB only uses a certificate of its own region) and
  one for the frontend host in us-east-1 (CloudFront only uses certificates from us-east-1: CloudFront
  Developer Guide, "Requirements for using SSL/TLS certificates with CloudFront"). A DR rebuild runs
  in the DR region and requests its own there, by the same code. Each certificate is used through
  `aws.acm.CertificateValidation`, which completes only once ACM has seen the validation record,
  so no listener or distribution is ever given a certificate still pending validation (the ALB and
  CloudFront refuse one). Validation records are kept on destroy (`retain_on_delete`): ACM renews
  with the same record, and another stack of the same account (a DR rebuild) may share it, since
  ACM gives one validation record per domain name and account.
- **API record.** The load balancer is created by the AWS Load Balancer Controller, not by Pulumi, so
  its DNS name exists only once an Ingress is reconciled. ExternalDNS (`ExternalDns` below, chart
  pinned in groundwork/charts.py) writes the API host's alias record from the Ingress status, and
  owns it through TXT records carrying the stack's owner ID; its role may change only the API
  host's names in this zone. A lookup from the program (`aws.lb.getLoadBalancer`) would fail the
  first `pulumi preview`, when no load balancer exists yet.
- **DNSSEC** (`edge.dnssec`): a key-signing key from an asymmetric KMS key (ECC_NIST_P256,
  SIGN_VERIFY) in us-east-1, which Route 53 requires (Route 53 Developer Guide, "Working with
  customer managed keys for DNSSEC"), then signing. Asymmetric keys have no automatic rotation
  (KMS Developer Guide, "Rotating AWS KMS keys"). Until the parent zone holds the DS record
  (`groundwork doctor` prints it) resolvers do not validate: signing is safe to turn on first.
- **Query logging** (`edge.queryLogging`): to a KMS-encrypted log group `/aws/route53/<prefix>/<domain>` in
  us-east-1 with the resource policy Route 53 needs (Route 53 Developer Guide, "Logging DNS queries":
  public zones only, log group in us-east-1).
- **Frontend CDN** (`edge.frontend`): a private bucket (SecureBucket: versioned, SSE-KMS with its
  own key, public access blocked, ACLs off, TLS only) readable only by the stack's distribution
  through Origin Access Control (the bucket policy names the distribution's ARN, the key policy lets
  CloudFront decrypt). The distribution serves only the frontend host over TLS 1.2+
  (TLSv1.2_2021, SNI), redirects HTTP to HTTPS, adds the security headers (HSTS two years with
  subdomains, nosniff, frame DENY, strict-origin-when-cross-origin referrer, XSS protection), logs
  every request (standard logging v2 to a KMS-encrypted log group in us-east-1, where CloudFront's
  log delivery must be configured: CloudFront Developer Guide, "Standard logging (v2)"), and sits
  behind a WAF web ACL of scope CLOUDFRONT (in us-east-1) when `frontend.waf`. With
  `frontend.apiPath` the API is reachable under that path of the frontend host (same origin, no
  CORS): HTTPS only, nothing cached, every viewer header but Host forwarded (the ALB matches the API
  host). No custom error responses: they would apply to the API's answers too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.bucket import SecureBucket, SecureBucketArgs
from components.identity import WorkloadRole, WorkloadRoleArgs
from components.kube import release
from components.options import kept
from components.providers import account_and_partition
from components.waf import web_acl
from groundwork import iam
from groundwork.naming import Naming
from groundwork.settings.model import EdgeSettings

# AWS managed CloudFront policies (CloudFront Developer Guide, "Use managed cache policies" and
# "Use managed origin request policies"): fixed IDs in every account
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
MIN_VIEWER_TLS = "TLSv1.2_2021"
HSTS_SECONDS = 63_072_000  # two years
EXTERNAL_DNS_SERVICE_ACCOUNT = "external-dns"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]


def ksk_name(prefix: str) -> str:
    """Route 53 key-signing key names take letters, digits and underscores, 3-128 characters
    (Route 53 API Reference, CreateKeySigningKey, `Name`)."""
    return "".join(c if c.isalnum() else "_" for c in f"{prefix}_ksk")[:128]


@dataclass(frozen=True)
class EdgeArgs:
    settings: EdgeSettings
    naming: Naming
    region: str
    api_host: str | None
    # False when `ingress.certificateArn` overrides the certificate the program would request
    request_api_certificate: bool
    us_east_1: pulumi.ProviderResource  # CloudFront, its certificate, WAF and logs; DNSSEC key; query logs
    us_east_1_logs_key_arn: pulumi.Input[str] | None
    frontend_key_arn: pulumi.Input[str] | None
    force_destroy: bool = False
    protect: bool = True


class Edge(pulumi.ComponentResource):
    """`groundwork:edge:Edge`. Outputs: zone, certificate for the ALB, frontend distribution."""

    zone_id: pulumi.Output[str]
    zone_arn: pulumi.Output[str]
    name_servers: pulumi.Output[Sequence[str]]
    api_certificate_arn: pulumi.Output[str] | None
    frontend_url: str | None
    distribution_id: pulumi.Output[str] | None
    distribution_domain: pulumi.Output[str] | None
    frontend_bucket: pulumi.Output[str] | None

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:edge:Edge", name, None, opts)
        s, naming = args.settings, args.naming
        if not s.domain:
            raise ValueError("Edge needs edge.domain (the settings refuse a stack without it, EDGE-01)")
        self._args = args
        self._global = pulumi.ResourceOptions(parent=self, provider=args.us_east_1)
        account_id, partition = account_and_partition(self)
        self._account_id, self._partition = account_id, partition

        if s.zone_id:
            found = aws.route53.get_zone_output(
                zone_id=s.zone_id, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.zone_id = found.zone_id
            self.name_servers = found.name_servers
            self.zone_arn = found.arn
        else:
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=s.domain,
                comment=f"{naming.prefix}: public zone (groundwork)",
                force_destroy=args.force_destroy,
                opts=kept(self, args.protect),
            )
            self.zone_id, self.name_servers, self.zone_arn = zone.zone_id, zone.name_servers, zone.arn

        self.api_certificate_arn = None
        if args.api_host and args.request_api_certificate:
            self.api_certificate_arn = self._certificate(
                f"{name}-api", args.api_host, pulumi.ResourceOptions(parent=self)
            )

        if s.dnssec:
            self._dnssec(name)
        if s.query_logging:
            self._query_logging(name)

        self.frontend_url = self.distribution_id = self.distribution_domain = self.frontend_bucket = None
        if s.frontend is not None:
            self._frontend(name)

        self.register_outputs(
            {
                "zoneId": self.zone_id,
                "nameServers": self.name_servers,
                "apiCertificateArn": self.api_certificate_arn,
                "distributionId": self.distribution_id,
            }
        )

    # -----------------------------------------------------------------------------------------
    def _certificate(self, name: str, host: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """A DNS-validated ACM certificate for `host`; the ARN resolves once ACM has validated it."""
        cert = aws.acm.Certificate(
            name,
            domain_name=host,
            validation_method="DNS",
            key_algorithm="RSA_2048",
            options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
            tags={"Name": self._args.naming.physical(name.split("-")[-1], "certificate"), "Host": host},
            opts=opts,
        )
        option = cert.domain_validation_options.apply(lambda options: next(o for o in options if o.domain_name == host))
        record = aws.route53.Record(
            f"{name}-validation",
            zone_id=self.zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,  # the same record validates this name in every region and stack
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        validation = aws.acm.CertificateValidation(
            name,
            certificate_arn=cert.arn,
            validation_record_fqdns=[record.fqdn],
            opts=opts,  # the certificate's options: parent=self, and us-east-1 for CloudFront's
        )
        return validation.certificate_arn

    def _dnssec(self, name: str) -> None:
        args = self._args
        policy = pulumi.Output.all(self._partition, self._account_id).apply(
            lambda v: json.dumps(iam.dnssec_key_policy(partition=v[0], account_id=v[1]))
        )
        key = aws.kms.Key(
            f"{name}-dnssec",
            description=f"{args.naming.prefix}: DNSSEC key-signing key of {args.settings.domain}",
            customer_master_key_spec="ECC_NIST_P256",
            key_usage="SIGN_VERIFY",
            enable_key_rotation=False,  # KMS rotates symmetric encryption keys only
            deletion_window_in_days=30,
            policy=policy,
            tags={"Name": args.naming.physical("dnssec"), "Purpose": "dnssec"},
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.us_east_1, protect=args.protect, retain_on_delete=args.protect
            ),
        )
        ksk = aws.route53.KeySigningKey(
            f"{name}-ksk",
            hosted_zone_id=self.zone_id,
            key_management_service_arn=key.arn,
            name=ksk_name(args.naming.prefix),
            status="ACTIVE",
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.route53.HostedZoneDnsSec(
            f"{name}-dnssec",
            hosted_zone_id=ksk.hosted_zone_id,
            signing_status="SIGNING",
            opts=pulumi.ResourceOptions(parent=self),  # after the key-signing key: its zone id is read from it
        )

    def _query_logging(self, name: str) -> None:
        args = self._args
        logs = aws.cloudwatch.LogGroup(
            f"{name}-query-logs",
            name=f"/aws/route53/{args.naming.prefix}/{args.settings.domain}",
            retention_in_days=args.settings.query_log_retention_days,
            kms_key_id=args.us_east_1_logs_key_arn,
            opts=pulumi.ResourceOptions.merge(
                kept(self, args.protect), pulumi.ResourceOptions(provider=args.us_east_1)
            ),
        )
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-query-logs",
            policy_name=args.naming.physical("route53-query-logs"),
            policy_document=pulumi.Output.all(self._partition, self._account_id).apply(
                lambda v: json.dumps(iam.query_log_delivery(partition=v[0], account_id=v[1]))
            ),
            opts=self._global,
        )
        aws.route53.QueryLog(
            f"{name}-query-logs",
            zone_id=self.zone_id,
            cloudwatch_log_group_arn=logs.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _frontend(self, name: str) -> None:
        args = self._args
        f, naming = args.settings.frontend, args.naming
        assert f is not None
        if args.frontend_key_arn is None:
            raise ValueError("the frontend bucket needs its KMS key (Keys purpose `frontend`)")
        certificate = self._certificate(f"{name}-frontend", f.host, self._global)
        bucket_name = pulumi.Output.concat(naming.physical("frontend"), "-", self._account_id)
        # the bucket's regional endpoint (S3 User Guide, "Virtual-hosted-style requests"): known
        # before the bucket, so the bucket policy can name the distribution that reads it
        origin_domain = pulumi.Output.concat(bucket_name, f".s3.{args.region}.amazonaws.com")
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-frontend",
            name=naming.physical("frontend"),
            description=f"{naming.prefix}: the frontend bucket, signed requests only",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self._global,
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-frontend",
            name=naming.physical("frontend-security-headers"),
            comment=f"{naming.prefix}: security headers",
            security_headers_config=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
                strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=HSTS_SECONDS, include_subdomains=True, preload=False, override=True
                ),
                content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True
                ),
                frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                xss_protection=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs(
                    protection=True, mode_block=True, override=True
                ),
            ),
            opts=self._global,
        )
        waf_arn = None
        if f.waf:
            waf_arn = web_acl(
                f"{name}-frontend",
                acl_name=naming.physical("frontend"),
                log_group_name=f"aws-waf-logs-{naming.physical('frontend')}",
                description=f"{naming.prefix}: frontend CDN (managed rule groups, per-IP rate limit)",
                scope="CLOUDFRONT",
                rate_limit=f.waf_rate_limit,
                logs_key_arn=args.us_east_1_logs_key_arn,  # type: ignore[arg-type]
                log_retention_days=f.log_retention_days,
                protect=args.protect,
                parent=self,
                provider=args.us_east_1,
            ).arn
        origins = [
            aws.cloudfront.DistributionOriginArgs(
                origin_id="assets", domain_name=origin_domain, origin_access_control_id=oac.id
            )
        ]
        ordered = []
        if f.api_path and args.api_host:
            origins.append(
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="api",
                    domain_name=args.api_host,
                    custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                        http_port=80,
                        https_port=443,
                        origin_protocol_policy="https-only",
                        origin_ssl_protocols=["TLSv1.2"],
                    ),
                )
            )
            ordered.append(
                aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                    path_pattern=f.api_path,
                    target_origin_id="api",
                    viewer_protocol_policy="https-only",  # a redirect would turn a POST into a GET
                    allowed_methods=ALL_METHODS,
                    cached_methods=["GET", "HEAD"],
                    cache_policy_id=CACHING_DISABLED,
                    origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy_id=headers.id,
                    compress=True,
                )
            )
        distribution = aws.cloudfront.Distribution(
            f"{name}-frontend",
            comment=f"{naming.prefix}: frontend {f.host}",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=f.price_class,
            aliases=[f.host],
            default_root_object="index.html",
            origins=origins,
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="assets",
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED,
                response_headers_policy_id=headers.id,
                compress=True,
            ),
            ordered_cache_behaviors=ordered,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate, ssl_support_method="sni-only", minimum_protocol_version=MIN_VIEWER_TLS
            ),
            web_acl_id=waf_arn,
            opts=self._global,
        )
        # CloudFront Developer Guide, "Restricting access to an Amazon S3 origin": the service
        # principal, GetObject only, and only on behalf of this distribution
        statement = pulumi.Output.all(distribution.arn, bucket_name, self._partition).apply(
            lambda v: {
                "Sid": "CloudFrontOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"arn:{v[2]}:s3:::{v[1]}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": v[0]}},
            }
        )
        bucket = SecureBucket(
            f"{name}-frontend",
            SecureBucketArgs(
                bucket_name=bucket_name,
                kms_key_arn=args.frontend_key_arn,
                purpose="frontend",
                # releases replace assets: superseded versions go after 30 days (DR-02)
                lifecycle_rules=[
                    {
                        "id": "expire-superseded-assets",
                        "status": "Enabled",
                        "filter": {},
                        "noncurrent_version_expiration": {"noncurrent_days": 30},
                    }
                ],
                policy_statements=[statement],
                force_destroy=args.force_destroy,
                protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._access_logs(name, distribution)
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-frontend-{record_type.lower()}",
                zone_id=self.zone_id,
                name=f.host,
                type=record_type,
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=distribution.domain_name,
                        zone_id=distribution.hosted_zone_id,
                        evaluate_target_health=False,
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.frontend_url = f"https://{f.host}/"
        self.distribution_id = distribution.id
        self.distribution_domain = distribution.domain_name
        self.frontend_bucket = bucket.bucket

    def _access_logs(self, name: str, distribution: aws.cloudfront.Distribution) -> None:
        """Standard logging v2: delivery source (the distribution), destination (a log group) and
        the delivery, all in us-east-1."""
        args = self._args
        f = args.settings.frontend
        assert f is not None
        logs = aws.cloudwatch.LogGroup(
            f"{name}-frontend-access-logs",
            name=args.naming.path("cloudfront", "frontend"),
            retention_in_days=f.log_retention_days,
            kms_key_id=args.us_east_1_logs_key_arn,
            opts=pulumi.ResourceOptions.merge(
                kept(self, args.protect), pulumi.ResourceOptions(provider=args.us_east_1)
            ),
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-frontend-access-logs",
            name=args.naming.physical("frontend-access", kind="log-delivery"),
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            opts=self._global,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-frontend-access-logs",
            name=args.naming.physical("frontend-access", kind="log-delivery"),
            delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=logs.arn
            ),
            opts=self._global,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-frontend-access-logs",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            opts=self._global,
        )


@dataclass(frozen=True)
class ExternalDnsArgs:
    naming: Naming
    region: str
    domain: str
    zone_id: pulumi.Input[str]
    zone_arn: pulumi.Input[str]
    hosts: list[str]  # the names it may write (the API host)
    owner: str  # TXT registry owner ID: the stack's prefix, or the source stack's in a DR stack
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]


class ExternalDns(pulumi.ComponentResource):
    """`groundwork:edge:ExternalDns`: the API host's record from the Ingress status.

    Policy `sync` on the TXT registry with the stack's owner ID: it creates, updates and deletes
    only records it owns, so a record another stack or a person made is never touched, and a
    removed Ingress leaves no record pointing at a deleted load balancer. Only Ingresses are read,
    only the stack's zone is considered (`--zone-id-filter`), and its role may change only
    `hosts` (and their TXT ownership records) there."""

    def __init__(self, name: str, args: ExternalDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:edge:ExternalDns", name, None, opts)
        role = WorkloadRole(
            name,
            WorkloadRoleArgs(
                naming=args.naming,
                cluster_name=args.cluster_name,
                cluster_arn=args.cluster_arn,
                account_id=args.account_id,
                namespace="kube-system",
                service_account=EXTERNAL_DNS_SERVICE_ACCOUNT,
                statements=iam.external_dns_statements(args.zone_arn, args.hosts),
                description=f"{args.naming.prefix}: ExternalDNS ({args.domain})",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = release(
            name,
            "external-dns",
            namespace="kube-system",
            values={
                "provider": {"name": "aws"},
                "sources": ["ingress"],
                "policy": "sync",
                "registry": "txt",
                "txtOwnerId": args.owner,
                "domainFilters": [args.domain],
                "extraArgs": [
                    "--aws-zone-type=public",
                    pulumi.Output.concat("--zone-id-filter=", args.zone_id),
                ],
                "env": [{"name": "AWS_DEFAULT_REGION", "value": args.region}],
                "serviceAccount": {"create": True, "name": EXTERNAL_DNS_SERVICE_ACCOUNT},
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
        )
        self.register_outputs({})
