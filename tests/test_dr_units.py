"""The DR tooling's pure parts, without AWS (issue 18): the names the tooling derives and
overrides from `pulumi stack output --json`, and what an endpoint probe decides (EDGE-06)."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.error
from pathlib import Path

import pytest

from groundwork.dr.endpoints import Probe, probe, rehearsal_host
from groundwork.dr.names import OUTPUT_KEYS, StackResources, expected, with_outputs
from groundwork.settings import load_settings
from tests.conftest import stack_config

ACCOUNT = "333333333333"


def prod_names(**overrides: object) -> StackResources:
    cfg = stack_config("prod", **overrides)
    return expected(load_settings(cfg.config, project="groundwork", stack="prod", today=dt.date(2026, 11, 21)), ACCOUNT)


def test_the_names_of_a_stacks_stateful_resources() -> None:
    assert prod_names() == StackResources(
        region="eu-west-1",
        dr_region="eu-central-1",
        database="groundwork-prod-db",
        cache="groundwork-prod-cache",
        backup_bucket=f"groundwork-prod-backups-{ACCOUNT}",
        replica_bucket=f"groundwork-prod-backups-dr-{ACCOUNT}",
        vault="groundwork-prod-vault",
        dr_vault="groundwork-prod-vault-dr",
        zone_id=None,
    )


def test_an_adopted_backup_bucket_keeps_its_name() -> None:
    assert prod_names(backups={"adoptBucket": "legacy-backups"}).backup_bucket == "legacy-backups"


def test_stack_outputs_override_the_derived_names_they_export(tmp_path: Path) -> None:
    names = prod_names()
    assert with_outputs(names, None) is names
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "databaseIdentifier": "restored-db",
                "zoneId": "Z123",
                "cacheGroupId": "",
                "backupVault": None,
                "other": "x",
            }
        )
    )
    got = with_outputs(names, outputs)
    assert (got.database, got.zone_id, got.cache, got.vault) == ("restored-db", "Z123", names.cache, names.vault)
    assert set(OUTPUT_KEYS.values()) == {
        "database",
        "cache",
        "backup_bucket",
        "replica_bucket",
        "vault",
        "dr_vault",
        "zone_id",
    }


def test_rehearsal_hosts_stay_in_the_zone() -> None:
    assert rehearsal_host("api.example.com") == "api-dr.example.com"
    assert rehearsal_host("app.dev.example.com") == "app-dr.dev.example.com"


@pytest.mark.parametrize(
    ("probe_", "ok", "line"),
    [
        (Probe("h", ("1.2.3.4",), 499), True, "  endpoint      h -> 1.2.3.4: HTTPS 499"),
        (
            Probe("h", ("1.2.3.4", "5.6.7.8"), 500),
            False,
            "  endpoint      h -> 1.2.3.4, 5.6.7.8: HTTPS 500 (server error)",
        ),
        (Probe("h", ("1.2.3.4",), None, "timed out"), False, "  endpoint      h -> 1.2.3.4: no answer (timed out)"),
        (Probe("h", ("1.2.3.4",), 200, "reset"), False, "  endpoint      h -> 1.2.3.4: no answer (reset)"),
        (Probe("h", (), None, "no address"), False, "  endpoint      h: does not resolve (no address)"),
        (Probe("h", (), 200), False, "  endpoint      h: does not resolve ()"),
    ],
)
def test_a_probe_is_ok_with_an_address_an_answer_below_500_and_no_error(probe_: Probe, ok: bool, line: str) -> None:
    assert probe_.ok is ok
    assert probe_.render() == line


def test_probe_errors_are_named() -> None:
    def nothing(host: str) -> list[str]:
        raise OSError

    assert probe("h", resolve=nothing) == Probe("h", (), None, "OSError")
    assert probe("h", resolve=lambda h: []) == Probe("h", (), None, "no address")

    def tls(url: str) -> int:
        raise ssl.SSLError(1, "certificate verify failed")

    def refused(url: str) -> int:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    assert probe("h", resolve=lambda h: ["1.2.3.4"], fetch=tls).error == "certificate verify failed"
    assert probe("h", resolve=lambda h: ["1.2.3.4"], fetch=refused).error == "[Errno 111] Connection refused"
    urls: list[str] = []

    def fetch(url: str) -> int:
        urls.append(url)
        return 204

    assert probe("h", "/healthz", resolve=lambda h: ["1.2.3.4"], fetch=fetch).ok
    assert urls == ["https://h/healthz"]


def test_names_cut_to_each_services_limit_match_what_the_program_creates() -> None:
    """A long stack name: each name is cut to its service's limit (RDS 63, ElastiCache group 40,
    Backup vault 50 characters; groundwork/naming.py LIMITS), the same way the components cut it."""
    import dataclasses

    from groundwork.plan import run_program

    stack = "prod-" + "eu-west-1-" * 5
    cfg = dataclasses.replace(stack_config("prod"), stack=stack)
    names = expected(load_settings(cfg.config, project="groundwork", stack=stack, today=dt.date(2026, 11, 21)), ACCOUNT)
    g = run_program(cfg)

    def created(type_: str, prop: str) -> set[str]:
        return {r.props[prop] for r in g.of_type(type_)}

    assert created("aws:rds/instance:Instance", "identifier") == {names.database}
    assert created("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId") == {names.cache}
    assert created("aws:backup/vault:Vault", "name") == {names.vault, names.dr_vault}
    assert len(names.cache) == 40 and len(names.vault) <= 50
    with pytest.raises(dataclasses.FrozenInstanceError):
        names.database = "x"  # type: ignore[misc]


def test_dns_resolve_lists_each_address_once() -> None:
    from groundwork.dr.endpoints import dns_resolve

    found = dns_resolve("localhost")
    assert "127.0.0.1" in found and found == sorted(set(found))


def test_https_status_verifies_the_certificate_and_reads_error_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib
    import urllib.request

    from groundwork.dr import endpoints

    seen: list[tuple[urllib.request.Request, float, ssl.SSLContext]] = []

    class Answer:
        status = 204

    def urlopen(request: urllib.request.Request, timeout: float, context: ssl.SSLContext) -> object:
        seen.append((request, timeout, context))
        if "missing" in request.full_url:
            raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, None)  # type: ignore[arg-type]
        return contextlib.nullcontext(Answer())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert endpoints.https_status("https://api-dr.example.com/healthz") == 204
    assert endpoints.https_status("https://api-dr.example.com/missing", timeout=3) == 404
    (request, timeout, context), (_, short, _) = seen
    assert request.get_method() == "GET" and request.get_header("User-agent") == "groundwork-dr-drill"
    assert (timeout, short) == (10.0, 3)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_a_probe_is_a_value() -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        Probe("h", (), None).host = "other"  # type: ignore[misc]


def test_doctor_counts_the_nat_instance_as_a_host_not_an_address() -> None:
    """dev's NAT instance takes no Elastic IP (its address is auto-assigned) but 2 on-demand vCPUs;
    a NAT gateway takes an Elastic IP each."""
    from groundwork.doctor import _nat_gateways, _on_demand_vcpus

    dev = load_settings(stack_config("dev").config, project="groundwork", stack="dev", today=dt.date(2026, 11, 21))
    assert (dev.network.nat_mode, dev.cluster.operator_access) == ("instance", "none")
    assert _nat_gateways(dev) == 0 and _on_demand_vcpus(dev) == 2  # dev's nodes are Spot
    single = dev.model_copy(update={"network": dev.network.model_copy(update={"nat_mode": "single"})})
    assert _nat_gateways(single) == 1 and _on_demand_vcpus(single) == 0
    per_az = dev.model_copy(update={"network": dev.network.model_copy(update={"nat_mode": "per-az"})})
    assert _nat_gateways(per_az) == 2
