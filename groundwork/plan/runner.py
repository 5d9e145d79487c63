"""Run the real program (`__main__.py`) under the SDK's mock runtime, as the CLI would run it.

What matches the CLI's Python language host: the stack's config is set with
`set_all_config` (namespaced keys, structured values as JSON, secret keys listed), the
working directory is the project directory, and the program runs through
`runpy.run_path(..., run_name="__main__")` inside `run_in_stack`, so `pulumi.export` lands on
the root Stack and every outstanding RPC is awaited. A `RunError` (bad settings among them)
is a clean failure with no traceback, as `pulumi preview` reports it.

Each run happens in a fresh `contextvars` context (the runtime's settings, root resource and
config are context variables), so several plans can run in one process without leaking state.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import os
import runpy
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from google.protobuf import empty_pb2
from pulumi.errors import RunError
from pulumi.runtime import mocks, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from groundwork.plan.graph import STACK_TYPE, Graph
from groundwork.plan.mocks import GroundworkMocks
from groundwork.plan.monitor import RecordingEngine, RecordingMonitor
from groundwork.plan.stackconfig import StackConfig


async def _settle() -> None:
    """Wait for every outstanding RPC and output, all of them at once, round after round.

    The SDK's own wait at the end of a program (pulumi/runtime/stack.py, `wait_for_rpcs`) waits for
    the pending outputs with `asyncio.wait(..., FIRST_COMPLETED)` and starts over after each
    wake-up, so each of its ~100 rounds registers a callback on every pending output: O(outputs) a
    round, most of the plan's time with hundreds of services (issue 16). Waiting for all of them
    with one `gather` a round lets the same tasks run in the same order; the SDK's wait that follows
    finds them done and still re-raises any failure (errors are left for it: `return_exceptions`).
    """
    manager = settings._get_rpc_manager()
    while True:
        pending = [t for t in (*manager.rpcs, *settings.SETTINGS.outputs) if not t.done()]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


class PlanFailed(Exception):
    """The program failed under the mock runtime; `message` is what `pulumi preview` would print."""

    def __init__(self, message: str, logs: list[dict[str, str]] | None = None, error: BaseException | None = None):
        super().__init__(message)
        self.message = message
        self.logs = logs or []
        self.error = error


def run_program(cfg: StackConfig, *, preview: bool = True) -> Graph:
    """Run the stack's program offline and return the recorded graph (or raise PlanFailed).

    The cyclic garbage collector is paused for the run: the program builds one large graph of
    resources and outputs that lives until the end, and the collector's full passes over it made
    the run grow faster than the graph (1.6x the time per service at 300 services than at 10,
    bench/plan_benchmark.py; issue 16). It is switched back on afterwards, and collects what the
    run left as usual.
    """
    ctx = contextvars.copy_context()
    collecting = gc.isenabled()
    gc.disable()
    try:
        return ctx.run(_run, cfg, preview, None)
    finally:
        if collecting:
            gc.enable()


def run_function(
    body: Callable[[], None],
    *,
    config: dict[str, str] | None = None,
    project: str = "groundwork",
    stack: str = "test",
    preview: bool = True,
) -> Graph:
    """Run `body` as the program, under the same runtime, mocks and engine rules as `run_program`.

    For tests of one component: `body` builds it with the arguments the test chooses, so what the
    component decides is recorded without planning a whole stack (a fraction of a second instead
    of seconds, which is what lets a mutation run rerun them for every mutant). `config` is the
    stack configuration as namespaced keys (`aws:region` sets the mocks' region).
    """
    cfg = StackConfig(project=project, stack=stack, config=dict(config or {}), project_dir=Path.cwd())
    return contextvars.copy_context().run(_run, cfg, preview, body)


def _run(cfg: StackConfig, preview: bool, body: Callable[[], None] | None) -> Graph:
    assert cfg.project_dir is not None
    project_dir = cfg.project_dir.resolve()
    mock = GroundworkMocks(
        region=cfg.config.get("aws:region", "us-east-1"),
        account=cfg.config.get(f"{cfg.project}:accountId"),
    )
    monitor = RecordingMonitor(mock)
    mock.monitor = monitor
    engine = RecordingEngine()

    loop = asyncio.new_event_loop()
    previous_cwd = os.getcwd()
    added_path = str(project_dir) not in sys.path
    started = time.perf_counter()
    try:
        asyncio.set_event_loop(loop)
        os.chdir(project_dir)
        if added_path:
            sys.path.insert(0, str(project_dir))
        settings.configure(
            mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
                engine=engine,
                project=cfg.project,
                stack=cfg.stack,
                dry_run=preview,
                organization="organization",
                callbacks=None,
                # plain (not context-local) attributes of the global settings: a failed run would
                # otherwise leave its pending tasks here, bound to a loop that is closed by then
                outputs=set(),
                lock=threading.Lock(),
            )
        )
        settings.ROOT.set(None)
        set_all_config(dict(cfg.config), list(cfg.secret_keys))
        main = project_dir / cfg.main

        async def program() -> None:
            if body is None:
                runpy.run_path(str(main), run_name="__main__")
            else:
                body()
            await _settle()

        loop.run_until_complete(run_in_stack(program))
    except RunError as exc:
        raise PlanFailed(str(exc), engine.logs, exc) from None
    except Exception as exc:
        raise PlanFailed(f"the program failed: {type(exc).__name__}: {exc}", engine.logs, exc) from exc
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        with contextlib.suppress(BaseException):
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
        os.chdir(previous_cwd)
        if added_path:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(project_dir))

    graph = Graph(
        project=cfg.project,
        stack=cfg.stack,
        resources=list(monitor.records),
        invokes=list(monitor.invokes),
        logs=list(engine.logs),
        seconds=time.perf_counter() - started,
    )
    stack_urn = next((r.urn for r in graph.resources if r.type == STACK_TYPE), "")
    graph.outputs = monitor.registered_outputs.get(stack_urn, {})
    for r in graph.resources:
        if not r.custom and r.urn in monitor.registered_outputs and r.type != STACK_TYPE:
            r.outputs = {**r.outputs, **monitor.registered_outputs[r.urn]}
    # errors logged by the program (pulumi.log.error) fail a preview too
    errors = [entry["message"] for entry in engine.logs if entry["severity"] == "error"]
    if errors:
        raise PlanFailed("\n".join(errors), engine.logs)
    return graph
