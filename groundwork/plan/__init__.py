"""The offline plan: run the real program under the SDK's mock runtime and record the graph."""

from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import PlanFailed, run_program
from groundwork.plan.stackconfig import StackConfig, StackFileError, load_stack_config

__all__ = ["Graph", "PlanFailed", "Resource", "StackConfig", "StackFileError", "load_stack_config", "run_program"]
