"""Type-aware mocks for the offline plan: realistic, deterministic ids, ARNs and endpoints.

Every value derives from the resource's URN and from its own provider (region, account), so
two runs of one stack produce the same graph and resources in the DR region get DR-region
ARNs. pulumi-eks components, which in a real deployment create their children in the
pulumi-eks plugin, answer with the outputs that plugin returns; the `aws:eks/cluster:Cluster`
they hand back by reference is registered here so the program can read its properties.
An invoke the mocks do not know fails loudly rather than returning an empty answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi.runtime import mocks

from groundwork.plan import pulumi_eks
from groundwork.plan.graph import RESOURCE_SIG, SIG, Resource

DEFAULT_ACCOUNT = "123456789012"
# Regions whose number of generally available AZs is not 3.
AZ_COUNTS = {"us-east-1": 6, "us-west-2": 4, "us-west-1": 2, "ap-northeast-2": 4}


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _uuid(seed: str) -> str:
    h = _hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Where:
    region: str
    account: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account if account else ''}:{resource}"


# id prefixes of EC2-style resources
EC2_IDS = {
    "aws:ec2/vpc:Vpc": ("vpc", "vpc"),
    "aws:ec2/subnet:Subnet": ("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": ("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": ("nat", "natgateway"),
    "aws:ec2/eip:Eip": ("eipalloc", "elastic-ip"),
    "aws:ec2/routeTable:RouteTable": ("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc", None),
    "aws:ec2/route:Route": ("r-rtb", None),
    "aws:ec2/securityGroup:SecurityGroup": ("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("sg", "security-group"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr", "security-group-rule"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": ("sgrule", None),
    "aws:ec2/networkAcl:NetworkAcl": ("acl", "network-acl"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpce", "vpc-endpoint"),
    "aws:ec2/flowLog:FlowLog": ("fl", "vpc-flow-log"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("lt", "launch-template"),
    "aws:ec2/instance:Instance": ("i", "instance"),
}


class GroundworkMocks(mocks.Mocks):
    """Answers RegisterResource and Invoke for the offline plan (see RecordingMonitor)."""

    def __init__(self, region: str, account: str | None = None) -> None:
        self.default = Where(region=region, account=account or DEFAULT_ACCOUNT)
        self.providers: dict[str, dict[str, Any]] = {}  # "urn::id" -> provider inputs
        self.monitor: Any = None
        self._children: list[Resource] = []  # registered by remote components' plugins

    def drain_children(self) -> list[Resource]:
        out, self._children = self._children, []
        return out

    # -----------------------------------------------------------------------------------------
    def where(self, provider_ref: str | None) -> Where:
        inputs = self.providers.get(provider_ref or "", {})
        region = inputs.get("region") or self.default.region
        allowed = inputs.get("allowedAccountIds")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        account = allowed[0] if allowed else self.default.account
        return Where(region=region, account=account)

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        w = self.where(args.provider)
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": w.account,
                "arn": f"arn:{w.partition}:sts::{w.account}:assumed-role/groundwork-deployer/offline-plan",
                "userId": "AROAOFFLINEPLAN:offline-plan",
                "id": w.account,
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": w.partition,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": w.partition,
            }
        if token == "aws:index/getRegion:getRegion":
            region = args.args.get("region") or w.region
            return {
                "name": region,
                "region": region,
                "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "description": region,
            }
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{w.region}{x}" for x in "abcdef"[: AZ_COUNTS.get(w.region, 3)]]
            return {
                "names": names,
                "zoneIds": [f"{w.region[:3]}{w.region[-1]}-az{i + 1}" for i in range(len(names))],
                "id": w.region,
                "groupNames": [w.region] * len(names),
                "state": args.args.get("state"),
            }
        if token == "aws:route53/getZone:getZone":
            # an adopted zone (edge.zoneId): the offline plan answers for the ID it is given
            zone_id = str(args.args.get("zoneId") or "Z" + _hex(str(args.args.get("name")), 20).upper())
            return {
                "id": zone_id,
                "name": args.args.get("name") or "",
                "privateZone": False,
                **_zone_outputs(zone_id, w),
            }
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            # operator-provided secrets: the offline plan cannot know their value, so it answers
            # with one placeholder JSON object whose every expected key is a placeholder
            placeholder = "https://offline-plan.invalid/placeholder"
            secret_id = str(args.args.get("secretId"))
            return {
                "arn": secret_id,
                "secretId": secret_id,
                "id": f"{secret_id}|AWSCURRENT",
                "versionId": _uuid(secret_id),
                "versionStages": ["AWSCURRENT"],
                "secretString": json.dumps({"pagerdutyCloudwatchUrl": placeholder}),
                "secretBinary": "",
            }
        raise NotImplementedError(
            f"the offline plan's mocks do not answer the invoke {token}; add it to groundwork/plan/mocks.py"
        )

    # -----------------------------------------------------------------------------------------
    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        urn: str = getattr(args, "urn", args.name)
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        if typ.startswith("pulumi:providers:"):
            pid = _uuid(urn)
            self.providers[f"{urn}::{pid}"] = inputs
            return pid, inputs
        w = self.where(args.provider)
        if not args.custom:  # component resources, including remote (multi-language) components
            # a remote component's children use its providers map and inherit its `protect`
            providers = getattr(args, "providers", {}) or {}
            protect = bool(getattr(args, "protect", False))
            return "", self._component(typ, name, inputs, urn, self.where(providers.get("aws")), providers, protect)
        return self._custom(typ, name, inputs, urn, w)

    def _autoname(self, name: str, urn: str) -> str:
        return f"{name}-{_hex(urn, 7)}"

    def _custom(self, typ: str, name: str, inputs: dict[str, Any], urn: str, w: Where) -> tuple[str, dict[str, Any]]:
        out = dict(inputs)
        if typ in EC2_IDS:
            prefix, kind = EC2_IDS[typ]
            rid = f"{prefix}-{_hex(urn, 17)}"
            if kind:
                out["arn"] = w.arn("ec2", f"{kind}/{rid}")
            if typ == "aws:ec2/launchTemplate:LaunchTemplate":
                out.update(
                    latestVersion=1,
                    defaultVersion=1,
                    name=inputs.get("name") or f"{inputs.get('namePrefix', name)}{_hex(urn, 6)}",
                )
            if typ == "aws:ec2/instance:Instance":  # the ENI EC2 creates with it (a route's target)
                out["primaryNetworkInterfaceId"] = f"eni-{_hex(urn + 'eni', 17)}"
            if typ == "aws:ec2/eip:Eip":
                n = int(_hex(urn, 4), 16)
                out.update(publicIp=f"203.0.{n % 200}.{n % 250 + 1}", allocationId=rid)
            if typ == "aws:ec2/vpc:Vpc":
                out.update(
                    defaultSecurityGroupId=f"sg-{_hex(urn + 'sg', 17)}",
                    mainRouteTableId=f"rtb-{_hex(urn + 'rt', 17)}",
                    defaultNetworkAclId=f"acl-{_hex(urn + 'acl', 17)}",
                )
            if typ in ("aws:ec2/securityGroup:SecurityGroup",) and "name" not in inputs:
                out["name"] = self._autoname(name, urn)
            return rid, out

        resource_name = inputs.get("name") or (
            f"{inputs['namePrefix']}{_hex(urn, 26)}" if inputs.get("namePrefix") else self._autoname(name, urn)
        )
        if typ == "aws:iam/role:Role":
            out.update(
                name=resource_name,
                arn=w.arn("iam", f"role{inputs.get('path', '/')}{resource_name}", regional=False),
                uniqueId=f"AROA{_hex(urn, 17).upper()}",
            )
            return resource_name, out
        if typ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            service = str(inputs.get("awsServiceName"))
            role = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}.get(
                service, f"AWSServiceRoleFor{name}"
            )
            arn = w.arn("iam", f"role/aws-service-role/{service}/{role}", regional=False)
            out.update(
                name=role, arn=arn, path=f"/aws-service-role/{service}/", uniqueId=f"AROA{_hex(urn, 17).upper()}"
            )
            return arn, out
        if typ == "aws:iam/policy:Policy":
            arn = w.arn("iam", f"policy/{resource_name}", regional=False)
            out.update(name=resource_name, arn=arn)
            return arn, out
        if typ in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            return f"{inputs.get('role')}-{_hex(urn, 8)}", out
        if typ == "aws:kms/key:Key":
            key_id = _uuid(urn)
            out.update(keyId=key_id, arn=w.arn("kms", f"key/{key_id}"))
            return key_id, out
        if typ == "aws:kms/alias:Alias":
            out.update(
                arn=w.arn("kms", str(inputs.get("name"))), targetKeyArn=w.arn("kms", f"key/{inputs.get('targetKeyId')}")
            )
            return str(inputs.get("name")), out
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            out.update(name=resource_name, arn=w.arn("logs", f"log-group:{resource_name}"))
            return resource_name, out
        if typ == "aws:rds/subnetGroup:SubnetGroup":
            out.update(name=resource_name, arn=w.arn("rds", f"subgrp:{resource_name}"))
            return resource_name, out
        if typ == "aws:eks/addon:Addon":
            out["arn"] = w.arn("eks", f"addon/{inputs.get('clusterName')}/{inputs.get('addonName')}/{_uuid(urn)}")
            return f"{inputs.get('clusterName')}:{inputs.get('addonName')}", out
        if typ == "aws:eks/nodeGroup:NodeGroup":
            ng_name = inputs.get("nodeGroupName") or f"{inputs.get('nodeGroupNamePrefix', name)}{_hex(urn, 26)}"
            out.update(
                nodeGroupName=ng_name,
                status="ACTIVE",
                arn=w.arn("eks", f"nodegroup/{inputs.get('clusterName')}/{ng_name}/{_uuid(urn)}"),
            )
            return f"{inputs.get('clusterName')}:{ng_name}", out
        if typ in DATA_OUTPUTS:
            extra = DATA_OUTPUTS[typ](self, inputs, urn, w, resource_name)
            out.update(extra)
            return str(extra.get("_id", extra.get("arn", resource_name))), {k: v for k, v in out.items() if k != "_id"}
        if typ.startswith("kubernetes:"):
            return self._kubernetes(typ, name, inputs, urn)
        if typ.startswith("random:"):
            return self._random(typ, inputs, urn)
        # Any other AWS type: a name, an id and a plausible ARN.
        service = typ.split(":")[1].split("/")[0] if ":" in typ else "unknown"
        kind = typ.rsplit(":", 1)[-1].lower()
        out.setdefault("arn", w.arn(service, f"{kind}/{resource_name}"))
        if "name" not in inputs and "namePrefix" not in inputs:
            out["name"] = resource_name
        return resource_name, out

    def _kubernetes(self, typ: str, name: str, inputs: dict[str, Any], urn: str) -> tuple[str, dict[str, Any]]:
        out = dict(inputs)
        if typ == "kubernetes:helm.sh/v3:Release":
            rel = inputs.get("name") or self._autoname(name, urn)
            ns = inputs.get("namespace") or "default"
            out.update(
                name=rel,
                status={
                    "name": rel,
                    "namespace": ns,
                    "status": "deployed",
                    "revision": 1,
                    "chart": inputs.get("chart"),
                    "version": inputs.get("version"),
                },
            )
            return f"{ns}/{rel}", out
        meta = dict(inputs.get("metadata") or {})
        meta.setdefault("name", self._autoname(name, urn))
        meta.setdefault("uid", _uuid(urn))
        out["metadata"] = meta
        ns = meta.get("namespace")
        return f"{ns}/{meta['name']}" if ns else meta["name"], out

    def _random(self, typ: str, inputs: dict[str, Any], urn: str) -> tuple[str, dict[str, Any]]:
        out = dict(inputs)
        if typ in ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"):
            length = int(inputs.get("length", 16))
            alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            seed = hashlib.sha256(("offline-plan:" + urn).encode()).digest() * 8
            out["result"] = "".join(alphabet[b % len(alphabet)] for b in seed[:length])
            if typ.endswith("RandomPassword"):
                out["bcryptHash"] = "$2a$10$offlineplanoffline" + _hex(urn, 31)
        elif typ == "random:index/randomId:RandomId":
            n = int(inputs.get("byteLength", 8))
            raw = bytes.fromhex(_hex(urn, 2 * n))
            out.update(
                hex=raw.hex(),
                dec=str(int(raw.hex(), 16)),
                b64Std=base64.b64encode(raw).decode(),
                b64Url=base64.urlsafe_b64encode(raw).decode().rstrip("="),
            )
        return _hex(urn, 16), out

    # -----------------------------------------------------------------------------------------
    def _ref(self, child_urn: str, rid: str, state: dict[str, Any]) -> dict[str, Any]:
        """A resource reference the SDK rehydrates (through getResource) into a real Resource object."""
        self.monitor.resources[child_urn] = mocks.MockMonitor.ResourceRegistration(child_urn, rid, state)
        return {SIG: RESOURCE_SIG, "urn": child_urn, "id": rid}

    def _child_urn(self, parent_urn: str, typ: str, name: str) -> str:
        """urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>"""
        stack, project, parent_type, _ = parent_urn.split("::", 3)
        return f"{stack}::{project}::{parent_type}${typ}::{name}"

    def _component(
        self,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        urn: str,
        w: Where,
        providers: dict[str, str],
        protect: bool = False,
    ) -> dict[str, Any]:
        if typ == "eks:index:Cluster":
            return self._eks_cluster(name, inputs, urn, w, providers, protect)
        return {}

    def _register_children(
        self,
        urn: str,
        kids: list[pulumi_eks.Child],
        w: Where,
        providers: dict[str, str],
        states: dict[str, dict],
        protect: bool,
    ) -> None:
        """Record the children a remote component's plugin registers, as the engine would."""
        urns: dict[str, str] = {}
        for kid in kids:
            parent = urns[kid.parent] if kid.parent else urn
            child_urn = self._child_urn(parent, kid.type, kid.name)
            urns[kid.name] = child_urn
            if kid.type.startswith("pulumi:providers:"):
                rid, out = _uuid(child_urn), dict(kid.inputs)
            elif kid.name in states:
                rid, out = str(states[kid.name].get("name") or kid.name), _merge(kid.inputs, states[kid.name])
            else:
                rid, out = self._custom(kid.type, kid.name, kid.inputs, child_urn, w)
            package = kid.type.split(":")[0]
            self._children.append(
                Resource(
                    urn=child_urn,
                    type=kid.type,
                    name=kid.name,
                    custom=True,
                    parent=parent,
                    id=rid,
                    provider=providers.get(package, "") if not kid.type.startswith("pulumi:providers:") else "",
                    dependencies=[urns[d] for d in kid.depends_on],
                    inputs=kid.inputs,
                    outputs=out,
                    # children inherit `protect` from their parent (Node.js SDK, resource.ts)
                    options={**kid.options, **({"protect": True} if protect else {})},
                )
            )

    def _eks_cluster(
        self,
        name: str,
        inputs: dict[str, Any],
        urn: str,
        w: Where,
        providers: dict[str, str] | None = None,
        protect: bool = False,
    ) -> dict[str, Any]:
        cluster_name = inputs.get("name") or self._autoname(f"{name}-eksCluster", urn)
        oidc_id = _hex(urn + "oidc", 32).upper()
        issuer = f"https://oidc.eks.{w.region}.amazonaws.com/id/{oidc_id}"
        endpoint = f"https://{_hex(urn, 32).upper()}.gr7.{w.region}.eks.amazonaws.com"
        ca = base64.b64encode(f"offline-plan-ca-{_hex(urn, 16)}".encode()).decode()
        sg = f"sg-{_hex(urn + 'cluster-sg', 17)}"
        cluster_state = {
            "name": cluster_name,
            "arn": w.arn("eks", f"cluster/{cluster_name}"),
            "endpoint": endpoint,
            "version": inputs.get("version"),
            "status": "ACTIVE",
            "certificateAuthority": {"data": ca},
            "identities": [{"oidcs": [{"issuer": issuer}]}],
            "vpcConfig": {
                "clusterSecurityGroupId": sg,
                "endpointPrivateAccess": inputs.get("endpointPrivateAccess", True),
                "endpointPublicAccess": inputs.get("endpointPublicAccess", False),
                "subnetIds": inputs.get("privateSubnetIds", []),
                "vpcId": inputs.get("vpcId"),
            },
        }
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubernetes", "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
            "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
            "current-context": "aws",
            "users": [
                {
                    "name": "aws",
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--output", "json"],
                        }
                    },
                }
            ],
        }
        child = self._child_urn(urn, "aws:eks/cluster:Cluster", f"{name}-eksCluster")
        oidc_arn = w.arn("iam", f"oidc-provider/oidc.eks.{w.region}.amazonaws.com/id/{oidc_id}", regional=False)

        def role_arn(ref: Any) -> str:
            reg = self.monitor.resources.get(ref.get("urn")) if isinstance(ref, dict) else None
            return str(reg.state.get("arn")) if reg is not None else str(ref)

        kids = pulumi_eks.children(name, inputs, role_arn, issuer)
        self._register_children(
            urn,
            kids,
            w,
            providers or {},
            {
                f"{name}-eksCluster": cluster_state,
                f"{name}-oidcProvider": {"arn": oidc_arn},
                f"{name}-eks-k8s": {"kubeconfig": json.dumps(kubeconfig)},
            },
            protect,
        )
        return {
            **inputs,
            "eksCluster": self._ref(child, cluster_name, cluster_state),
            "kubeconfig": kubeconfig,
            "kubeconfigJson": json.dumps(kubeconfig),
            "clusterSecurityGroupId": sg,
            "oidcProviderArn": oidc_arn,
            "oidcProviderUrl": issuer.removeprefix("https://"),
            "oidcIssuer": issuer.removeprefix("https://"),
        }


# ---------------------------------------------------------------------------------------------
# computed outputs of the data-layer and platform types (what the provider returns after create)
# ---------------------------------------------------------------------------------------------


def _merge(inputs: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Provider state over inputs, nested blocks merged (a create returns inputs plus computed fields)."""
    out = dict(inputs)
    for k, v in state.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _suffix(urn: str) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(alphabet[b % len(alphabet)] for b in hashlib.sha256(urn.encode()).digest()[:6])


def _rds_instance(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    ident = i.get("identifier") or name
    address = f"{ident}.c{_hex(urn, 11)}.{w.region}.rds.amazonaws.com"
    return {
        "_id": ident,
        "identifier": ident,
        "address": address,
        "endpoint": f"{address}:{i.get('port', 5432)}",
        "arn": w.arn("rds", f"db:{ident}"),
        "resourceId": f"db-{_hex(urn, 26).upper()}",
        "port": i.get("port", 5432),
        "masterUserSecrets": [
            {
                "secretArn": w.arn("secretsmanager", f"secret:rds!db-{_uuid(urn)}-{_suffix(urn)}"),
                "kmsKeyId": i.get("masterUserSecretKmsKeyId"),
                "secretStatus": "active",
            }
        ]
        if i.get("manageMasterUserPassword")
        else [],
    }


def _rds_proxy(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    return {
        "_id": name,
        "arn": w.arn("rds", f"db-proxy:prx-{_hex(urn, 17)}"),
        "endpoint": f"{name}.proxy-c{_hex(urn, 11)}.{w.region}.rds.amazonaws.com",
    }


def _replication_group(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    gid = i.get("replicationGroupId") or name
    host = f"{gid}.{_hex(urn, 6)}.{w.region.replace('-', '')[:6]}.cache.amazonaws.com"
    return {
        "_id": gid,
        "arn": w.arn("elasticache", f"replicationgroup:{gid}"),
        "primaryEndpointAddress": f"master.{host}",
        "readerEndpointAddress": f"replica.{host}",
        "memberClusters": [f"{gid}-{n + 1:03d}" for n in range(int(i.get("numCacheClusters", 1)))],
    }


def _secret(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    arn = w.arn("secretsmanager", f"secret:{name}-{_suffix(urn)}")
    return {"_id": arn, "arn": arn, "name": name}


def _bucket(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    bucket = i.get("bucket") or f"{name}-{_hex(urn, 7)}"
    return {
        "_id": bucket,
        "bucket": bucket,
        "arn": f"arn:{w.partition}:s3:::{bucket}",
        "region": w.region,
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{w.region}.amazonaws.com",
        "hostedZoneId": "Z1BKCTXD74EZPE",
    }


def _cfn_stack(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    fn = (i.get("parameters") or {}).get("functionName", name)
    return {
        "_id": w.arn("cloudformation", f"stack/serverlessrepo-{name}/{_uuid(urn)}"),
        "outputs": {"RotationLambdaARN": w.arn("lambda", f"function:{fn}")},
    }


def _named(service: str, kind: str) -> Callable[[GroundworkMocks, dict, str, Where, str], dict]:
    def make(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
        arn = w.arn(service, f"{kind}{name}")
        return {"_id": name if service != "sns" else arn, "arn": arn, "name": name}

    return make


def _backup_plan(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    pid = _uuid(urn)
    return {"_id": pid, "arn": w.arn("backup", f"backup-plan:{pid}"), "version": _hex(urn, 32)}


def _ecr(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    return {
        "_id": name,
        "arn": w.arn("ecr", f"repository/{name}"),
        "registryId": w.account,
        "repositoryUrl": f"{w.account}.dkr.ecr.{w.region}.amazonaws.com/{name}",
    }


def _web_acl(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    acl_id = _uuid(urn)
    scope = "global" if i.get("scope") == "CLOUDFRONT" else "regional"
    return {"_id": acl_id, "arn": w.arn("wafv2", f"{scope}/webacl/{name}/{acl_id}"), "capacity": 1200}


def _zone_outputs(zone_id: str, w: Where) -> dict:
    n = int(_hex(zone_id, 4), 16)
    return {
        "zoneId": zone_id,
        "arn": w.arn("route53", f"hostedzone/{zone_id}", regional=False, account=False),
        "nameServers": [f"ns-{n % 2048}.awsdns-{n % 64:02d}.{tld}" for tld in ("com", "net", "org", "co.uk")],
    }


def _zone(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    zone_id = "Z" + _hex(urn, 20).upper()
    return {"_id": zone_id, **_zone_outputs(zone_id, w)}


def _certificate(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    # ACM gives one validation record per domain name and account, the same in every region
    # (ACM User Guide, "DNS validation"): derived from them, not from the URN
    domains = [i.get("domainName"), *(i.get("subjectAlternativeNames") or [])]
    cert_id = _uuid(urn)
    return {
        "_id": w.arn("acm", f"certificate/{cert_id}"),
        "arn": w.arn("acm", f"certificate/{cert_id}"),
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [
            {
                "domainName": d,
                "resourceRecordName": f"_{_hex(w.account + str(d), 32)}.{d}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(str(d) + w.account, 32)}.mhbtsbpdnt.acm-validations.aws.",
            }
            for d in dict.fromkeys(domains)
            if d
        ],
    }


def _certificate_validation(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    return {"_id": str(i.get("certificateArn")), "certificateArn": i.get("certificateArn")}


def _record(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    record = str(i.get("name", "")).rstrip(".")
    return {"_id": f"{i.get('zoneId')}_{record}_{i.get('type')}", "fqdn": record}


def _distribution(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    dist_id = "E" + _hex(urn, 13).upper()
    return {
        "_id": dist_id,
        "arn": w.arn("cloudfront", f"distribution/{dist_id}", regional=False),
        "domainName": f"d{_hex(urn, 13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's, in every account (Route 53 API, AliasTarget)
        "status": "Deployed",
        "etag": _hex(urn, 14).upper(),
    }


def _cloudfront_id(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    return {"_id": "E" + _hex(urn, 13).upper(), "etag": _hex(urn, 14).upper()}


def _delivery(kind: str) -> Callable[[GroundworkMocks, dict, str, Where, str], dict]:
    def outputs(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
        return {"_id": name, "name": name, "arn": w.arn("logs", f"{kind}:{name}")}

    return outputs


def _ksk(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    return {"_id": f"{i.get('hostedZoneId')},{i.get('name')}", "status": i.get("status", "ACTIVE")}


def _pod_identity(m: GroundworkMocks, i: dict, urn: str, w: Where, name: str) -> dict:
    assoc = f"a-{_hex(urn, 17)}"
    return {
        "_id": f"{i.get('clusterName')},{assoc}",
        "associationId": assoc,
        "associationArn": w.arn("eks", f"podidentityassociation/{i.get('clusterName')}/{assoc}"),
    }


DATA_OUTPUTS: dict[str, Callable[[GroundworkMocks, dict, str, Where, str], dict]] = {
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/record:Record": _record,
    "aws:route53/keySigningKey:KeySigningKey": _ksk,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:cloudfront/originAccessControl:OriginAccessControl": _cloudfront_id,
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": _cloudfront_id,
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": _delivery("delivery-source"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": _delivery("delivery-destination"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _pod_identity,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _cfn_stack,
    "aws:backup/vault:Vault": _named("backup", "backup-vault:"),
    "aws:backup/plan:Plan": _backup_plan,
    "aws:cloudtrail/trail:Trail": _named("cloudtrail", "trail/"),
    "aws:sns/topic:Topic": _named("sns", ""),
    "aws:ecr/repository:Repository": _ecr,
}
