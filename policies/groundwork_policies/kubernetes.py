"""Kubernetes controls K8S-01..K8S-11, SEC-01/04/05 in the cluster, and Helm releases.

Helm `Release` children never reach CrossGuard, so for them the pack checks the Release
inputs (chart version pinned, repository over TLS, no secret literals in values) and that
the admission controls are in place: Pod Security labels on every application namespace
(K8S-02) and the Kyverno ClusterPolicies that enforce K8S-05..09 and SEC-05 on what ArgoCD
deploys (K8S-10). Application namespaces are all namespaces but PLATFORM_NAMESPACES.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .core import REGISTRY, Graph, PackContext, Res, Resource, as_list, dicts, sub, unknown
from .platform import ADMISSION_POLICIES, CHARTS, PLATFORM_NAMESPACES

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
SECRET = "kubernetes:core/v1:Secret"
RELEASE = "kubernetes:helm.sh/v3:Release"
RELEASE_V4 = "kubernetes:helm.sh/v4:Chart"
CLUSTER_POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"
SECRET_STORE = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
WORKLOADS = {
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:core/v1:Pod": "spec",
}
CLUSTER_SCOPED_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CustomResourceDefinition",
    "IngressClass",
    "PriorityClass",
    "ClusterPolicy",
    "ClusterSecretStore",
    "ClusterExternalSecret",
    "IngressClassParams",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "PersistentVolume",
    "ClusterIssuer",
    "CSIDriver",
    "APIService",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ClusterCleanupPolicy",
}
PSA_MODES = ("enforce", "audit", "warn")
SECRET_NAME = re.compile(r"(password|passwd|secret|token|api[-_]?key|private[-_]?key|credentials?|auth)", re.I)
REFERENCE_KEY = re.compile(
    r"(existing|secretname|secretref|secretkey|keyref|ref$|name$|key$|enabled|file|path|mount)", re.I
)
ECR_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^:@\s]+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)


def chart_of(r: Res) -> str:
    chart = r.props.get("chart", "")
    return str(chart).split("/")[-1] if isinstance(chart, str) else ""


def releases(g: Graph, component: str) -> list[Res]:
    return [r for r in g.of(RELEASE, RELEASE_V4) if chart_of(r) in CHARTS[component]]


def namespace_name(r: Res | Resource) -> str | None:
    name = r.props.get("metadata.name")
    return name if isinstance(name, str) else None


def app_namespaces(g: Graph) -> list[Res]:
    return [n for n in g.of(NAMESPACE) if namespace_name(n) not in PLATFORM_NAMESPACES]


def in_namespace(g: Graph, ns: Res, type_: str) -> list[Res]:
    """Resources of `type_` placed in namespace `ns` (by name, or by property dependency when unknown)."""
    name = namespace_name(ns)
    out = []
    for r in g.of(type_):
        target = r.props.peek("metadata.namespace")
        if (name and target == name) or ns.urn in r.deps("metadata"):
            out.append(r)
    return out


# ---------------------------------------------------------------------------------------------
# Namespaces and guardrails
# ---------------------------------------------------------------------------------------------


@REGISTRY.resource(
    "kubernetes-no-default-namespace",
    controls="K8S-01",
    types=(
        *WORKLOADS,
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:ConfigMap",
        SECRET,
        INGRESS,
        HPA,
        NETWORK_POLICY,
        QUOTA,
        LIMIT_RANGE,
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:policy/v1:PodDisruptionBudget",
        RELEASE,
        "kubernetes:external-secrets.io/v1:ExternalSecret",
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        "kubernetes:argoproj.io/v1alpha1:Application",
        "kubernetes:argoproj.io/v1alpha1:AppProject",
        "kubernetes:argoproj.io/v1alpha1:ApplicationSet",
    ),
    severity="medium",
    description="Nothing is deployed to the `default` namespace; every object names its namespace.",
    remediation="Set metadata.namespace (namespace for Helm releases) to the team's or platform component's namespace.",
)
def no_default_namespace(r: Resource, ctx: PackContext) -> Iterator[str]:
    ns = r.props.peek("namespace" if r.type == RELEASE else "metadata.namespace")
    if unknown(ns):
        return
    if ns in (None, "", "default"):
        yield f"namespace is {ns or 'unset'} (the default namespace)"


@REGISTRY.resource(
    "kubernetes-namespace-require-restricted-pod-security",
    controls="K8S-02",
    types=NAMESPACE,
    severity="high",
    description="Application namespaces enforce, audit and warn the Pod Security `restricted` profile.",
    remediation="Label the namespace pod-security.kubernetes.io/{enforce,audit,warn}=restricted (the Platform component does).",
)
def pod_security(r: Resource, ctx: PackContext) -> Iterator[str]:
    if namespace_name(r) in PLATFORM_NAMESPACES:
        return
    labels = r.props.mapping("metadata.labels")
    wrong = [
        m
        for m in PSA_MODES
        if labels.get(f"pod-security.kubernetes.io/{m}") != "restricted"
        and not unknown(labels.get(f"pod-security.kubernetes.io/{m}"))
    ]
    if wrong:
        yield f"pod-security.kubernetes.io/{{{','.join(wrong)}}} is not 'restricted'"


def _default_deny(np: Res) -> bool:
    spec = np.props.mapping("spec")
    selector = spec.get("podSelector")
    types = set(as_list(spec.get("policyTypes")))
    return (
        selector in ({}, None) and {"Ingress", "Egress"} <= types and not spec.get("ingress") and not spec.get("egress")
    )


def _allows_dns(np: Res) -> bool:
    spec = np.props.mapping("spec")
    for rule in as_list(spec.get("egress")):
        for port in dicts(sub(rule, "ports")):
            if port.get("port") in (53, "53", "dns"):  # the engine sends numbers as floats: 53.0 == 53
                return True
    return False


@REGISTRY.stack(
    "kubernetes-namespace-require-default-deny",
    controls="K8S-03",
    types=(NAMESPACE, NETWORK_POLICY),
    severity="high",
    description="Every application namespace has a default-deny NetworkPolicy (ingress and egress) and an explicit DNS allow.",
    remediation="The Platform component adds default-deny plus allows (DNS, ingress controller, monitoring, data stores).",
)
def default_deny(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for ns in app_namespaces(g):
        policies = in_namespace(g, ns, NETWORK_POLICY)
        if not any(_default_deny(p) for p in policies):
            yield f"namespace {namespace_name(ns) or ns.name} has no default-deny NetworkPolicy", ns.urn
        elif not any(_allows_dns(p) for p in policies):
            yield f"namespace {namespace_name(ns) or ns.name} denies everything but allows no DNS", ns.urn


@REGISTRY.stack(
    "kubernetes-namespace-require-quota-and-limits",
    controls="K8S-04",
    types=(NAMESPACE, QUOTA, LIMIT_RANGE),
    severity="medium",
    description="Every application namespace has a ResourceQuota and a LimitRange.",
    remediation="Set groundwork:platform.namespaceQuota / limitRange; the Platform component creates both.",
)
def quota(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for ns in app_namespaces(g):
        for type_, label in ((QUOTA, "ResourceQuota"), (LIMIT_RANGE, "LimitRange")):
            if not in_namespace(g, ns, type_):
                yield f"namespace {namespace_name(ns) or ns.name} has no {label}", ns.urn


# ---------------------------------------------------------------------------------------------
# Workloads Pulumi creates directly (ArgoCD's are covered by admission policies)
# ---------------------------------------------------------------------------------------------


def containers(r: Resource) -> list[dict[str, Any]]:
    pod = r.props.mapping(WORKLOADS[r.type])
    return [c for c in [*as_list(pod.get("containers")), *as_list(pod.get("initContainers"))] if isinstance(c, dict)]


def _main_containers(r: Resource) -> list[dict[str, Any]]:
    pod = r.props.mapping(WORKLOADS[r.type])
    return [c for c in as_list(pod.get("containers")) if isinstance(c, dict)]


@REGISTRY.resource(
    "kubernetes-workload-require-resources",
    controls="K8S-05",
    types=tuple(WORKLOADS),
    severity="medium",
    description="Containers declare CPU and memory requests and a memory limit.",
    remediation="Set resources.requests.cpu, resources.requests.memory and resources.limits.memory.",
)
def resources(r: Resource, ctx: PackContext) -> Iterator[str]:
    for c in containers(r):
        requests, limits = sub(c, "resources", "requests", default={}), sub(c, "resources", "limits", default={})
        missing = [
            k
            for k, ok in (
                ("requests.cpu", "cpu" in requests),
                ("requests.memory", "memory" in requests),
                ("limits.memory", "memory" in limits),
            )
            if not ok
        ]
        if missing:
            yield f"container {c.get('name')} has no {', '.join(missing)}"


@REGISTRY.resource(
    "kubernetes-workload-require-probes",
    controls="K8S-06",
    types=tuple(t for t in WORKLOADS if "Job" not in t),
    severity="medium",
    description="Long-running containers have liveness and readiness probes.",
    remediation="Add livenessProbe and readinessProbe to every container.",
)
def probes(r: Resource, ctx: PackContext) -> Iterator[str]:
    for c in _main_containers(r):
        missing = [p for p in ("livenessProbe", "readinessProbe") if not c.get(p)]
        if missing:
            yield f"container {c.get('name')} has no {' or '.join(missing)}"


@REGISTRY.resource(
    "kubernetes-workload-require-pinned-ecr-image",
    controls="K8S-07",
    types=tuple(WORKLOADS),
    severity="high",
    description="Images come from the project's ECR registry with an explicit tag or digest, never :latest.",
    remediation="Use <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<version> (or @sha256:...).",
)
def images(r: Resource, ctx: PackContext) -> Iterator[str]:
    for c in containers(r):
        image = c.get("image")
        if unknown(image):
            continue
        if not isinstance(image, str) or not ECR_IMAGE.match(image):
            yield f"container {c.get('name')} image {image!r} is not a pinned image of the project's ECR registry"
        elif image.endswith(":latest"):
            yield f"container {c.get('name')} uses :latest"


@REGISTRY.resource(
    "kubernetes-workload-require-readonly-rootfs",
    controls="K8S-08",
    types=tuple(WORKLOADS),
    severity="medium",
    description="Containers run with a read-only root filesystem.",
    remediation="securityContext.readOnlyRootFilesystem: true (mount an emptyDir where the app writes).",
)
def readonly_rootfs(r: Resource, ctx: PackContext) -> Iterator[str]:
    for c in containers(r):
        if sub(c, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"container {c.get('name')} has a writable root filesystem"


@REGISTRY.resource(
    "kubernetes-workload-no-literal-secret-env",
    controls=("SEC-05", "SEC-01"),
    types=tuple(WORKLOADS),
    severity="critical",
    description="Secrets reach containers through secretKeyRef or mounted files, never as literal environment values.",
    remediation="Use env[].valueFrom.secretKeyRef (an ExternalSecret-managed Secret) instead of env[].value.",
)
def secret_env(r: Resource, ctx: PackContext) -> Iterator[str]:
    for c in containers(r):
        for e in dicts(c.get("env")):
            if SECRET_NAME.search(str(e.get("name", ""))) and e.get("value") not in (None, ""):
                yield f"container {c.get('name')} sets {e.get('name')} to a literal value"


@REGISTRY.resource(
    "kubernetes-hpa-require-two-replicas",
    controls="K8S-09",
    types=HPA,
    severity="medium",
    tier="stg+",
    description="Horizontal pod autoscalers keep at least two replicas.",
    remediation="Set spec.minReplicas to 2 or more.",
)
def hpa(r: Resource, ctx: PackContext) -> Iterator[str]:
    replicas = r.props.number("spec.minReplicas", 1)
    if replicas is not None and replicas < 2:
        yield f"spec.minReplicas is {replicas:g}"


@REGISTRY.resource(
    "kubernetes-no-literal-secret-data",
    controls=("SEC-04", "SEC-01"),
    types=SECRET,
    severity="critical",
    description="The program never writes a Kubernetes Secret with data: secrets come from Secrets Manager through External Secrets.",
    remediation="Create an ExternalSecret for the value instead of a Secret with data/stringData.",
)
def no_secret_data(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.has("data") or r.props.has("stringData"):
        yield "a Secret with literal data"


# ---------------------------------------------------------------------------------------------
# Admission controls, External Secrets, ingress controller
# ---------------------------------------------------------------------------------------------


def _policy_enforced(p: Res) -> bool:
    spec = p.props.mapping("spec")
    if spec.get("validationFailureAction") == "Enforce":
        return True
    rules = [x for x in as_list(spec.get("rules")) if isinstance(x, dict)]
    validating = [x for x in rules if "validate" in x]
    if validating:
        return all(sub(x, "validate", "failureAction") == "Enforce" for x in validating)
    return any("generate" in x or "mutate" in x for x in rules)


def _admission(g: Graph, ctx: PackContext, enforced: bool) -> Iterator[tuple[str, str]]:
    from .controls import applies

    if not app_namespaces(g):
        return
    if not releases(g, "kyverno"):
        yield "application namespaces exist but Kyverno is not installed", ""
    by_name = {namespace_name(p): p for p in g.of(CLUSTER_POLICY)}
    for name, (_controls, _kind, tier) in ADMISSION_POLICIES.items():
        if not applies(tier, ctx.environment):
            continue
        policy = by_name.get(name)
        if policy is None:
            yield f"Kyverno ClusterPolicy {name} is missing", ""
        elif enforced and not _policy_enforced(policy):
            yield f"Kyverno ClusterPolicy {name} is not in Enforce mode", policy.urn


@REGISTRY.stack(
    "kubernetes-admission-policies-present",
    controls=("K8S-05", "K8S-06", "K8S-07", "K8S-08", "K8S-09", "SEC-05"),
    types=(NAMESPACE, RELEASE, CLUSTER_POLICY),
    severity="high",
    description="Kyverno and its ClusterPolicies (requests/limits, probes, image tags and registry, read-only root, "
    "no secret env values; HPA/PDB in stg+) are installed wherever application namespaces exist.",
    remediation="The Platform component installs Kyverno and the ClusterPolicies (Audit in dev, Enforce in stg+).",
)
def admission_present(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    yield from _admission(g, ctx, enforced=False)


@REGISTRY.stack(
    "kubernetes-admission-policies-enforced",
    controls="K8S-10",
    types=(NAMESPACE, RELEASE, CLUSTER_POLICY),
    severity="high",
    tier="stg+",
    description="The Kyverno ClusterPolicies reject (Enforce), not just report, what ArgoCD would deploy against them.",
    remediation="Set groundwork:platform.admissionMode to Enforce (the default outside dev).",
)
def admission_enforced(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    yield from _admission(g, ctx, enforced=True)


@REGISTRY.stack(
    "kubernetes-require-external-secrets",
    controls="SEC-04",
    types=(NAMESPACE, RELEASE, SECRET_STORE),
    severity="high",
    description="External Secrets Operator syncs Secrets Manager into the cluster through a ClusterSecretStore.",
    remediation="The Platform component installs External Secrets with a ClusterSecretStore for Secrets Manager.",
)
def external_secrets(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not app_namespaces(g):
        return
    if not releases(g, "external-secrets"):
        yield "application namespaces exist but External Secrets is not installed", ""
    stores = g.of(SECRET_STORE)
    if not stores:
        yield "no ClusterSecretStore for AWS Secrets Manager", ""
    for s in stores:
        provider = s.props.mapping("spec.provider.aws")
        if provider.get("service") not in ("SecretsManager", None) and not unknown(provider.get("service")):
            yield f"ClusterSecretStore {s.name} does not use Secrets Manager", s.urn


@REGISTRY.stack(
    "kubernetes-single-ingress-controller",
    controls="K8S-11",
    types=(INGRESS, INGRESS_CLASS, RELEASE),
    severity="medium",
    description="Ingress goes through one controller (AWS Load Balancer Controller or NGINX) and its ingress class.",
    remediation="Install one controller (the Platform component installs the AWS Load Balancer Controller).",
)
def ingress_controller(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    controllers = {chart_of(r) for r in releases(g, "ingress-controller")}
    if len(controllers) > 1:
        yield f"more than one ingress controller: {', '.join(sorted(controllers))}", ""
    if (g.of(INGRESS) or g.of(INGRESS_CLASS)) and not controllers:
        yield "ingresses exist but no ingress controller is installed", ""
    for ing in g.of(INGRESS):
        if not ing.props.has("spec.ingressClassName"):
            yield f"ingress {ing.name} names no ingress class", ing.urn


# ---------------------------------------------------------------------------------------------
# Helm releases
# ---------------------------------------------------------------------------------------------

SEMVER = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


@REGISTRY.resource(
    "kubernetes-helm-release-pinned-over-tls",
    controls="K8S-07",
    types=(RELEASE, RELEASE_V4),
    severity="high",
    description="Helm releases pin an exact chart version from a repository reached over TLS (https:// or oci://).",
    remediation="Set version to an exact x.y.z (pinned in groundwork/charts.py) and an https/oci repository.",
)
def helm_pinned(r: Resource, ctx: PackContext) -> Iterator[str]:
    version = r.props.get("version")
    if not unknown(version) and not (isinstance(version, str) and SEMVER.match(version)):
        yield f"chart version {version!r} is not an exact version"
    repo = r.props.get("repositoryOpts.repo")
    chart = r.props.get("chart")
    source = repo if isinstance(repo, str) and repo else chart
    if not unknown(source) and not (isinstance(source, str) and source.startswith(("https://", "oci://"))):
        yield f"chart source {source!r} is not https:// or oci://"


def _secret_literals(value: Any, path: str = "") -> Iterator[str]:
    """Paths of literal secrets. A value unknown at preview (a resource's ID in a chart value, e.g.
    a zone ID in an argument list on the first `up`) is not a literal the program wrote: it is
    skipped, so the rest of the values is still judged rather than the policy not running."""
    if unknown(value):
        return
    if isinstance(value, dict):
        for k, v in dict.items(value):
            key = str(k)
            here = f"{path}.{key}" if path else key
            if (
                isinstance(v, str)
                and v
                and not unknown(v)
                and SECRET_NAME.search(key)
                and not REFERENCE_KEY.search(key)
            ):
                yield here
            else:
                yield from _secret_literals(v, here)
    elif isinstance(value, list):
        for i, v in enumerate(list.__iter__(value)):
            yield from _secret_literals(v, f"{path}[{i}]")


@REGISTRY.resource(
    "kubernetes-helm-release-no-secret-values",
    controls="SEC-01",
    types=(RELEASE, RELEASE_V4),
    severity="critical",
    description="Helm values carry no secret literals: charts read credentials from existing Secrets (synced by External Secrets).",
    remediation="Use the chart's existingSecret / secretKeyRef values and an ExternalSecret instead of a literal.",
)
def helm_secrets(r: Resource, ctx: PackContext) -> Iterator[str]:
    for path in _secret_literals(r.props.get("values", {})):
        yield f"values.{path} holds a literal secret"
