"""Amazon EKS Kubernetes release calendar (pure data, shared with the settings via groundwork.catalog).

Source: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (and
endoflife.date/amazon-eks), checked 2026-11-21. 14 months of standard support, then 12 of
(paid) extended support.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class KubernetesRelease(NamedTuple):
    version: str
    released: dt.date
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date


EKS_RELEASES: dict[str, KubernetesRelease] = {
    r.version: r
    for r in (
        KubernetesRelease("1.30", dt.date(2024, 5, 23), dt.date(2025, 7, 23), dt.date(2026, 7, 23)),
        KubernetesRelease("1.31", dt.date(2024, 9, 26), dt.date(2025, 11, 26), dt.date(2026, 11, 26)),
        KubernetesRelease("1.32", dt.date(2025, 1, 25), dt.date(2026, 3, 23), dt.date(2027, 3, 23)),
        KubernetesRelease("1.33", dt.date(2025, 5, 28), dt.date(2026, 7, 29), dt.date(2027, 7, 29)),
        KubernetesRelease("1.34", dt.date(2025, 10, 6), dt.date(2026, 12, 2), dt.date(2027, 12, 2)),
        KubernetesRelease("1.35", dt.date(2026, 1, 28), dt.date(2027, 3, 27), dt.date(2028, 3, 27)),
    )
}


def in_standard_support(version: str, today: dt.date) -> bool:
    release = EKS_RELEASES.get(version)
    return release is not None and release.released <= today <= release.end_of_standard_support
