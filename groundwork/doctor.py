"""`groundwork doctor`: preflight checks before a stack's first `pulumi up`.

Each check gives a finding (ok, warning or problem) and, when not ok, the fix. The checks read
only; none creates anything. Exit 1 when a problem is found, 2 when AWS cannot be reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import botocore.exceptions
import yaml

from groundwork import regions
from groundwork.delivery.stack import GITHUB_OIDC, backend_url, secrets_provider
from groundwork.dr.aws import ClientFactory, call, missing
from groundwork.iam import SERVICE_LINKED_ROLES
from groundwork.naming import Naming
from groundwork.settings.model import StackSettings

QUOTAS = {  # (service, quota code): what needs it
    ("ec2", "L-0263D0A3"): "Elastic IP addresses (one per NAT gateway)",
    ("vpc", "L-F678F1CE"): "VPCs per region",
    # new accounts often start far below what the node groups need (Service Quotas: "Running
    # On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", counted in vCPUs)
    ("ec2", "L-1216C47A"): "On-Demand Standard instance vCPUs (nodes at desired size, operator host)",
    # Spot node groups draw on a separate quota ("All Standard (A, C, D, H, I, M, R, T, Z) Spot
    # Instance Requests", in vCPUs), as small as the on-demand one on a new account
    ("ec2", "L-34B43A08"): "Spot Standard instance vCPUs (Spot node groups at desired size)",
}


@dataclass(frozen=True)
class Finding:
    check: str
    level: str  # ok | warning | problem
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "level": self.level, "detail": self.detail, "fix": self.fix}


def _ok(check: str, detail: str) -> Finding:
    return Finding(check, "ok", detail)


def check_identity(clients: ClientFactory, s: StackSettings) -> tuple[list[Finding], str | None, str]:
    ident = call("identify the caller", clients("sts", s.region).get_caller_identity)
    account = ident["Account"]
    if s.account_id and account != s.account_id:
        return (
            [
                Finding(
                    "credentials",
                    "problem",
                    f"the credentials belong to account {account}, the stack deploys to {s.account_id}",
                    f"use the credentials (role) of account {s.account_id}",
                )
            ],
            account,
            ident["Arn"],
        )
    return [_ok("credentials", f"{ident['Arn']} in account {account}")], account, ident["Arn"]


def check_regions(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    regions = call("list regions", clients("ec2", s.region).describe_regions, AllRegions=True)["Regions"]
    status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in regions}
    out = []
    for label, region in (("region", s.region), ("DR region", s.dr_region)):
        state = status.get(region)
        if state in ("opt-in-not-required", "opted-in"):
            out.append(_ok(label, f"{region} is enabled"))
        else:
            out.append(
                Finding(
                    label,
                    "problem",
                    f"{region} is {state or 'unknown'} for this account",
                    f"enable {region} (Account settings > AWS Regions), or choose another",
                )
            )
    return out


def check_certificate(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    arn, host = s.ingress.certificate_arn, s.ingress.host
    if s.ingress.enabled and host and not arn and s.edge.domain:
        return [_ok("certificate", f"requested and validated by the stack in {s.region} (edge.domain {s.edge.domain})")]
    if not s.ingress.enabled or not arn:
        return [_ok("certificate", "the stack serves no HTTPS (no certificate needed)")]
    try:
        cert = call("read the certificate", clients("acm", s.region).describe_certificate, CertificateArn=arn)[
            "Certificate"
        ]
    except botocore.exceptions.ClientError as exc:
        if missing(exc):
            return [Finding("certificate", "problem", f"{arn} does not exist in {s.region}",
                            f"request a certificate for {host or 'the host'} in ACM ({s.region}) and set groundwork:ingress.certificateArn")]  # fmt: skip
        raise
    out = []
    if cert.get("Status") != "ISSUED":
        out.append(Finding("certificate", "problem", f"{arn} is {cert.get('Status')}",
                           "complete its DNS validation (the CNAME records ACM lists) before `pulumi up`"))  # fmt: skip
    names = {cert.get("DomainName"), *(cert.get("SubjectAlternativeNames") or [])}
    if host and not any(n == host or (n and n.startswith("*.") and host.split(".", 1)[-1] == n[2:]) for n in names):
        out.append(Finding("certificate", "problem", f"{arn} covers {', '.join(sorted(n for n in names if n))}, not {host}",
                           f"use a certificate for {host}"))  # fmt: skip
    if not out:
        out.append(_ok("certificate", f"{cert.get('DomainName')} issued, covers {host or 'the stack'}"))
    return out


def _public_zones(route53: Any, name: str) -> list[dict[str, Any]]:
    found = call("list hosted zones", route53.list_hosted_zones_by_name, DNSName=name).get("HostedZones", [])
    return [z for z in found if z["Name"].rstrip(".") == name and not (z.get("Config") or {}).get("PrivateZone")]


def _record(route53: Any, zone_id: str, name: str, kind: str) -> list[str]:
    sets = call(
        "read records", route53.list_resource_record_sets, HostedZoneId=zone_id, StartRecordName=name, StartRecordType=kind
    ).get("ResourceRecordSets", [])  # fmt: skip
    return [
        r["Value"].rstrip(".").lower()
        for s in sets
        if s["Name"].rstrip(".") == name and s["Type"] == kind
        for r in s.get("ResourceRecords", [])
    ]


def _first_up(s: StackSettings, where: str = "the delegation at the registrar") -> str:
    # not `pulumi up --target <zone>`: the zone's component and provider are new too and a targeted
    # update refuses to create a resource whose parent it does not target, while targeting the
    # component takes all its children, the certificates included (pulumi/pulumi#5869, #7605)
    return (
        f"create the zone first (`aws route53 create-hosted-zone --name {s.edge.domain} --caller-reference "
        f"{s.project}-{s.stack}`), add {where} with the name servers it prints, and adopt it: "
        "groundwork:edge.zoneId (docs/edge.md, first `up`)"
    )


def check_edge_zone(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    """The stack's zone (EDGE-01): an adopted one exists and is public; a created one does not already
    exist under that name; the parent delegates to it and, with DNSSEC, holds its DS record, where the
    parent zone is in this account (a registrar's delegation cannot be read through AWS)."""
    e = s.edge
    assert e.domain
    label = "hosted zone"
    route53 = clients("route53", "us-east-1")
    ours: dict[str, Any] | None = None
    if e.zone_id:
        try:
            ours = call("read the hosted zone", route53.get_hosted_zone, Id=e.zone_id)
        except botocore.exceptions.ClientError as exc:
            if missing(exc) or "NoSuchHostedZone" in str(exc):
                return [Finding(label, "problem", f"edge.zoneId {e.zone_id} is no hosted zone of this account",
                                "give the ID of the public zone of edge.domain (aws route53 list-hosted-zones-by-name)")]  # fmt: skip
            raise
        zone = ours["HostedZone"]
        if zone["Name"].rstrip(".") != e.domain or (zone.get("Config") or {}).get("PrivateZone"):
            return [Finding(label, "problem", f"{e.zone_id} is {'a private zone' if (zone.get('Config') or {}).get('PrivateZone') else 'the zone of ' + zone['Name'].rstrip('.')}, not the public zone of {e.domain}",
                            f"give the ID of the public zone of {e.domain}")]  # fmt: skip
    else:
        existing = _public_zones(route53, e.domain)
        deployed = [z for z in existing if "groundwork" in (z.get("Config") or {}).get("Comment", "")]
        if existing and not deployed:
            return [Finding(label, "warning", f"a public zone {e.domain} already exists ({existing[0]['Id'].rsplit('/', 1)[-1]}): "
                            "the stack would create a second one, which the parent does not delegate to",
                            f"adopt it: groundwork:edge.zoneId: {existing[0]['Id'].rsplit('/', 1)[-1]}")]  # fmt: skip
        if deployed:
            ours = call("read the hosted zone", route53.get_hosted_zone, Id=deployed[0]["Id"])
    servers = sorted(n.rstrip(".").lower() for n in ((ours or {}).get("DelegationSet") or {}).get("NameServers", []))
    labels = e.domain.split(".")
    parents = [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    parent = next(((p, z) for p in parents for z in _public_zones(route53, p)), None)
    if parent is None:
        where = f"the registrar of {'.'.join(labels[-2:])}" if len(labels) > 2 else "the registrar"
        if ours is None:  # the stack creates the zone: nothing can delegate to it yet
            return [Finding(label, "warning", f"the stack creates {e.domain}; {where} must delegate it before its "
                            "certificates can validate (not checkable through AWS)", _first_up(s))]  # fmt: skip
        return [_ok(label, f"{e.domain}: no parent zone in this account; {where} delegates it (not checkable "
                           "through AWS: compare `dig NS` with the zone's name servers)")]  # fmt: skip
    name, zone = parent
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    delegated = sorted(_record(route53, zone_id, e.domain, "NS"))
    if not delegated:
        # ACM validates through the delegated zone only: an undelegated zone's certificates wait out
        # CertificateValidation's timeout, so the zone is created and delegated before the rest
        return [Finding(label, "warning", f"the parent zone {name} ({zone_id}) does not delegate {e.domain}: "
                        "its certificates cannot validate until it does",
                        _first_up(s, f"an NS record {e.domain} in {name}"))]  # fmt: skip
    if servers and delegated != servers:
        return [Finding(label, "problem", f"{name} delegates {e.domain} to {', '.join(delegated)}, not to the zone's "
                        f"name servers {', '.join(servers)}", f"replace the NS record {e.domain} in {name} with the zone's")]  # fmt: skip
    out = [_ok(label, f"{name} delegates {e.domain}" + (" to the stack's zone" if servers else ""))]
    if e.dnssec and servers and not _record(route53, zone_id, e.domain, "DS"):
        out.append(Finding("dnssec", "warning", f"{name} holds no DS record for {e.domain}: resolvers do not validate its signatures yet",
                           f"add the DS record `aws route53 get-dnssec --hosted-zone-id <zoneId>` prints to {name}"))  # fmt: skip
    return out


def check_hosted_zone(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    if s.edge.domain:
        return check_edge_zone(clients, s)
    host = s.ingress.host
    if not host:
        return [_ok("hosted zone", "no host name configured")]
    zones = call("list hosted zones", clients("route53", s.region).list_hosted_zones)["HostedZones"]
    labels = host.split(".")
    for i in range(len(labels) - 1):
        name = ".".join(labels[i:]) + "."
        for z in zones:
            if z["Name"] == name and not z.get("Config", {}).get("PrivateZone"):
                return [_ok("hosted zone", f"{name} ({z['Id'].rsplit('/', 1)[-1]}) serves {host}")]
    return [Finding("hosted zone", "warning", f"no public hosted zone in this account serves {host}",
                    f"create the zone (or delegate {host}) so the ALB's alias record can be added after `pulumi up`")]  # fmt: skip


def check_github_oidc(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    repo = s.delivery.github_repository
    if not repo:
        return [_ok("GitHub OIDC", "no CI repository configured (groundwork:delivery.githubRepository)")]
    providers = call("list OIDC providers", clients("iam", s.region).list_open_id_connect_providers)[
        "OpenIDConnectProviderList"
    ]
    if any(p["Arn"].endswith(f"oidc-provider/{GITHUB_OIDC}") for p in providers):
        return [_ok("GitHub OIDC", f"{GITHUB_OIDC} is trusted; {repo} can assume the deploy role")]
    return [Finding("GitHub OIDC", "problem", f"the account has no OIDC provider for {GITHUB_OIDC}",
                    "create it once per account: see docs/delivery.md (bootstrap)")]  # fmt: skip


def check_service_linked_roles(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    """The roles the key policies name (components/account.py): the stack creates those that
    `existingServiceLinkedRoles` does not list, which fails when the account already has them."""
    out = []
    iam = clients("iam", s.region)
    for service, role in SERVICE_LINKED_ROLES.items():
        try:
            call("read a service-linked role", iam.get_role, RoleName=role)
            exists = True
        except botocore.exceptions.ClientError as exc:
            if not missing(exc):
                raise
            exists = False
        listed = service in s.existing_service_linked_roles
        if exists and not listed:
            out.append(Finding(f"service-linked role {role}", "problem",
                               "it exists in the account, so the stack's attempt to create it would fail",
                               f'add "{service}" to groundwork:existingServiceLinkedRoles'))  # fmt: skip
        elif listed and not exists:
            out.append(Finding(f"service-linked role {role}", "problem",
                               "groundwork:existingServiceLinkedRoles lists it but the account does not have it: "
                               "the data key's policy would name a missing principal (CreateKey fails)",
                               f'remove "{service}" from groundwork:existingServiceLinkedRoles (the stack creates it)'))  # fmt: skip
        else:
            out.append(
                _ok(f"service-linked role {role}", "exists" if exists else "the stack creates it before the keys")
            )
    return out


def _role_of(caller_arn: str) -> str:
    """arn:aws:sts::1:assumed-role/NAME/session -> NAME; arn:aws:iam::1:role/path/NAME -> NAME."""
    if ":assumed-role/" in caller_arn:
        return caller_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    return caller_arn.rsplit("/", 1)[-1] if ":role/" in caller_arn else ""


def check_cluster_creator(clients: ClientFactory, s: StackSettings, caller_arn: str) -> list[Finding]:
    """pulumi-eks makes whoever creates the cluster its admin (bootstrapClusterCreatorAdminPermissions).
    The stack declares that principal: the deploy role. A first `up` by anyone else would leave an
    undeclared admin entry behind (and the deploy role without access)."""
    creator = s.delivery.role("deploy", s.account_id, s.stack) if s.delivery.github_repository else None
    name = Naming(s.project, s.stack).physical(kind="eks-cluster")
    try:
        call("read the cluster", clients("eks", s.region).describe_cluster, name=name)
        return [_ok("cluster creator", f"cluster {name} exists: its creator admin was granted at creation")]
    except botocore.exceptions.ClientError as exc:
        if not missing(exc):
            raise
    if not creator:
        return [Finding("cluster creator", "warning",
                        f"the first `up` creates {name} and makes {caller_arn} its admin, which no setting declares",
                        "set groundwork:delivery.githubRepository so the deploy role creates the cluster")]  # fmt: skip
    if _role_of(caller_arn) != creator.rsplit("/", 1)[-1]:
        return [Finding("cluster creator", "problem",
                        f"the first `up` would make {caller_arn} the admin of {name}; the stack declares {creator}",
                        f"run the first `up` as {creator} (the deploy workflow does), or change groundwork:delivery.deployRoleArn")]  # fmt: skip
    return [_ok("cluster creator", f"first `up` as the deploy role {creator}, the declared cluster admin")]


def check_code_connection(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    """CI's runner reaches GitHub through the connection; it stays PENDING until someone
    authorises the GitHub app in the console, and CodeBuild cannot register the webhook before."""
    arn = s.delivery.code_connection_arn
    if not s.delivery.github_repository or not arn:
        return [_ok("GitHub connection", "no CI repository configured")]
    try:
        status = call("read the GitHub connection", clients("codeconnections", arn.split(":")[3]).get_connection,
                      ConnectionArn=arn)["Connection"]["ConnectionStatus"]  # fmt: skip
    except botocore.exceptions.ClientError as exc:
        if not missing(exc):
            raise
        return [Finding("GitHub connection", "problem", f"{arn} does not exist",
                        "create it (Developer Tools > Settings > Connections > GitHub) and set groundwork:delivery.codeConnectionArn")]  # fmt: skip
    if status != "AVAILABLE":
        return [Finding("GitHub connection", "problem", f"{arn} is {status}",
                        "open it in the console (Developer Tools > Settings > Connections) and choose Update pending connection")]  # fmt: skip
    return [_ok("GitHub connection", f"{arn} is AVAILABLE: the CodeBuild runner can register its webhook")]


def check_chatbot(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    """AWS Chatbot posts to a Slack workspace only after someone authorised it once (console)."""
    n = s.observability.notifications
    if not (s.observability.aws_alarms.enabled and n.aws_chatbot_slack_team_id and n.aws_chatbot_slack_channel_id):
        return [_ok("Slack (AWS Chatbot)", "no Chatbot channel configured")]
    region = regions.chatbot_region(s.region)
    workspaces = call("list the Slack workspaces Chatbot may post to",
                      clients("chatbot", region).describe_slack_workspaces).get("SlackWorkspaces", [])  # fmt: skip
    if any(w.get("SlackTeamId") == n.aws_chatbot_slack_team_id for w in workspaces):
        return [_ok("Slack (AWS Chatbot)", f"workspace {n.aws_chatbot_slack_team_id} is authorised")]
    return [Finding("Slack (AWS Chatbot)", "problem",
                    f"Chatbot is not authorised for the Slack workspace {n.aws_chatbot_slack_team_id}: creating the channel configuration fails",
                    "authorise it once: AWS Chatbot console (us-east-2) > Configure new client > Slack, then run doctor again")]  # fmt: skip


def _on_demand_vcpus(s: StackSettings) -> int:
    """vCPUs the first `up` launches on demand: the node groups at desired size, the operator
    host and the NAT instance (t4g.nano, 2 vCPUs each)."""
    from groundwork import catalog

    nodes = sum(
        g.desired_size * catalog.INSTANCE_TYPES[g.instance_types[0]].vcpu
        for g in s.cluster.node_groups
        if g.capacity_type == "ON_DEMAND"
    )
    hosts = (s.cluster.operator_access == "ssm") + (s.network.nat_mode == "instance")
    return nodes + 2 * hosts


def _spot_vcpus(s: StackSettings) -> int:
    """vCPUs the Spot node groups ask for at desired size (the largest of their types: any may launch)."""
    from groundwork import catalog

    return sum(
        g.desired_size * max(catalog.INSTANCE_TYPES[t].vcpu for t in g.instance_types)
        for g in s.cluster.node_groups
        if g.capacity_type == "SPOT"
    )


def _nat_gateways(s: StackSettings) -> int:
    """Elastic IPs the NAT gateways hold (a NAT instance's address is auto-assigned, not an EIP)."""
    return {"single": 1, "instance": 0}.get(s.network.nat_mode, s.network.az_count)


def check_quotas(clients: ClientFactory, s: StackSettings) -> list[Finding]:
    out = []
    ec2 = clients("ec2", s.region)
    from groundwork import catalog

    running = [
        i
        for res in call("list instances", ec2.describe_instances).get("Reservations", [])
        for i in res.get("Instances", [])
        if i.get("State", {}).get("Name") in ("pending", "running")
    ]

    def vcpus(instances: list[dict[str, Any]]) -> int:
        return sum(
            (i.get("CpuOptions") or {}).get("CoreCount", 1) * (i.get("CpuOptions") or {}).get("ThreadsPerCore", 1)
            if i.get("CpuOptions")
            else (
                catalog.INSTANCE_TYPES[i["InstanceType"]].vcpu if i.get("InstanceType") in catalog.INSTANCE_TYPES else 2
            )
            for i in instances
        )

    spot = [i for i in running if i.get("InstanceLifecycle") == "spot"]
    in_use = {
        ("ec2", "L-0263D0A3"): len(call("list addresses", ec2.describe_addresses).get("Addresses", [])),
        ("vpc", "L-F678F1CE"): len(call("list VPCs", ec2.describe_vpcs).get("Vpcs", [])),
        ("ec2", "L-1216C47A"): vcpus([i for i in running if i not in spot]),
        ("ec2", "L-34B43A08"): vcpus(spot),
    }
    needed = {
        ("ec2", "L-0263D0A3"): _nat_gateways(s),
        ("vpc", "L-F678F1CE"): 1,
        ("ec2", "L-1216C47A"): _on_demand_vcpus(s),
        ("ec2", "L-34B43A08"): _spot_vcpus(s),
    }
    sq = clients("service-quotas", s.region)
    for (service, code), label in QUOTAS.items():
        try:
            quota = call("read a service quota", sq.get_service_quota, ServiceCode=service, QuotaCode=code)["Quota"][
                "Value"
            ]
        except botocore.exceptions.ClientError as exc:
            if not missing(exc) and exc.response["Error"]["Code"] != "NoSuchResourceException":
                raise
            quota = call("read a default quota", sq.get_aws_default_service_quota, ServiceCode=service, QuotaCode=code)[
                "Quota"
            ]["Value"]
        free = quota - in_use[(service, code)]
        if free < needed[(service, code)]:
            out.append(Finding(f"quota: {label}", "problem",
                               f"{in_use[(service, code)]:g} of {quota:g} used, the stack needs {needed[(service, code)]}",
                               f"request an increase of {code} in Service Quotas ({s.region})"))  # fmt: skip
        else:
            out.append(_ok(f"quota: {label}", f"{free:g} free of {quota:g}, the stack needs {needed[(service, code)]}"))
    return out


def check_backend(clients: ClientFactory, s: StackSettings, url: str, stack_file: dict[str, Any]) -> list[Finding]:
    out = []
    parsed = urlparse(url)
    if parsed.scheme != "s3":
        out.append(_ok("state backend", f"{url} (not S3: not checked)"))
    else:
        region = (parse_qs(parsed.query).get("region") or [s.region])[0]
        try:
            call("reach the state bucket", clients("s3", region).head_bucket, Bucket=parsed.netloc)
            out.append(_ok("state backend", f"s3://{parsed.netloc} is reachable"))
        except botocore.exceptions.ClientError as exc:
            if not missing(exc):
                raise
            out.append(Finding("state backend", "problem", f"bucket {parsed.netloc} does not exist",
                               "create it as README.md 'State backend and secrets provider' shows, or set PULUMI_BACKEND_URL"))  # fmt: skip
    provider = stack_file.get("secretsprovider") or secrets_provider(s)
    m = re.match(r"^awskms://([^?]+)(?:\?region=([a-z0-9-]+))?", str(provider))
    if not m:
        out.append(_ok("secrets provider", f"{provider} (not awskms: not checked)"))
        return out
    key, region = m.group(1), m.group(2) or s.region
    try:
        meta = call("read the secrets provider key", clients("kms", region).describe_key, KeyId=key)["KeyMetadata"]
        state = meta.get("KeyState", "Enabled")
        if state == "Enabled":
            out.append(_ok("secrets provider", f"{key} is enabled"))
        else:
            out.append(Finding("secrets provider", "problem", f"{key} is {state}", "enable the key or use another"))
    except botocore.exceptions.ClientError as exc:
        if not missing(exc):
            raise
        out.append(Finding("secrets provider", "problem", f"KMS key {key} not found in {region}",
                           f"create it: aws kms create-alias --alias-name {key.removeprefix('alias/') if key.startswith('alias/') else key} ..."))  # fmt: skip
    return out


def doctor(
    clients: ClientFactory,
    s: StackSettings,
    *,
    project: dict[str, Any] | None = None,
    stack_file: dict[str, Any] | None = None,
) -> list[Finding]:
    findings, account, caller = check_identity(clients, s)
    findings += check_regions(clients, s)
    findings += check_certificate(clients, s)
    findings += check_hosted_zone(clients, s)
    findings += check_github_oidc(clients, s)
    findings += check_service_linked_roles(clients, s)
    findings += check_code_connection(clients, s)
    findings += check_chatbot(clients, s)
    findings += check_cluster_creator(clients, s, caller)
    findings += check_quotas(clients, s)
    findings += check_backend(clients, s, backend_url(s, account=account, project=project), stack_file or {})
    return findings


def read_yaml(path: Any) -> dict[str, Any]:
    try:
        data = yaml.safe_load(open(path).read())  # noqa: SIM115
    except OSError:
        return {}
    return data if isinstance(data, dict) else {}
