"""The IAM and KMS documents of groundwork/iam.py, statement by statement.

Each document is what AWS requires for the grant to work and no more; the sources are cited in
groundwork/iam.py. These tests pin every decision in them (principal, action, resource,
condition), so a changed grant is a deliberate change here too.
"""

from __future__ import annotations

import pytest

from groundwork import iam

P, ACCOUNT, REGION = "aws", "333333333333", "eu-west-1"
ASG = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
ROOT = {
    "Sid": "AccountAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def sids(doc: iam.Doc) -> dict[str, iam.Doc]:
    return {st.get("Sid", ""): st for st in doc["Statement"]}


def test_documents_carry_the_policy_language_version() -> None:
    assert iam.document({"a": 1}) == {"Version": "2012-10-17", "Statement": [{"a": 1}]}


def test_service_trust_without_and_with_confused_deputy_conditions() -> None:
    assert iam.assume_role("ec2.amazonaws.com")["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    [st] = iam.assume_role("vpc-flow-logs.amazonaws.com", account_id=ACCOUNT, source_arn="arn:x")["Statement"]
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": "arn:x"}}
    [st] = iam.assume_role("backup.amazonaws.com", source_arn="arn:y")["Statement"]
    assert st["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:y"}}


def test_eks_trust_also_tags_sessions() -> None:
    """EKS passes session tags when it assumes the cluster role (EKS user guide, cluster IAM role)."""
    [st] = iam.assume_role("eks.amazonaws.com", account_id=ACCOUNT)["Statement"]
    assert st["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_pod_identity_trust() -> None:
    """Pod Identity assumes with sts:TagSession (EKS user guide, "Pod Identity role trust")."""
    [bare] = iam.pod_identity_trust()["Statement"]
    assert bare == {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    [st] = iam.pod_identity_trust(account_id=ACCOUNT, cluster_arn="arn:c")["Statement"]
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnEquals": {"aws:SourceArn": "arn:c"}}
    [st] = iam.pod_identity_trust(cluster_arn="arn:c")["Statement"]
    assert st["Condition"] == {"ArnEquals": {"aws:SourceArn": "arn:c"}}


def test_service_linked_role_arn() -> None:
    assert iam.service_linked_role_arn("autoscaling.amazonaws.com", partition=P, account_id=ACCOUNT) == ASG


def test_logs_key_policy() -> None:
    doc = iam.kms_key_policy("logs", partition=P, account_id=ACCOUNT, region=REGION)
    s = sids(doc)
    assert list(s) == [
        "AccountAdministration",
        "CloudWatchLogs",
        "CloudTrailEncrypt",
        "CloudTrailDescribeKey",
        "CloudWatchAlarmsToEncryptedTopics",
    ]
    assert s["AccountAdministration"] == ROOT
    assert s["CloudWatchLogs"]["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert s["CloudWatchLogs"]["Action"] == iam.USE_KEY
    assert s["CloudTrailEncrypt"] == {
        "Sid": "CloudTrailEncrypt",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
        },
    }
    assert s["CloudTrailDescribeKey"]["Action"] == "kms:DescribeKey"
    assert s["CloudTrailDescribeKey"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    alarms = s["CloudWatchAlarmsToEncryptedTopics"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_data_key_policy_names_the_auto_scaling_role() -> None:
    s = sids(iam.kms_key_policy("data", partition=P, account_id=ACCOUNT, region=REGION, autoscaling_role_arn=ASG))
    assert list(s) == ["AccountAdministration", "AutoScalingUseKey", "AutoScalingGrants"]
    assert s["AutoScalingUseKey"] == {
        "Sid": "AutoScalingUseKey",
        "Effect": "Allow",
        "Principal": {"AWS": ASG},
        "Action": iam.USE_KEY,
        "Resource": "*",
    }
    assert s["AutoScalingGrants"]["Action"] == "kms:CreateGrant"
    assert s["AutoScalingGrants"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    with pytest.raises(ValueError, match="service-linked role"):
        iam.kms_key_policy("data", partition=P, account_id=ACCOUNT, region=REGION)


def test_secrets_key_policy_is_the_account_alone() -> None:
    assert iam.kms_key_policy("secrets", partition=P, account_id=ACCOUNT, region=REGION)["Statement"] == [ROOT]


def test_frontend_key_lets_cloudfront_of_this_account_read() -> None:
    s = sids(iam.kms_key_policy("frontend", partition=P, account_id=ACCOUNT, region=REGION))
    assert list(s) == ["AccountAdministration", "CloudFrontOriginAccessControl"]
    oac = s["CloudFrontOriginAccessControl"]
    assert oac["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert oac["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]
    assert oac["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/*"},
    }


def test_dnssec_key_policy() -> None:
    s = sids(iam.dnssec_key_policy(partition=P, account_id=ACCOUNT))
    assert s["AccountAdministration"] == ROOT
    assert s["Route53DnssecSign"]["Action"] == ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]
    assert s["Route53DnssecSign"]["Principal"] == {"Service": "dnssec-route53.amazonaws.com"}
    assert s["Route53DnssecSign"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
    }
    assert s["Route53DnssecGrants"]["Action"] == "kms:CreateGrant"
    assert s["Route53DnssecGrants"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_query_log_delivery() -> None:
    [st] = iam.query_log_delivery(partition=P, account_id=ACCOUNT)["Statement"]
    assert st["Principal"] == {"Service": "route53.amazonaws.com"}
    assert st["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert st["Resource"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/*"
    assert st["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
    }


def test_external_dns_statements() -> None:
    st = sids({"Statement": iam.external_dns_statements("arn:zone", ["api.example.com", "api.example.com"])})
    assert st["ChangeOwnRecords"]["Condition"]["ForAllValues:StringEquals"] == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
            "a-api.example.com",
            "aaaa-api.example.com",
            "api.example.com",
            "cname-api.example.com",
        ],
        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "TXT"],
        "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
    }
    assert st["ChangeOwnRecords"]["Resource"] == st["ReadZone"]["Resource"] == "arn:zone"
    assert st["ReadZone"]["Action"] == ["route53:ListResourceRecordSets", "route53:ListTagsForResources"]
    assert st["FindZone"] == {
        "Sid": "FindZone",
        "Effect": "Allow",
        "Action": "route53:ListHostedZones",
        "Resource": "*",
    }


def test_use_key_with_and_without_grants() -> None:
    assert iam.use_key(["arn:k"])["Statement"] == [
        {"Sid": "UseKeys", "Effect": "Allow", "Action": iam.USE_KEY, "Resource": ["arn:k"]}
    ]
    grants = sids(iam.use_key(["arn:k"], grants=True))["GrantsForAwsResources"]
    assert grants["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert grants["Resource"] == ["arn:k"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_flow_log_delivery_writes_only_its_group() -> None:
    [st] = iam.flow_log_delivery("arn:g")["Statement"]
    assert st["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    assert st["Resource"] == ["arn:g", "arn:g:*"]


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, ["s3:GetObject"]),
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}, ["s3:GetObject"]),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, ["*"]),
        ({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}, ["sqs:SendMessage"]),
        ({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}, ["kms:*"]),
        ({"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}, []),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, []),
        ({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}, []),
        ({"Effect": "Allow", "Resource": "*"}, []),
    ],
)
def test_data_actions_on_star(statement: iam.Doc, found: list[str]) -> None:
    assert iam.data_actions_on_star({"Statement": [statement]}) == found


def test_missing_grants() -> None:
    reference = iam.document(
        {"Effect": "Allow", "Action": ["ec2:DescribeVpcs", "elasticloadbalancing:AddTags"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}},
        },
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    )
    complete = iam.document(
        {"Effect": "Allow", "Action": ["EC2:Describe*", "elasticloadbalancing:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:security-group/*"},
    )
    assert iam.missing_grants(complete, reference) == []
    narrower = iam.document(
        {"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "arn:aws:ec2:*:*:vpc/one"},
        {
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestTag/x": "y"}},
        },
        {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*"},
    )
    assert iam.missing_grants(narrower, reference) == [
        "ec2:DescribeVpcs on *",
        "elasticloadbalancing:AddTags on *",
        "ec2:CreateTags on arn:aws:ec2:*:*:security-group/* with "
        "[('StringEquals', 'ec2:CreateAction', '[\"CreateSecurityGroup\"]')]",
        "1 Deny statement(s) may remove reference grants",
    ]
    one = {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/?"}}
    assert (
        iam.missing_grants(
            one, {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}}
        )
        == []
    )
    assert iam.missing_grants(
        one, {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/kk"}}
    ) == ["s3:GetObject on arn:aws:s3:::b/kk"]
    no_resource = {"Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets"}]}
    assert iam.missing_grants(no_resource, no_resource) == []
