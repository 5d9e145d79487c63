"""Mutation testing of one module against the tests that cover it (issue 18): `make mutation MODULE=...`.

Each mutant changes one decision of the module (classic operators, below), is written over the
module, and the module's tests (tools/mutation.yaml) run against it: a failing run kills the
mutant, a passing one lets it survive, a run over the time limit is a timeout (counted as killed,
as mutmut and cosmic-ray do: the change broke something). The module is restored after every
mutant and on any exit; the runner refuses to start on a module with uncommitted changes.

Operators: comparison flips (< <=, > >=, == !=, is / is not, in / not in), `and`/`or`, `not x` -> x,
True/False, an integer or float constant +1, one keyword argument dropped from a call, a call or
`yield` statement dropped, a returned value replaced by None.

Equivalent mutants (no behaviour can tell them apart) are listed in tools/mutation.yaml, each with
its line, mutation and a one-line reason, and left out of the score; nothing is silenced in bulk.

    venv/bin/python tools/mutation.py components/cache.py [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "mutation.yaml"

FLIPS: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


@dataclass
class Mutant:
    index: int
    line: int
    operator: str
    description: str
    status: str = ""
    seconds: float = 0.0


def _docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _in_fstring(tree: ast.AST) -> set[int]:
    return {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)}


def candidates(tree: ast.Module) -> Iterator[tuple[ast.AST, str, str, int]]:
    """(node, operator, description, choice) for every mutation of the module, in source order."""
    skip = _in_fstring(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in FLIPS:
                    new = FLIPS[type(op)].__name__
                    yield node, "compare", f"{type(op).__name__} -> {new}", i
        elif isinstance(node, ast.BoolOp):
            yield node, "boolop", f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}", 0
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not", "not x -> x", 0
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, "bool", f"{node.value} -> {not node.value}", 0
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            yield node, "number", f"{node.value!r} -> {node.value + 1!r}", 0
        elif isinstance(node, ast.Call):
            for i, kw in enumerate(node.keywords):
                if kw.arg is not None:
                    yield node, "keyword", f"drop {kw.arg}=", i
        elif (
            isinstance(node, ast.Return)
            and node.value is not None
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            yield node, "return", "return ... -> return None", 0
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.For | ast.If | ast.With):
            body = node.body
            for i, stmt in enumerate(body):
                if _docstring(stmt) or len(body) == 1:
                    continue
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call | ast.Yield | ast.YieldFrom):
                    yield node, "statement", f"drop the statement at line {stmt.lineno}", i


def apply(node: ast.AST, operator: str, choice: int) -> None:
    if operator == "compare":
        assert isinstance(node, ast.Compare)
        node.ops[choice] = FLIPS[type(node.ops[choice])]()
    elif operator == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif operator == "not":
        assert isinstance(node, ast.UnaryOp)
        node.op = ast.UAdd()  # `+x` keeps the node: same value as x for the bools and numbers `not` sees
        node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
    elif operator in ("bool", "number"):
        assert isinstance(node, ast.Constant)
        node.value = (not node.value) if operator == "bool" else node.value + 1
    elif operator == "keyword":
        assert isinstance(node, ast.Call)
        del node.keywords[choice]
    elif operator == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    elif operator == "statement":
        body = node.body  # type: ignore[attr-defined]
        body[choice] = ast.Pass()


def describe(source: str) -> list[Mutant]:
    """The mutants of `source` without building them: one parse, for checking what the
    config's equivalents name (building every mutant re-parses the module once per mutant)."""
    out = []
    for index, (node, operator, description, choice) in enumerate(candidates(ast.parse(source))):
        line = node.body[choice].lineno if operator == "statement" else getattr(node, "lineno", 0)  # type: ignore[attr-defined]
        out.append(Mutant(index, line, operator, description))
    return out


def mutants(source: str) -> list[tuple[Mutant, str]]:
    out = []
    count = sum(1 for _ in candidates(ast.parse(source)))
    for index in range(count):
        tree = ast.parse(source)
        node, operator, description, choice = list(candidates(tree))[index]
        line = getattr(node, "lineno", 0)
        if operator == "statement":
            line = node.body[choice].lineno  # type: ignore[attr-defined]
        apply(node, operator, choice)
        ast.fix_missing_locations(tree)
        out.append((Mutant(index, line, operator, description), ast.unparse(tree)))
    return out


def load_config() -> dict:
    return YAML(typ="safe").load(CONFIG.read_text()) or {}


def equivalent(config: dict, module: str, m: Mutant) -> str | None:
    for e in config.get("equivalent") or []:
        if e["module"] == module and e["line"] == m.line and e["mutation"] == f"{m.operator}: {m.description}":
            return str(e["reason"])
    return None


# Run in a fresh process: plan every stack and list the project's files that are then imported.
_IMPORTS = """
import json, sys
from pathlib import Path
from groundwork.plan import load_stack_config, run_program
root = Path.cwd().resolve()
for stack in sys.argv[1:]:
    run_program(load_stack_config(root, stack))
files = set()
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    p = Path(f).resolve() if f else None
    if p and p.is_relative_to(root) and "venv" not in p.relative_to(root).parts:
        files.add(p.relative_to(root).as_posix())
print(json.dumps(sorted(files)))
"""


def program_imports(root: Path = ROOT, stacks: tuple[str, ...] = ("dev", "staging", "prod")) -> set[str]:
    """The project's files (relative paths) that planning the stacks imports: a mutant of any other
    module cannot change a plan, so its test runs may reuse the plans of the unmutated run."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS, *stacks], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def run_tests(
    tests: list[str], select: str | None, timeout: float, env: dict[str, str] | None = None
) -> tuple[str, float]:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-n", "0", *tests]
    if select:
        cmd += ["-k", select]
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started
    status = {0: "survived", 5: "no tests"}.get(done.returncode, "killed")
    return status, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="path of the module, e.g. components/cache.py")
    parser.add_argument("--limit", type=int, default=0, help="at most N mutants (0: all)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    config = load_config()
    module = args.module
    settings = (config.get("modules") or {}).get(module)
    if settings is None:
        print(f"{module}: not in {CONFIG.relative_to(ROOT)}; add it with the tests that cover it", file=sys.stderr)
        return 2
    path = ROOT / module
    if subprocess.run(["git", "diff", "--quiet", "--", module], cwd=ROOT, check=False).returncode != 0:
        print(f"{module} has uncommitted changes; commit or stash them first", file=sys.stderr)
        return 2
    original = path.read_text()

    def restore(*_: object) -> None:
        path.write_text(original)

    atexit.register(restore)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    tests, select = list(settings["tests"]), settings.get("select")
    env = None
    if module not in program_imports():
        # tests/conftest.py keeps each plan on disk here: recorded by the unmutated run, read by every mutant's
        cache = tempfile.mkdtemp(prefix="groundwork-plans-")
        atexit.register(shutil.rmtree, cache, True)
        env = {**os.environ, "GROUNDWORK_TEST_PLAN_CACHE": cache}
        print(f"{module} is not imported by the program: mutants reuse the unmutated run's plans")
    base, seconds = run_tests(tests, select, timeout=1800, env=env)
    if base != "survived":
        print(f"the tests of {module} do not pass unmutated ({base}); fix them first", file=sys.stderr)
        return 2
    timeout = 3 * seconds + 30
    results = []
    found = mutants(original)
    if args.limit:
        found = found[: args.limit]
    print(
        f"{module}: {len(found)} mutants; tests {' '.join(tests)}{f' -k {select}' if select else ''} ({seconds:.1f} s)"
    )
    for m, source in found:
        reason = equivalent(config, module, m)
        if reason:
            m.status = "equivalent"
        else:
            path.write_text(source)
            try:
                m.status, m.seconds = run_tests(tests, select, timeout, env)
            finally:
                restore()
        results.append(m)
        print(f"  {m.status:<10} line {m.line:>4} {m.operator}: {m.description}", flush=True)
    counted = [m for m in results if m.status != "equivalent"]
    killed = sum(1 for m in counted if m.status in ("killed", "timeout"))
    survivors = [m for m in counted if m.status == "survived"]
    score = 100 * killed / len(counted) if counted else 100.0
    print(
        f"\n{module}: {killed} / {len(counted)} killed ({score:.0f} %), "
        f"{sum(1 for m in counted if m.status == 'timeout')} by timeout, "
        f"{len(results) - len(counted)} equivalent (tools/mutation.yaml)"
    )
    for m in survivors:
        print(f"  survived: line {m.line} {m.operator}: {m.description}")
    if args.json:
        args.json.write_text(
            json.dumps({"module": module, "score": score, "mutants": [asdict(m) for m in results]}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
