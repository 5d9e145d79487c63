"""A resource monitor for the SDK's mock runtime that records every request.

`RegisterResource` is reimplemented rather than delegated to `MockMonitor`: the stock one
deserializes inputs with the SDK's own deserializer, which rehydrates resource references
(a node group's `cluster`) into Resource objects on a worker thread and can deadlock the
program's event loop. Here inputs reach the mocks as plain JSON, and the request is kept
verbatim: serialized inputs with secrets still wrapped, property dependencies and options.

Like the engine, the monitor marks `additionalSecretOutputs`, and outputs whose input was
secret, as secrets in the state it returns, so secrets stay secrets end to end.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import mocks
from pulumi.runtime.proto import provider_pb2, resource_pb2

from groundwork.plan.graph import SECRET_SIG, SIG, STACK_TYPE, Resource, is_secret, plain

_OPTION_FIELDS = {
    "protect": "protect",
    "retainOnDelete": "retainOnDelete",
    "deleteBeforeReplace": "deleteBeforeReplace",
    "ignoreChanges": "ignoreChanges",
    "replaceOnChanges": "replaceOnChanges",
    "additionalSecretOutputs": "additionalSecretOutputs",
    "aliases": "aliasURNs",
    "deletedWith": "deletedWith",
    "version": "version",
    "pluginDownloadURL": "pluginDownloadURL",
    "importId": "importId",
}


def _secret(value: Any) -> dict[str, Any]:
    return {SIG: SECRET_SIG, "value": value}


class RecordingEngine:
    """Collects the program's log messages (pulumi.log.*) instead of printing them."""

    LEVELS: ClassVar[dict[int, str]] = {0: "debug", 1: "info", 2: "warning", 3: "error"}

    def __init__(self) -> None:
        self.logs: list[dict[str, str]] = []

    def Log(self, request: Any) -> empty_pb2.Empty:
        self.logs.append(
            {"severity": self.LEVELS.get(request.severity, "info"), "message": request.message, "urn": request.urn}
        )
        return empty_pb2.Empty()


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, mock: mocks.Mocks) -> None:
        super().__init__(mock)
        self.records: list[Resource] = []
        self.registered_outputs: dict[str, Any] = {}
        self.invokes: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = json_format.MessageToDict(request.object)
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            remote=bool(request.remote),
            provider=request.provider,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            inputs=inputs,
            options=self._options(request),
        )
        if request.type == STACK_TYPE:
            with self._lock:
                self.records.append(record)
            return resource_pb2.RegisterResourceResponse(urn=urn)

        args = mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=plain(inputs),
            provider=request.provider,
            resource_id=request.importId,
            custom=bool(request.custom),
        )
        args.urn = urn  # type: ignore[attr-defined]
        # a remote component's children get their providers from the component's providers map
        args.providers = dict(request.providers)  # type: ignore[attr-defined]
        # children inherit `protect` from the component
        args.protect = bool(request.protect)  # type: ignore[attr-defined]
        new_id, state = self.mocks.new_resource(args)
        rid = new_id or ""
        for key in request.additionalSecretOutputs:
            if key in state and not is_secret(state[key]):
                state[key] = _secret(state[key])
        for key, value in inputs.items():
            if is_secret(value) and key in state and not is_secret(state[key]):
                state[key] = _secret(plain(state[key]))
        obj = struct_pb2.Struct()
        obj.update(state)
        record.id = rid
        record.outputs = state
        if request.providers:
            record.options["providers"] = dict(request.providers)
        with self._lock:
            self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, rid, state)
            self.records.append(record)
            # what a remote component's plugin registers under it (groundwork.plan.pulumi_eks)
            self.records.extend(getattr(self.mocks, "drain_children", list)())
        return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=obj)

    def RegisterResourceOutputs(self, request: Any) -> empty_pb2.Empty:
        with self._lock:
            self.registered_outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> resource_pb2.ResourceInvokeResponse:
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        args = plain(json_format.MessageToDict(request.args))
        result = self.mocks.call(mocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        ret, failures = (result, None) if isinstance(result, dict) else result
        with self._lock:
            self.invokes.append({"token": request.tok, "args": args, "provider": request.provider})
        ret_proto = struct_pb2.Struct()
        ret_proto.update(ret)
        return resource_pb2.ResourceInvokeResponse(
            failures=[provider_pb2.CheckFailure(property=p, reason=r) for p, r in (failures or [])],
            **{"return": ret_proto},
        )

    @staticmethod
    def _options(request: Any) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        for name, attr in _OPTION_FIELDS.items():
            value = getattr(request, attr, None)
            if value is None:
                continue
            value = list(value) if not isinstance(value, str | bool | int) else value
            if value not in ("", False, []):
                opts[name] = value
        if len(getattr(request, "aliases", ())):  # alias specs (the SDK sends these, not aliasURNs)
            opts["aliasSpecs"] = [json_format.MessageToDict(a) for a in request.aliases]
        if request.HasField("customTimeouts"):
            t = request.customTimeouts
            opts["customTimeouts"] = {"create": t.create, "update": t.update, "delete": t.delete}
        return opts
