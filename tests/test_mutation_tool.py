"""The mutation runner (tools/mutation.py): what it mutates, and that every mutant is valid Python."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import mutation  # noqa: E402

SOURCE = '''
def f(x, items):
    """Docstring, never mutated."""
    if x >= 3 and not items:
        print("edge", end="")
        return True
    return len(items) == 0 and f"{x > 1}"
'''


def test_each_operator_yields_one_valid_mutant_per_decision() -> None:
    found = mutation.mutants(SOURCE)
    described = sorted((m.operator, m.description) for m, _ in found)
    assert described == sorted(
        [
            ("compare", "GtE -> Gt"),
            ("compare", "Eq -> NotEq"),
            ("boolop", "And -> Or"),
            ("boolop", "And -> Or"),
            ("not", "not x -> x"),
            ("number", "3 -> 4"),
            ("number", "0 -> 1"),
            ("keyword", "drop end="),
            ("bool", "True -> False"),
            ("return", "return ... -> return None"),
            ("return", "return ... -> return None"),
            ("statement", "drop the statement at line 5"),
        ]
    )  # nothing inside the f-string, nothing in the docstring
    for _, source in found:
        ast.parse(source)
        assert source != ast.unparse(ast.parse(SOURCE))


def test_equivalent_mutants_are_matched_by_module_line_and_mutation() -> None:
    config = {"equivalent": [{"module": "m.py", "line": 4, "mutation": "number: 3 -> 4", "reason": "why"}]}
    m = mutation.Mutant(0, 4, "number", "3 -> 4")
    assert mutation.equivalent(config, "m.py", m) == "why"
    assert mutation.equivalent(config, "other.py", m) is None
    assert mutation.equivalent(config, "m.py", mutation.Mutant(0, 5, "number", "3 -> 4")) is None


def test_every_configured_module_exists_and_every_equivalent_names_a_real_mutant() -> None:
    config = mutation.load_config()
    for module, settings in config["modules"].items():
        assert (ROOT / module).is_file(), module
        assert all((ROOT / t).is_file() for t in settings["tests"]), module
    named: dict[str, set[tuple[int, str]]] = {}
    for e in config["equivalent"]:
        assert len(e["reason"]) > 40, e
        if e["module"] not in named:
            found = mutation.describe((ROOT / e["module"]).read_text())
            named[e["module"]] = {(m.line, f"{m.operator}: {m.description}") for m in found}
        assert (e["line"], e["mutation"]) in named[e["module"]], e


def test_describe_lists_the_mutants_it_would_build() -> None:
    source = (ROOT / "groundwork" / "subnets.py").read_text()
    assert mutation.describe(source) == [m for m, _ in mutation.mutants(source)]


def test_program_imports_lists_what_planning_imports(tmp_path: Path) -> None:
    """A module the program does not import cannot change a plan: only then may mutants reuse plans."""
    (tmp_path / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (tmp_path / "Pulumi.a.yaml").write_text("config: {}\n")
    (tmp_path / "helper.py").write_text("NAME = 'thing'\n")
    (tmp_path / "pricing.py").write_text("import helper\n")  # imported by the tests only, never by the program
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nimport helper\npulumi.CustomResource('probe:index:Thing', helper.NAME, {})\n"
    )
    found = mutation.program_imports(tmp_path, ("a",))
    assert "helper.py" in found and "pricing.py" not in found


def test_the_plans_of_a_mutation_run_are_kept_on_disk_by_config(tmp_path: Path) -> None:
    from groundwork.plan import Graph, StackConfig
    from tests.conftest import _cached

    runs: list[str] = []

    def run(cfg: StackConfig, *, preview: bool = True) -> Graph:
        runs.append(cfg.config["k"])
        return Graph(project=cfg.project, stack=cfg.stack)

    def cfg(value: str) -> StackConfig:
        return StackConfig(project="p", stack="dev", config={"k": value}, project_dir=tmp_path)

    (tmp_path / "__main__.py").write_text("# program\n")
    first = _cached(run, tmp_path)
    assert first(cfg("a")).stack == "dev" and first(cfg("a")).stack == "dev"
    assert _cached(run, tmp_path)(cfg("a")).project == "p"  # a later process reads what the first recorded
    first(cfg("b"))
    assert runs == ["a", "b"]
    (tmp_path / "__main__.py").write_text("# another program\n")
    first(cfg("a"))
    assert runs == ["a", "b", "a"]
