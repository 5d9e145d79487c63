"""What CI needs to know about a stack, derived from its settings (docs/delivery.md).

- `stack_env`: the values a workflow job reads (`groundwork ci stack-env`): region, roles,
  backend, secrets provider, whether `pulumi up` waits for approval.
- `trust_policy` / `preview_policy`: the IAM documents of the three roles CI assumes through
  GitHub OIDC, printed by `groundwork ci bootstrap` for a one-time setup per account. The deploy
  role trusts only the stack's GitHub environment (so only an approved job gets it); the preview
  role trusts pull requests and the default branch and can read but not change; the drift role
  reads like the preview role (and the cluster's Secrets) from the `drift-<stack>` environment only.
- `outputs_markdown`: the job summary of a deployment.
"""

from __future__ import annotations

import os
from typing import Any

from groundwork.settings.model import StackSettings

GITHUB_OIDC = "token.actions.githubusercontent.com"


class DeliveryError(Exception):
    """The stack's settings do not say enough for CI: the message says which key to set."""


def backend_url(s: StackSettings, *, account: str | None = None, project: dict[str, Any] | None = None) -> str:
    """The state backend: PULUMI_BACKEND_URL, else groundwork:delivery.backendUrl, else Pulumi.yaml's
    backend.url, else the README's convention for the stack's account (or `account`, the caller's)."""
    url = (
        os.environ.get("PULUMI_BACKEND_URL")
        or s.delivery.backend_url
        or ((project or {}).get("backend") or {}).get("url")
    )
    if url:
        return str(url)
    account = s.account_id or account
    if not account:
        raise DeliveryError("no state backend: set groundwork:accountId or groundwork:delivery.backendUrl")
    return f"s3://groundwork-state-{account}?region={s.region}&awssdk=v2"


def secrets_provider(s: StackSettings) -> str:
    return f"awskms://alias/groundwork-state-{s.environment}?region={s.region}"


def role(s: StackSettings, kind: str) -> str:
    arn = s.delivery.role(kind, s.account_id, s.stack)
    if arn is None:
        key = f"{kind}RoleArn"
        raise DeliveryError(f"no {kind} role: set groundwork:accountId or groundwork:delivery.{key}")
    return arn


def stack_env(s: StackSettings) -> dict[str, str]:
    return {
        "stack": s.stack,
        "environment": s.environment,
        "region": s.region,
        "account-id": s.account_id or "",
        "deploy-role": role(s, "deploy"),
        "preview-role": role(s, "preview"),
        "drift-role": role(s, "drift"),
        "backend-url": backend_url(s),
        "secrets-provider": secrets_provider(s),
        "approval": "true" if s.delivery.approval else "false",
        "drift-detection": "true" if s.delivery.drift_detection else "false",
    }


def _repo(s: StackSettings) -> str:
    if not s.delivery.github_repository:
        raise DeliveryError("no GitHub repository: set groundwork:delivery.githubRepository (owner/name)")
    return s.delivery.github_repository


def trust_policy(s: StackSettings, kind: str, default_branch: str = "main") -> dict[str, Any]:
    """Who may assume the role: GitHub's OIDC tokens of this repository, narrowed by subject."""
    repo, account = _repo(s), s.account_id
    if not account:
        raise DeliveryError("no account: set groundwork:accountId")
    if kind == "deploy":
        subjects = [f"repo:{repo}:environment:{s.stack}"]  # only jobs running in the stack's environment
    elif kind == "drift":
        subjects = [f"repo:{repo}:environment:drift-{s.stack}"]  # protected branches only, no reviewers
    else:
        subjects = [f"repo:{repo}:pull_request", f"repo:{repo}:ref:refs/heads/{default_branch}"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    # exact subjects, no wildcards: a list matches any of them
                    "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com", f"{GITHUB_OIDC}:sub": subjects},
                },
            }
        ],
    }


def preview_policy(s: StackSettings) -> dict[str, Any]:
    """What a preview needs beyond the AWS managed ReadOnlyAccess policy: the state (read, plus
    the lock objects the S3 backend writes), the state key (decrypt), and the one secret the
    program reads at preview (the alerting receivers)."""
    account = s.account_id
    bucket = backend_url(s).split("://", 1)[1].split("?", 1)[0].split("/", 1)[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Sid": "LockState",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/.pulumi/locks/*"],
            },
            {
                "Sid": "DecryptStackSecrets",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [f"arn:aws:kms:{s.region}:{account}:key/*"],
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [f"alias/groundwork-state-{s.environment}"]}
                },
            },
            {
                "Sid": "ReadAlertingReceivers",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    f"arn:aws:secretsmanager:{s.region}:{account}:secret:{s.project}/{s.stack}/platform/alerting-*"
                ],
            },
            {
                "Sid": "DecryptThroughSecretsManager",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [f"arn:aws:kms:{s.region}:{account}:key/*"],
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{s.region}.amazonaws.com"}},
            },
        ],
    }


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        text = (
            ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else ", ".join(map(str, value))
        )
    else:
        text = str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text[:200]}`" if text else "-"


def outputs_markdown(stack: str, outputs: dict[str, Any], commit: str | None = None) -> str:
    """The job summary of a deployment: every stack output, secrets as `[secret]` (as
    `pulumi stack output --json` prints them without --show-secrets)."""
    lines = [
        f"## `{stack}` deployed" + (f" at `{commit[:7]}`" if commit else ""),
        "",
        "| output | value |",
        "|---|---|",
    ]
    for key in sorted(outputs):
        lines.append(f"| `{key}` | {_cell(outputs[key])} |")
    if not outputs:
        lines.append("| (none) | |")
    return "\n".join(lines) + "\n"
