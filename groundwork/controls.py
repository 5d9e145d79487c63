"""Pure data shared with the policy pack: controls, EKS release calendar, platform names.

The pack (`policies/`) must stay self-contained because `pulumi policy publish` ships only
that folder, so the tables live there; this module loads those files by path so the
program, the settings and the tooling use the very same data.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACK = Path(__file__).resolve().parent.parent / "policies" / "groundwork_policies"


def _load(module: str) -> ModuleType:
    name = f"groundwork._pack_{module}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PACK / f"{module}.py")
    assert spec and spec.loader, f"{module}.py missing in {PACK}"
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


_controls = _load("controls")
_versions = _load("kubernetes_versions")
platform = _load("platform")

Control = _controls.Control
CONTROLS: dict = _controls.CONTROLS
applies = _controls.applies
ENVIRONMENTS = _controls.ENVIRONMENTS
KubernetesRelease = _versions.KubernetesRelease
EKS_RELEASES: dict = _versions.EKS_RELEASES
