"""Run the policy pack as the Pulumi CLI runs it, and talk to it over the Analyzer protocol.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine-address> .` in the pack
directory (the `pulumi-analyzer-policy-python` shim does exactly that inside the pack's
virtualenv), with PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN and PULUMI_CONFIG in its
environment; the pack prints the port of its gRPC Analyzer server on stdout. We do the same
with this interpreter, serve a minimal Engine (so the pack's log calls land somewhere), and
send GetAnalyzerInfo, Configure, ConfigureStack, Analyze and AnalyzeStack.

Properties are marshalled as the engine marshals them for analyzers: unknowns and secrets
kept, resource references replaced by the referenced resource's ID (URN for a component).
`Analyze` gets inputs (none for a remote component), `AnalyzeStack` outputs, as the engine sends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from groundwork.plan.graph import RESOURCE_SIG, SIG, STACK_TYPE, Graph, Resource

LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
LEVEL_CODES = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
SEVERITIES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}


class AnalyzerError(Exception):
    pass


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.SetRootResourceResponse()


@dataclass
class Diagnostic:
    policy: str
    message: str
    level: str
    severity: str
    urn: str
    description: str = ""

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"


@dataclass
class PolicyInfo:
    name: str
    description: str
    level: str
    severity: str
    tags: list[str] = field(default_factory=list)
    remediation: str = ""

    @property
    def controls(self) -> list[str]:
        return [t for t in self.tags if not t.startswith("tier:")]

    @property
    def tier(self) -> str:
        return next((t.split(":", 1)[1] for t in self.tags if t.startswith("tier:")), "all")


def _marshal(value: Any, ids: dict[str, str]) -> Any:
    """Recorded inputs -> analyzer properties (resource references become IDs, else URNs)."""
    if isinstance(value, dict):
        if value.get(SIG) == RESOURCE_SIG or (set(value) == {"urn", "id"} and str(value["urn"]).startswith("urn:")):
            urn = str(value.get("urn", ""))
            return value.get("id") or ids.get(urn) or urn
        return {k: _marshal(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_marshal(v, ids) for v in value]
    return value


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(data)
    return s


class Analyzer:
    """The policy pack, running in a child process exactly as the CLI would start it."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str,
        stack: str,
        config: dict[str, str],
        dry_run: bool = True,
        python: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.pack_dir = pack_dir.resolve()
        self.project, self.stack, self.config = project, stack, config
        self.engine = _Engine()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.server)
        engine_port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.engine_address = f"127.0.0.1:{engine_port}"
        env = {
            **os.environ,
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
            "PULUMI_CONFIG": json.dumps(config),
            **(extra_env or {}),
        }
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [python or sys.executable, "-u", "-m", "pulumi.policy", self.engine_address, "."],
            cwd=self.pack_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.channel: grpc.Channel | None = None
        self.client: analyzer_pb2_grpc.AnalyzerStub | None = None

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def connect(self, timeout: float = 60.0) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.process.wait(timeout=5)
            raise AnalyzerError(f"the policy pack did not start: {line!r}\n{''.join(self._stderr)[-3000:]}")
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{line}", options=[("grpc.max_receive_message_length", 400 << 20)]
        )
        grpc.channel_ready_future(self.channel).result(timeout=timeout)
        self.client = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        self.ready_seconds = time.perf_counter() - self.started

    def __enter__(self) -> Analyzer:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.server.stop(0)

    # -----------------------------------------------------------------------------------------
    @property
    def _stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self.client is None:
            self.connect()
        assert self.client is not None
        return self.client

    def info(self) -> tuple[dict[str, Any], list[PolicyInfo]]:
        info = self._stub.GetAnalyzerInfo(empty_pb2.Empty())
        policies = [
            PolicyInfo(
                p.name,
                p.description,
                LEVELS[p.enforcementLevel],
                SEVERITIES.get(p.severity, "unspecified"),
                list(p.tags),
                p.remediation_steps,
            )
            for p in info.policies
        ]
        return {"name": info.name, "version": info.version, "supportsConfig": info.supportsConfig}, policies

    def configure(self, policy_config: dict[str, dict[str, Any]]) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, cfg in policy_config.items():
            level: Any = LEVEL_CODES[cfg.get("enforcementLevel", "advisory")]
            props = {k: v for k, v in cfg.items() if k != "enforcementLevel"}
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=_struct(props))
            )
        self._stub.Configure(request)

    def configure_stack(self, tags: dict[str, str] | None = None) -> None:
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack,
            project=self.project,
            organization="organization",
            dry_run=True,
            config=_struct(dict(self.config)),
            tags=tags or {},
        )
        self._stub.ConfigureStack(request)

    # -----------------------------------------------------------------------------------------
    @staticmethod
    def _options(r: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
        o = r.options
        timeouts = o.get("customTimeouts") or {}
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=bool(o.get("protect")),
            ignoreChanges=list(o.get("ignoreChanges", [])),
            deleteBeforeReplace=bool(o.get("deleteBeforeReplace")),
            deleteBeforeReplaceDefined="deleteBeforeReplace" in o,
            additionalSecretOutputs=list(o.get("additionalSecretOutputs", [])),
            aliases=list(o.get("aliases", [])),
            customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
                create=float(timeouts.get("create") or 0),
                update=float(timeouts.get("update") or 0),
                delete=float(timeouts.get("delete") or 0),
            ),
            parent=r.parent,
        )

    @staticmethod
    def _provider(r: Resource, graph: Graph, ids: dict[str, str]) -> analyzer_pb2.AnalyzerProviderResource | None:
        if not r.provider:
            return None
        p = graph.by_urn.get(r.provider_urn)
        if p is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=p.type, urn=p.urn, name=p.name, properties=_struct(_marshal(p.inputs, ids))
        )

    @staticmethod
    def analyzed(graph: Graph) -> list[Resource]:
        return [r for r in graph.resources if r.type != STACK_TYPE]

    @staticmethod
    def analyze_properties(r: Resource) -> dict[str, Any]:
        """What `Analyze` receives: the resource's inputs, except for a remote component, whose
        plugin registers it through the Node.js SDK's ComponentResource, which sends the engine no
        properties (pulumi/pulumi sdk/nodejs/resource.ts: a component's args are not passed on).
        The engine analyzes the resources the plugin registers under it instead."""
        return {} if r.remote and not r.custom else r.inputs

    @staticmethod
    def stack_properties(r: Resource) -> dict[str, Any]:
        """What `AnalyzeStack` receives: each resource's final outputs, not its inputs
        (pulumi/pulumi pkg/resource/deploy/step_generator.go, `AnalyzeResources`: "Unlike Analyze,
        AnalyzeStack is called on the final outputs of each resource"); components carry their
        registered outputs. Resources recorded without outputs fall back to their inputs."""
        return r.outputs or r.inputs

    def analyze(self, graph: Graph) -> tuple[list[Diagnostic], int]:
        """Analyze every resource, then the stack. Returns diagnostics and the number of RPCs.

        Each `Analyze` is sent as soon as its request is built and answered while the next is
        built (the engine, too, analyzes resources concurrently); the answers are read in order."""
        ids = {r.urn: r.id for r in graph.resources if r.id}
        pending = [(r.urn, self._stub.Analyze.future(request)) for r, request in self.analyze_requests(graph, ids)]
        stack = self.stack_request(graph, ids)
        out: list[Diagnostic] = []
        for urn, answer in pending:
            # a resource policy reports without a URN: the engine attributes it to the analyzed resource
            out += self._diagnostics(answer.result().diagnostics, default_urn=urn)
        out += self._diagnostics(self._stub.AnalyzeStack(stack).diagnostics)
        return out, len(pending) + 1

    @classmethod
    def requests(cls, graph: Graph) -> tuple[list[Any], Any]:
        """The engine's requests for `graph`: one `Analyze` per resource, then one `AnalyzeStack`."""
        ids = {r.urn: r.id for r in graph.resources if r.id}
        return [request for _, request in cls.analyze_requests(graph, ids)], cls.stack_request(graph, ids)

    @classmethod
    def analyze_requests(cls, graph: Graph, ids: dict[str, str]) -> Iterator[tuple[Resource, Any]]:
        for r in cls.analyzed(graph):
            yield (
                r,
                analyzer_pb2.AnalyzeRequest(**cls._resource_fields(r, cls.analyze_properties(r), graph, ids)),
            )

    @classmethod
    def _resource_fields(cls, r: Resource, props: dict[str, Any], graph: Graph, ids: dict[str, str]) -> dict[str, Any]:
        """What `Analyze` and `AnalyzeStack` send alike for a resource (its properties differ)."""
        return {
            "type": r.type,
            "urn": r.urn,
            "name": r.name,
            "properties": _struct(_marshal(props, ids)),
            "options": cls._options(r),
            "provider": cls._provider(r, graph, ids),
        }

    @classmethod
    def stack_request(cls, graph: Graph, ids: dict[str, str]) -> Any:
        return analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    **cls._resource_fields(r, cls.stack_properties(r), graph, ids),
                    parent=r.parent,
                    dependencies=list(r.dependencies),
                    propertyDependencies={
                        k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                        for k, v in r.property_dependencies.items()
                        if v
                    },
                )
                for r in cls.analyzed(graph)
            ]
        )

    @staticmethod
    def _diagnostics(items: Iterable[Any], default_urn: str = "") -> list[Diagnostic]:
        return [
            Diagnostic(
                d.policyName,
                d.message,
                LEVELS.get(d.enforcementLevel, "advisory"),
                SEVERITIES.get(d.severity, "unspecified"),
                d.urn or default_urn,
                d.description,
            )
            for d in items
        ]


def properties_json(r: Resource, graph: Graph) -> dict[str, Any]:
    """What the analyzer receives for `r` (for debugging and tests)."""
    ids = {x.urn: x.id for x in graph.resources if x.id}
    return json_format.MessageToDict(_struct(_marshal(r.inputs, ids)))
