"""Application secrets and the audit trail (SEC-01, SEC-02, SEC-07).

Behaviour: for each service that declares `secrets` (names and generation rules only), one
Secrets Manager secret `<project>/<stack>/services/<service>/app` holding a JSON object of
generated values (pulumi-random: Pulumi secrets end to end), encrypted with the `secrets`
key, replicated to the DR region when configured, with a recovery window. With `cloudTrail`, a
multi-region CloudTrail trail of management events (every Secrets Manager read among them)
with log file validation, encrypted with the `logs` key, into a hardened bucket that only
CloudTrail may write to; reads and writes of that bucket are recorded by S3 server access logs
(CIS AWS Foundations 3.6, checkov CKV_AWS_18) in an `access-logs` bucket (SSE-S3: the only
default encryption log delivery supports) that only the S3 logging service may write to, for
that source bucket and account, kept as long as the trail.

Platform secrets (`platform_secrets`): secrets of the platform components under
`<project>/<stack>/platform/<name>`. A generated one (e.g. a dashboard's admin password) gets
its value from pulumi-random; one the operator provides (repository credentials, an SSO client
secret) is created empty: its value is put with `aws secretsmanager put-secret-value` after
the first `pulumi up`, so it never passes through the program, the stack file or the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.bucket import ACCESS_LOGS, SecureBucket, SecureBucketArgs
from components.options import kept
from components.providers import account_and_partition
from groundwork.naming import Naming
from groundwork.settings.model import ServiceSettings


@dataclass(frozen=True)
class PlatformSecret:
    name: str
    description: str
    generated_keys: tuple[str, ...] = ()  # JSON keys given generated values; empty: operator-provided
    fixed: tuple[tuple[str, str], ...] = ()  # non-secret keys stored alongside (e.g. a user name)
    length: int = 32


@dataclass(frozen=True)
class SecretsArgs:
    naming: Naming
    region: str
    services: list[ServiceSettings]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    recovery_window_days: int = 30
    replica_regions: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    cloud_trail: bool = True
    trail_retention_days: int = 365
    platform_secrets: list[PlatformSecret] = field(default_factory=list)
    protect: bool = True


class Secrets(pulumi.ComponentResource):
    app_secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:secrets:Secrets", name, None, opts)
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        self.app_secret_arns = {}
        self.app_secret_names: dict[str, str] = {}
        for svc in args.services:
            if not svc.secrets:
                continue
            values = {
                x.name: random.RandomPassword(
                    f"{name}-{svc.name}-{x.name}",
                    length=x.length,
                    special=x.special,
                    # a new generation replaces the value (every input of RandomPassword forces a new one);
                    # generation 1 sets no keepers, so values created before this setting existed stay
                    keepers={"generation": str(x.generation)} if x.generation > 1 else None,
                    opts=child,
                ).result
                for x in svc.secrets
            }
            secret = aws.secretsmanager.Secret(
                f"{name}-{svc.name}",
                name=f"{naming.project}/{naming.stack}/services/{svc.name}/app",
                description=f"Generated application secrets of {svc.name}: {', '.join(values)}",
                kms_key_id=args.secrets_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                replicas=[
                    aws.secretsmanager.SecretReplicaArgs(region=r, kms_key_id=k) for r, k in args.replica_regions
                ],
                tags={"SecretType": "application", "Service": svc.name, "Team": svc.team},
                opts=kept(self, args.protect),
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{svc.name}",
                secret_id=secret.id,
                secret_string=pulumi.Output.json_dumps(values),
                opts=child,
            )
            self.app_secret_arns[svc.name] = secret.arn
            self.app_secret_names[svc.name] = f"{naming.project}/{naming.stack}/services/{svc.name}/app"

        self.platform_secret_arns: dict[str, pulumi.Output[str]] = {}
        self.platform_secret_names: dict[str, str] = {}
        for p in args.platform_secrets:
            secret_name = f"{naming.project}/{naming.stack}/platform/{p.name}"
            secret = aws.secretsmanager.Secret(
                f"{name}-platform-{p.name}",
                name=secret_name,
                description=p.description,
                kms_key_id=args.secrets_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                replicas=[
                    aws.secretsmanager.SecretReplicaArgs(region=r, kms_key_id=k) for r, k in args.replica_regions
                ],
                tags={"SecretType": "platform" if not p.generated_keys else "platform-generated"},
                opts=kept(self, args.protect),
            )
            if p.generated_keys:
                aws.secretsmanager.SecretVersion(
                    f"{name}-platform-{p.name}",
                    secret_id=secret.id,
                    secret_string=pulumi.Output.json_dumps(
                        {
                            **dict(p.fixed),
                            **{
                                k: random.RandomPassword(
                                    f"{name}-platform-{p.name}-{k}", length=p.length, special=False, opts=child
                                ).result
                                for k in p.generated_keys
                            },
                        }
                    ),
                    opts=child,
                )
            self.platform_secret_arns[p.name] = secret.arn
            self.platform_secret_names[p.name] = secret_name

        self.trail_arn: pulumi.Output[str] | None = None
        if args.cloud_trail:
            account, partition = account_and_partition(self)
            trail_name = naming.physical("trail")
            trail_arn = pulumi.Output.concat(
                "arn:", partition, ":cloudtrail:", args.region, ":", account, ":trail/", trail_name
            )
            bucket_arn = pulumi.Output.concat("arn:", partition, ":s3:::", naming.physical("audit-logs"), "-", account)
            access_logs = self._access_log_bucket(name, args, account, partition, bucket_arn)
            bucket = SecureBucket(
                f"{name}-audit",
                SecureBucketArgs(
                    bucket_name=pulumi.Output.concat(naming.physical("audit-logs"), "-", account),
                    kms_key_arn=args.logs_key_arn,
                    purpose="audit-logs",
                    lifecycle_rules=[
                        {
                            "id": "age-out",
                            "status": "Enabled",
                            "filter": {},
                            "transitions": [
                                {"days": 30, "storage_class": "STANDARD_IA"},
                                {"days": 90, "storage_class": "GLACIER"},
                            ],
                            "expiration": {"days": args.trail_retention_days},
                            "noncurrent_version_expiration": {"noncurrent_days": 30},
                        }
                    ],
                    policy_statements=[
                        pulumi.Output.all(account, bucket_arn).apply(
                            lambda a: {
                                "Sid": "CloudTrailAclCheck",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                "Action": "s3:GetBucketAcl",
                                "Resource": a[1],
                                "Condition": {"StringEquals": {"aws:SourceAccount": a[0]}},
                            }
                        ),
                        pulumi.Output.all(account, bucket_arn, trail_arn).apply(
                            lambda a: {
                                "Sid": "CloudTrailWrite",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                "Action": "s3:PutObject",
                                "Resource": f"{a[1]}/AWSLogs/{a[0]}/*",
                                "Condition": {
                                    "StringEquals": {"aws:SourceArn": a[2], "s3:x-amz-acl": "bucket-owner-full-control"}
                                },
                            }
                        ),
                    ],
                    protect=args.protect,
                    access_logs=(access_logs.bucket, "audit-logs/"),
                ),
                opts=child,
            )
            trail = aws.cloudtrail.Trail(
                f"{name}-trail",
                name=trail_name,
                s3_bucket_name=bucket.bucket,
                kms_key_id=args.logs_key_arn,
                is_multi_region_trail=True,
                include_global_service_events=True,
                enable_log_file_validation=True,
                enable_logging=True,
                tags={"Name": trail_name},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
            )
            self.trail_arn = trail.arn
        self.register_outputs({"appSecretArns": self.app_secret_arns, "trailArn": self.trail_arn})

    def _access_log_bucket(
        self,
        name: str,
        args: SecretsArgs,
        account: pulumi.Output[str],
        partition: pulumi.Output[str],
        source_arn: pulumi.Output[str],
    ) -> SecureBucket:
        """The target of the audit bucket's server access logs. The grant is the bucket policy the
        AWS S3 User Guide recommends for log delivery ("Permissions for log delivery": service
        principal logging.s3.amazonaws.com, s3:PutObject under the prefix, aws:SourceArn of the
        source bucket and aws:SourceAccount); ACLs are off (BucketOwnerEnforced), so the legacy
        log-delivery group grant could not be used anyway."""
        logs_name = pulumi.Output.concat(args.naming.physical("access-logs"), "-", account)
        logs_arn = pulumi.Output.concat("arn:", partition, ":s3:::", logs_name)
        return SecureBucket(
            f"{name}-access-logs",
            SecureBucketArgs(
                bucket_name=logs_name,
                kms_key_arn=None,
                purpose=ACCESS_LOGS,
                lifecycle_rules=[
                    {
                        "id": "age-out",
                        "status": "Enabled",
                        "filter": {},
                        "expiration": {"days": args.trail_retention_days},
                        "noncurrent_version_expiration": {"noncurrent_days": 30},
                    }
                ],
                policy_statements=[
                    pulumi.Output.all(account, logs_arn, source_arn).apply(
                        lambda a: {
                            "Sid": "S3ServerAccessLogs",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"{a[1]}/audit-logs/*",
                            "Condition": {
                                "ArnLike": {"aws:SourceArn": a[2]},
                                "StringEquals": {"aws:SourceAccount": a[0]},
                            },
                        }
                    )
                ],
                protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
