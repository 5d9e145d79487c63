"""The audit controls (../shared/controls.md), as data. Pure module: no pulumi_policy import.

Generated once from the catalogue and kept in sync by tests/test_controls_catalogue.py.
`tier` is the tier at which the control is mandatory: "all", "stg+" or "prod"; `tier_note`
keeps the catalogue's wording where a control has a stricter part at a higher tier.
`where`: C settings, P policy pack, A admission in cluster, T tooling/CI.
"""

from __future__ import annotations

from typing import NamedTuple


class Control(NamedTuple):
    id: str
    area: str
    title: str
    tier: str
    tier_note: str
    where: tuple[str, ...]
    anchors: str


CONTROLS: dict[str, Control] = {
    c.id: c
    for c in (
        Control('NET-01', 'Network', 'VPC spans ≥ 3 AZs (dev may use 2) with public, private (workloads) and isolated database tiers', 'stg+', 'stg+', ('C', 'P'), '—'),
        Control('NET-02', 'Network', 'NAT gateway per AZ (no single point of egress failure); dev may use one', 'stg+', 'stg+', ('C', 'P'), '—'),
        Control('NET-03', 'Network', 'VPC flow logs on, to an encrypted log group with a retention', 'all', 'all', ('P',), 'CKV2_AWS_11, AWS 3.7'),
        Control('NET-04', 'Network', 'Default security group of the VPC allows nothing', 'all', 'all', ('P',), 'CKV2_AWS_12, AWS 5.4'),
        Control('NET-05', 'Network', 'No security group allows ingress from 0.0.0.0/0 or ::/0 except 80/443 on load balancers', 'all', 'all', ('P',), 'CKV_AWS_24/25/260/277'),
        Control('NET-06', 'Network', "Databases and caches accept traffic only from the cluster's node/pod security groups, on their port", 'all', 'all', ('P',), 'CKV_AWS_17'),
        Control('NET-07', 'Network', 'Workload subnets do not map public IPs; nodes have no public IP', 'all', 'all', ('P',), 'CKV_AWS_130, CKV_AWS_88, EKS 5.4.3'),
        Control('NET-08', 'Network', 'Every security group and rule has a description', 'all', 'all', ('P',), 'CKV_AWS_23'),
        Control('NET-09', 'Network', 'S3 gateway endpoint present (backup and log traffic stays off NAT)', 'all', 'all', ('P',), '—'),
        Control('NET-10', 'Network', 'Internet-facing load balancer terminates TLS ≥ 1.2 with an ACM certificate and redirects HTTP to HTTPS; WAF attached in prod', 'stg+', 'stg+ / WAF prod', ('P',), 'CKV_AWS_2, CKV_AWS_103, CKV2_AWS_20, CKV2_AWS_28'),
        Control('EKS-01', 'Kubernetes control plane and nodes', 'Kubernetes version pinned and within standard support', 'all', 'all', ('C', 'P'), 'CKV_AWS_339'),
        Control('EKS-02', 'Kubernetes control plane and nodes', 'Control-plane logs api, audit, authenticator, controllerManager, scheduler enabled, log group with retention and KMS', 'all', 'all', ('P',), 'CKV_AWS_37, EKS 2.1.1'),
        Control('EKS-03', 'Kubernetes control plane and nodes', 'Kubernetes Secrets envelope-encrypted with a customer-managed KMS key', 'all', 'all', ('P',), 'CKV_AWS_58, EKS 5.3.1'),
        Control('EKS-04', 'Kubernetes control plane and nodes', 'Private API endpoint on; public endpoint off in prod, CIDR-restricted (never 0.0.0.0/0) elsewhere', 'all', 'all / off prod', ('C', 'P'), 'CKV_AWS_38/39, EKS 5.4.1-2'),
        Control('EKS-05', 'Kubernetes control plane and nodes', 'Access via EKS access entries (API auth mode) mapped to named IAM roles; no static IAM users', 'all', 'all', ('P',), 'EKS 4.1.1'),
        Control('EKS-06', 'Kubernetes control plane and nodes', 'Managed node groups in private subnets across ≥ 2 AZs, min size ≥ 2 in stg+, max ≥ 2 × desired', 'all', 'all', ('C', 'P'), '—'),
        Control('EKS-07', 'Kubernetes control plane and nodes', 'Node IMDSv2 required, hop limit 1 or 2; encrypted gp3 root volumes', 'all', 'all', ('P',), 'CKV_AWS_79/341, CKV_AWS_8/189'),
        Control('EKS-08', 'Kubernetes control plane and nodes', 'Workload AWS access through IRSA or EKS Pod Identity, each role scoped to named ARNs (no `*` resources for data actions)', 'all', 'all', ('P',), '—'),
        Control('EKS-09', 'Kubernetes control plane and nodes', 'Deletion protection on the cluster in prod', 'prod', 'prod', ('P',), '—'),
        Control('DB-01', 'Database (RDS PostgreSQL)', 'PostgreSQL (not SQLite/Mongo stand-ins), engine version pinned, auto minor upgrades on', 'all', 'all', ('C', 'P'), 'CKV_AWS_226'),
        Control('DB-02', 'Database (RDS PostgreSQL)', 'Multi-AZ', 'stg+', 'stg+', ('C', 'P'), 'CKV_AWS_157, awsguard rds-instance-multi-az-enabled'),
        Control('DB-03', 'Database (RDS PostgreSQL)', 'Storage encrypted with a customer-managed KMS key', 'all', 'all', ('P',), 'CKV_AWS_16, AWS 2.3.1'),
        Control('DB-04', 'Database (RDS PostgreSQL)', "TLS required (`rds.force_ssl=1` in the instance's parameter group)", 'all', 'all', ('P',), 'CKV2_AWS_69'),
        Control('DB-05', 'Database (RDS PostgreSQL)', 'Not publicly accessible, in database subnets', 'all', 'all', ('P',), 'CKV_AWS_17, AWS 2.3.3'),
        Control('DB-06', 'Database (RDS PostgreSQL)', 'Automated backups: retention ≥ 7 days (≥ 30 in prod), backup and maintenance windows set, tags copied to snapshots', 'all', 'all', ('C', 'P'), 'CKV_AWS_133, CKV2_AWS_60'),
        Control('DB-07', 'Database (RDS PostgreSQL)', 'Deletion protection on and a final snapshot taken, in stg+; Pulumi `protect` on the instance in prod', 'stg+', 'stg+', ('P',), 'CKV_AWS_293'),
        Control('DB-08', 'Database (RDS PostgreSQL)', 'Master password never in code or config: RDS-managed in Secrets Manager (or generated and stored there), rotated', 'all', 'all', ('P',), 'CKV_AWS_149, CKV_AWS_304'),
        Control('DB-09', 'Database (RDS PostgreSQL)', 'Logs `postgresql` and `upgrade` exported to CloudWatch; Performance Insights on (KMS) and enhanced monitoring in stg+', 'all', 'all / stg+', ('P',), 'CKV_AWS_129, CKV_AWS_353/354, CKV_AWS_118'),
        Control('DB-10', 'Database (RDS PostgreSQL)', 'Storage gp3 with autoscaling ceiling (`max_allocated_storage`)', 'all', 'all', ('P',), '—'),
        Control('DB-11', 'Database (RDS PostgreSQL)', 'Connection pooling available to services (RDS Proxy or PgBouncer)', 'stg+', 'stg+', ('P',), '—'),
        Control('CACHE-01', 'Cache (ElastiCache Redis/Valkey)', 'Replication group with ≥ 2 nodes, automatic failover and Multi-AZ', 'stg+', 'stg+', ('C', 'P'), 'CKV2_AWS_50'),
        Control('CACHE-02', 'Cache (ElastiCache Redis/Valkey)', 'Encryption at rest (customer-managed KMS)', 'all', 'all', ('P',), 'CKV_AWS_29, CKV_AWS_191'),
        Control('CACHE-03', 'Cache (ElastiCache Redis/Valkey)', 'Encryption in transit required, with an AUTH token (or RBAC user group) from Secrets Manager', 'all', 'all', ('P',), 'CKV_AWS_30/31'),
        Control('CACHE-04', 'Cache (ElastiCache Redis/Valkey)', 'Snapshots retained ≥ 1 day (≥ 7 in prod), final snapshot on delete', 'all', 'all', ('P',), 'CKV_AWS_134'),
        Control('CACHE-05', 'Cache (ElastiCache Redis/Valkey)', 'Own subnet group in database subnets, SG from cluster only', 'all', 'all', ('P',), 'CKV_AWS_323'),
        Control('DR-01', 'Backups and disaster recovery', 'Backup bucket: versioning on, SSE-KMS, all four public-access blocks, ownership enforced (ACLs off), TLS-only bucket policy', 'all', 'all', ('P',), 'CKV_AWS_21/19/145/53-56, CKV2_AWS_6, CKV_AWS_379'),
        Control('DR-02', 'Backups and disaster recovery', 'Lifecycle: 7 daily / 4 weekly / 12 monthly retention classes, colder storage classes over time, abort incomplete uploads', 'all', 'all', ('P',), 'CKV2_AWS_61, CKV_AWS_300'),
        Control('DR-03', 'Backups and disaster recovery', 'Cross-region replication of the backup bucket to the DR region', 'prod', 'prod', ('C', 'P'), 'CKV_AWS_144'),
        Control('DR-04', 'Backups and disaster recovery', 'AWS Backup plan covers RDS (and EBS volumes) with daily/weekly/monthly rules and a copy to a vault in the DR region; vault encrypted, vault lock in prod', 'stg+', 'stg+', ('P',), 'CKV2_AWS_8'),
        Control('DR-05', 'Backups and disaster recovery', 'RPO ≤ 1 hour (point-in-time recovery), RTO ≤ 30 minutes, both stated per stack and checked by tooling against real recovery points', 'prod', 'prod', ('T',), '—'),
        Control('DR-06', 'Backups and disaster recovery', 'The whole environment can be rebuilt in another region from code plus the latest recovery points (snapshot restore paths in the program, one command to generate the DR stack)', 'prod', 'prod', ('T',), '—'),
        Control('DR-07', 'Backups and disaster recovery', 'Object Lock (governance in stg, compliance in prod) on backup objects', 'prod', 'prod', ('P',), 'CKV_AWS_143'),
        Control('SEC-01', 'Secrets', 'No plaintext secrets in code, stack files or resource inputs; generated secrets (pulumi-random) are Pulumi secrets end to end', 'all', 'all', ('C', 'P', 'T'), 'CKV_SECRET_*'),
        Control('SEC-02', 'Secrets', 'Application secrets live in AWS Secrets Manager, encrypted with a customer-managed KMS key', 'all', 'all', ('P',), 'CKV_AWS_149'),
        Control('SEC-03', 'Secrets', 'Automatic rotation ≤ 90 days where the secret type supports it (database credentials)', 'stg+', 'stg+', ('P',), 'CKV_AWS_304, CKV2_AWS_57'),
        Control('SEC-04', 'Secrets', 'External Secrets Operator syncs Secrets Manager into Kubernetes through a ClusterSecretStore with least-privilege access; no literal `kind: Secret` with data in the program', 'all', 'all', ('P',), 'EKS 4.4.2'),
        Control('SEC-05', 'Secrets', 'Secrets reach containers as mounted files or `secretKeyRef`, never literal env values', 'all', 'all', ('A', 'P'), 'CKV_K8S_35, Polaris sensitiveContainerEnvVar'),
        Control('SEC-06', 'Secrets', 'KMS keys: rotation on, a key policy defined, no `*` principal', 'all', 'all', ('P',), 'CKV_AWS_7/33, CKV2_AWS_64'),
        Control('SEC-07', 'Secrets', 'Secret access is auditable (CloudTrail management events on; Secrets Manager is covered by it)', 'prod', 'prod', ('P',), 'AWS 3.1'),
        Control('K8S-01', 'Kubernetes workloads and namespaces', 'One namespace per environment/team boundary; nothing in `default`', 'all', 'all', ('A', 'P'), 'CKV_K8S_21, EKS 4.5'),
        Control('K8S-02', 'Kubernetes workloads and namespaces', 'Pod Security Admission `restricted` enforced on application namespaces (non-root, no privilege escalation, drop ALL caps, seccomp RuntimeDefault)', 'all', 'all', ('A', 'P'), 'Kyverno pod-security/restricted, EKS 4.2'),
        Control('K8S-03', 'Kubernetes workloads and namespaces', 'Default-deny NetworkPolicy (ingress and egress) in every application namespace, plus explicit allows (DNS, gateway→service, service→DB/cache)', 'all', 'all', ('P',), 'CKV2_K8S_6, EKS 4.3.2'),
        Control('K8S-04', 'Kubernetes workloads and namespaces', 'ResourceQuota and LimitRange in every application namespace', 'all', 'all', ('P',), '—'),
        Control('K8S-05', 'Kubernetes workloads and namespaces', 'Containers declare CPU/memory requests and memory limits', 'all', 'all', ('A', 'P'), 'CKV_K8S_10-13, Kyverno require-requests-limits'),
        Control('K8S-06', 'Kubernetes workloads and namespaces', 'Liveness and readiness probes', 'all', 'all', ('A', 'P'), 'CKV_K8S_8/9, Kyverno require-probes'),
        Control('K8S-07', 'Kubernetes workloads and namespaces', "No `:latest` or untagged images; images from the project's private registry (ECR, immutable tags, scan on push)", 'all', 'all', ('A', 'P'), 'CKV_K8S_14, Kyverno disallow-latest-tag, EKS 5.1.1/5.1.4'),
        Control('K8S-08', 'Kubernetes workloads and namespaces', 'readOnlyRootFilesystem', 'all', 'all', ('A', 'P'), 'CKV_K8S_22'),
        Control('K8S-09', 'Kubernetes workloads and namespaces', 'Availability: HPA with minReplicas ≥ 2 (CPU 70 %, memory 80 %) and a PodDisruptionBudget for every service in stg+', 'stg+', 'stg+', ('A', 'P'), 'Polaris hpaMinAvailability, Kyverno require-pdb'),
        Control('K8S-10', 'Kubernetes workloads and namespaces', 'An admission controller (Kyverno) enforces K8S-05..K8S-09 for everything ArgoCD deploys', 'stg+', 'stg+', ('P',), '—'),
        Control('K8S-11', 'Kubernetes workloads and namespaces', 'Ingress through one controller (AWS Load Balancer Controller or NGINX) with TLS from cert-manager or ACM', 'all', 'all', ('P',), 'EKS 5.4.5'),
        Control('OBS-01', 'Observability', 'Prometheus (operator-managed) scrapes every service via ServiceMonitors; 30-day retention, persistent storage, 2 replicas in prod', 'all', 'all / HA prod', ('P',), '—'),
        Control('OBS-02', 'Observability', 'Grafana with provisioned dashboards: cluster overview, service RED (rate/errors/p50/p95/p99), database, cache, business KPIs; admin credentials from Secrets Manager', 'all', 'all', ('P',), '—'),
        Control('OBS-03', 'Observability', 'Alertmanager with routed receivers (pager for critical, chat for warning) and these rules at least: service down, error rate > 5 %, p95 latency > 500 ms, PostgreSQL connections > 80 %, disk > 85 %, certificate expiring < 30 days, pod crash-looping, node not ready', 'all', 'all', ('P',), '—'),
        Control('OBS-04', 'Observability', 'Centralised logs (Loki + an agent on every node) in S3 object storage: 7 days hot, 90 days total', 'all', 'all', ('P',), '—'),
        Control('OBS-05', 'Observability', 'Distributed tracing (Tempo or Jaeger, OTLP ingest) with sampling 10 % in prod, 100 % in dev', 'all', 'all', ('P',), '—'),
        Control('OBS-06', 'Observability', 'AWS-side alarms (RDS CPU/storage/connections/replica lag, ElastiCache memory/evictions, NAT errors, AWS Backup job failures) routed to the same receivers', 'stg+', 'stg+', ('P',), '—'),
        Control('OBS-07', 'Observability', 'SLOs: 99.9 % availability, p95 < 500 ms, error rate < 0.1 % expressed as recording rules with burn-rate alerts', 'prod', 'prod', ('P',), '—'),
        Control('GIT-01', 'Observability', 'ArgoCD installed by the program, HA in prod, admin login disabled or from Secrets Manager', 'all', 'all', ('P',), '—'),
        Control('GIT-02', 'Observability', 'An AppProject per environment restricting source repos, destinations and cluster-scoped kinds; Applications for every service generated from config', 'all', 'all', ('P',), '—'),
        Control('GIT-03', 'Observability', 'Automated sync with prune and self-heal in dev/staging; manual (approved) sync in prod; CreateNamespace off where the program owns namespaces', 'all', 'all', ('P',), '—'),
        Control('GIT-04', 'Observability', 'Pull requests run `pulumi preview` with this policy pack for every stack, and post the per-stack cost estimate', 'all', 'all', ('T',), '—'),
        Control('GIT-05', 'Observability', '`pulumi up` to dev on merge, to staging and prod behind manual approval (GitHub environments), with OIDC to AWS (no long-lived keys)', 'all', 'all', ('T',), '—'),
        Control('GIT-06', 'Observability', 'Container registry (ECR) per service: immutable tags, scan on push, lifecycle policy', 'all', 'all', ('P',), 'EKS 5.1.1'),
        Control('GIT-07', 'Observability', 'Scheduled drift detection (`pulumi refresh --preview-only`) per stack', 'stg+', 'stg+', ('T',), '—'),
        Control('GOV-01', 'Governance', 'Every AWS resource tagged Environment, Project, Owner, CostCenter, ManagedBy=pulumi (provider default tags count)', 'all', 'all', ('C', 'P'), '—'),
        Control('GOV-02', 'Governance', 'Stateful resources (RDS, ElastiCache, backup buckets, KMS keys, EKS cluster) `protect`ed and retained on delete in prod; a preview that would replace one fails unless explicitly allowed for that run', 'prod', 'prod', ('P',), '—'),
        Control('GOV-03', 'Governance', 'Physical names derived from project and stack (two stacks in one account never collide)', 'all', 'all', ('P',), '—'),
        Control('GOV-04', 'Governance', 'Per-stack monthly cost estimate with a budget; a preview over budget warns (dev/staging) or fails (prod)', 'all', 'all', ('T',), '—'),
        Control('GOV-05', 'Governance', 'Dev, staging and prod differ only by their stack files (no `if stack == "prod"` in components)', 'all', 'all', ('C',), '—'),
    )
}

TIERS = ("all", "stg+", "prod")
ENVIRONMENTS = ("dev", "staging", "prod")


def applies(tier: str, environment: str) -> bool:
    """True when a control of `tier` is mandatory for a stack of `environment`."""
    if tier == "all":
        return True
    if tier == "stg+":
        return environment in ("staging", "prod")
    if tier == "prod":
        return environment == "prod"
    raise ValueError(f"unknown tier {tier!r}; expected one of {TIERS}")
