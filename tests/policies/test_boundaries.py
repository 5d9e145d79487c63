"""The other side of each numeric boundary of the RDS policies (issue 18, gap 4): the violation
cases in cases.py sit just below each threshold; these sit on it and pass."""

from __future__ import annotations

import pytest

from tests.policies.harness import run_resource
from tests.policies.test_policy_cases import WORLD


@pytest.mark.parametrize(
    ("policy", "path", "value"),
    [
        ("aws-rds-instance-require-backups", "backupRetentionPeriod", 7),
        ("aws-rds-instance-require-30-day-backups", "backupRetentionPeriod", 30),
        ("aws-rds-instance-require-gp3-autoscaling", "maxAllocatedStorage", 51),
        ("aws-rds-instance-require-insights-and-monitoring", "monitoringInterval", 1),
    ],
)
def test_the_threshold_itself_passes(policy: str, path: str, value: float) -> None:
    world = WORLD.patch("db", path, value)
    assert run_resource(policy, world.resources["db"]) == []
