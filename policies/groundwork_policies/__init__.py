"""Groundwork's CrossGuard policies, one module per service. Importing the package registers them all."""

from . import (  # noqa: F401  (each module registers its policies)
    backup,
    capacity,
    edge,
    eks,
    elasticache,
    gitops,
    governance,
    kubernetes,
    network,
    observability,
    rds,
    secrets,
    server,
)
from .controls import CONTROLS
from .core import REGISTRY, PackContext, Spec

__all__ = ["CONTROLS", "REGISTRY", "PackContext", "Spec", "server"]
