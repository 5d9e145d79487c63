"""IAM and KMS policy documents (pure functions returning dicts; no resources).

Kept out of the components so their least-privilege shape is tested directly: every grant
names its resources, and `*` appears only where AWS itself scopes the statement (a key
policy's `Resource: "*"` means "this key").
"""

from __future__ import annotations

import json
from typing import Any

Doc = dict[str, Any]


def document(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def assume_role(service: str, *, account_id: str | None = None, source_arn: str | None = None) -> Doc:
    """Trust policy for an AWS service principal, with confused-deputy conditions when given."""
    statement: Doc = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["sts:AssumeRole", "sts:TagSession"] if service == "eks.amazonaws.com" else "sts:AssumeRole",
    }
    conditions: Doc = {}
    if account_id:
        conditions["StringEquals"] = {"aws:SourceAccount": account_id}
    if source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    if conditions:
        statement["Condition"] = conditions
    return document(statement)


def pod_identity_trust(*, account_id: str | None = None, cluster_arn: str | None = None) -> Doc:
    """Trust policy for EKS Pod Identity. The association scopes it to one namespace/service
    account; with `account_id`/`cluster_arn` only this account's cluster may assume it."""
    statement: Doc = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    conditions: Doc = {}
    if account_id:
        conditions["StringEquals"] = {"aws:SourceAccount": account_id}
    if cluster_arn:
        conditions["ArnEquals"] = {"aws:SourceArn": cluster_arn}
    if conditions:
        statement["Condition"] = conditions
    return document(statement)


def _account_root(partition: str, account_id: str) -> Doc:
    return {
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


# service -> its service-linked role (IAM: "Using service-linked roles" of each service's guide)
# that the stack's policies name; components/account.py creates those the account lacks
SERVICE_LINKED_ROLES = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}


def service_linked_role_arn(service: str, *, partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/aws-service-role/{service}/{SERVICE_LINKED_ROLES[service]}"


USE_KEY = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def kms_key_policy(
    purpose: str, *, partition: str, account_id: str, region: str, autoscaling_role_arn: str | None = None
) -> Doc:
    """Explicit key policy per purpose (SEC-06: no `*` principal; services scoped by conditions).

    - logs: CloudWatch Logs may use the key only for this account's log groups; CloudTrail
      only for this account's trails; CloudWatch alarms of this account may publish to the
      alert topics encrypted with it.
    - data: EBS/RDS/ElastiCache/Backup use it through IAM (account root enables IAM policies);
      the Auto Scaling service-linked role needs it explicitly to launch EKS nodes with
      CMK-encrypted root volumes.
    - secrets: Secrets Manager and EKS envelope encryption, through IAM.
    """
    statements: list[Doc] = [_account_root(partition, account_id)]
    if purpose == "logs":
        statements.append(
            {
                "Sid": "CloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": USE_KEY,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    }
                },
            }
        )
    if purpose == "logs":
        statements += [
            {
                "Sid": "CloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                # CloudWatch alarms publish to the KMS-encrypted alert topics
                "Sid": "CloudWatchAlarmsToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ]
    if purpose == "data":
        # the role's ARN comes from components.account (created there on a fresh account, so the
        # key is created after it); a policy naming a missing principal fails CreateKey
        if not autoscaling_role_arn:
            raise ValueError("the data key policy needs the Auto Scaling service-linked role's ARN")
        asg = autoscaling_role_arn
        statements += [
            {
                "Sid": "AutoScalingUseKey",
                "Effect": "Allow",
                "Principal": {"AWS": asg},
                "Action": USE_KEY,
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrants",
                "Effect": "Allow",
                "Principal": {"AWS": asg},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    if purpose == "frontend":
        # CloudFront reads SSE-KMS objects through Origin Access Control only when the key lets
        # it decrypt (CloudFront Developer Guide, "Restricting access to an Amazon S3 origin",
        # "SSE-KMS"); any distribution of this account here, the bucket policy narrows it to the
        # stack's own distribution (the key must exist before the distribution it would name)
        statements.append(
            {
                "Sid": "CloudFrontOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudfront::{account_id}:distribution/*"},
                },
            }
        )
    return document(*statements)


def dnssec_key_policy(*, partition: str, account_id: str) -> Doc:
    """Key policy of a DNSSEC key-signing key (Route 53 Developer Guide, "Working with customer
    managed keys for DNSSEC"): Route 53's DNSSEC service may read the public key and sign for
    this account's hosted zones, and create grants for AWS resources."""
    return document(
        _account_root(partition, account_id),
        {
            "Sid": "Route53DnssecSign",
            "Effect": "Allow",
            "Principal": {"Service": "dnssec-route53.amazonaws.com"},
            "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:route53:::hostedzone/*"},
            },
        },
        {
            "Sid": "Route53DnssecGrants",
            "Effect": "Allow",
            "Principal": {"Service": "dnssec-route53.amazonaws.com"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    )


def query_log_delivery(*, partition: str, account_id: str) -> Doc:
    """CloudWatch Logs resource policy letting Route 53 write query logs (Route 53 Developer
    Guide, "Logging DNS queries": the log groups are in us-east-1 under /aws/route53/)."""
    return document(
        {
            "Sid": "Route53QueryLogs",
            "Effect": "Allow",
            "Principal": {"Service": "route53.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:{partition}:logs:us-east-1:{account_id}:log-group:/aws/route53/*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:route53:::hostedzone/*"},
            },
        }
    )


# ExternalDNS's record names for `host` with the TXT registry (kubernetes-sigs/external-dns
# v0.21.0, registry/mapper/mapper.go ToTXTName: "<record type>-<first label>.<rest>", and an
# ALB alias A record is registered under type "cname", registry/txt/registry.go)
def external_dns_record_names(host: str) -> list[str]:
    first, _, rest = host.partition(".")
    return [host, *(f"{t}-{first}.{rest}" for t in ("a", "aaaa", "cname"))]


def external_dns_statements(zone_arn: Any, hosts: list[str]) -> list[Doc]:
    """ExternalDNS on one zone: upstream's policy (kubernetes-sigs/external-dns v0.21.0,
    docs/tutorials/aws.md, "IAM Policy" and its scoped variant with
    route53:ChangeResourceRecordSetsNormalizedRecordNames) narrowed to the stack's zone, the
    API's names and the record types an ALB alias and its TXT ownership records use."""
    names = sorted({n for h in hosts for n in external_dns_record_names(h)})
    return [
        {
            "Sid": "ChangeOwnRecords",
            "Effect": "Allow",
            "Action": "route53:ChangeResourceRecordSets",
            "Resource": zone_arn,
            "Condition": {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
                    "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "TXT"],
                    "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
                }
            },
        },
        {
            "Sid": "ReadZone",
            "Effect": "Allow",
            "Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],
            "Resource": zone_arn,
        },
        {"Sid": "FindZone", "Effect": "Allow", "Action": "route53:ListHostedZones", "Resource": "*"},
    ]


def use_key(key_arns: list[str], *, grants: bool = False) -> Doc:
    """Permission to use specific KMS keys (and create grants for AWS resources, e.g. EBS volumes)."""
    statements: list[Doc] = [{"Sid": "UseKeys", "Effect": "Allow", "Action": USE_KEY, "Resource": key_arns}]
    if grants:
        statements.append(
            {
                "Sid": "GrantsForAwsResources",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": key_arns,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        )
    return document(*statements)


def flow_log_delivery(log_group_arn: str) -> Doc:
    """VPC flow logs may write only to their own log group."""
    return document(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }
    )


# Actions that read or write data. EKS-08: a workload role never grants them on "*".
DATA_ACTION_PREFIXES = (
    "s3:Get",
    "s3:Put",
    "s3:Delete",
    "s3:List",
    "s3:*",
    "secretsmanager:GetSecretValue",
    "secretsmanager:*",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:*",
    "dynamodb:",
    "sqs:",
    "sns:Publish",
    "ssm:GetParameter",
    "rds-db:connect",
    "*",
)


def data_actions_on_star(doc: Doc) -> list[str]:
    """Data actions this policy allows on Resource "*" (empty when least-privilege holds)."""
    found = []
    for st in doc.get("Statement", []):
        if st.get("Effect") != "Allow":
            continue
        resources = st.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if "*" not in resources:
            continue
        actions = st.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if any(action == p or action.startswith(p) for p in DATA_ACTION_PREFIXES if p != "*") or action == "*":
                found.append(action)
    return found


# ---------------------------------------------------------------------------------------------
# Sufficiency: does a policy grant at least an upstream reference policy?
# ---------------------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str) -> bool:
    """IAM wildcard matching (`*` any run, `?` one character), case-insensitive for actions."""
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


def _conditions(st: Doc) -> set[tuple[str, str, str]]:
    out = set()
    for op, block in (st.get("Condition") or {}).items():
        for key, values in block.items():
            out.add((op, key, json.dumps(sorted(map(str, _list(values))))))
    return out


def missing_grants(policy: Doc, reference: Doc) -> list[str]:
    """What `reference` allows that `policy` does not: for each allowed action and resource of the
    reference, some statement of `policy` must allow that action on a resource pattern that covers
    it, with conditions that are a subset of the reference statement's (fewer conditions grant
    more). Deny statements of `policy` that could remove a grant are reported too."""
    ours = [st for st in _list(policy.get("Statement", [])) if st.get("Effect") == "Allow"]
    out = []
    for ref in _list(reference.get("Statement", [])):
        if ref.get("Effect") != "Allow":
            continue
        ref_conditions = _conditions(ref)
        for action in _list(ref.get("Action")):
            for resource in _list(ref.get("Resource", "*")):
                if not any(
                    any(_matches(str(a).lower(), str(action).lower()) for a in _list(st.get("Action")))
                    and any(_matches(str(r), str(resource)) for r in _list(st.get("Resource", "*")))
                    and _conditions(st) <= ref_conditions
                    for st in ours
                ):
                    where = f" with {sorted(ref_conditions)}" if ref_conditions else ""
                    out.append(f"{action} on {resource}{where}")
    denies = [st for st in _list(policy.get("Statement", [])) if st.get("Effect") == "Deny"]
    if denies:
        out.append(f"{len(denies)} Deny statement(s) may remove reference grants")
    return out
