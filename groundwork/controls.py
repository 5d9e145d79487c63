"""The controls catalogue, shared with the policy pack.

The pack (`policies/`) must stay self-contained because `pulumi policy publish` ships only
that folder, so the table lives there; this module loads that one file by path so the
program, the settings and the tooling use the very same data.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "policies" / "groundwork_policies" / "controls.py"
_spec = importlib.util.spec_from_file_location("groundwork._controls_table", _PATH)
assert _spec and _spec.loader, f"controls table missing at {_PATH}"
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module
_spec.loader.exec_module(_module)

Control = _module.Control
CONTROLS: dict = _module.CONTROLS
applies = _module.applies
ENVIRONMENTS = _module.ENVIRONMENTS
