"""File and path options of the CLI: checked before any work, written whole or not at all.

Every command that takes a path validates it up front (an output's directory exists and the
path is not a directory; an input exists and is a file), so a typo costs nothing and never
ends in a traceback. Outputs are written to a temporary file beside the target and renamed
over it, so a failure never leaves half a JSON, SARIF, estimate or stack file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class FileOptionError(ValueError):
    """A path given on the command line cannot be used; the message says which and why."""


def output_file(path: Path | None, option: str) -> Path | None:
    if path is None:
        return None
    if path.is_dir():
        raise FileOptionError(f"{option} {path}: is a directory; give a file path (a file inside it, say)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileOptionError(f"{option} {path}: the directory {parent} does not exist; create it or give another path")
    if not os.access(parent, os.W_OK):
        raise FileOptionError(f"{option} {path}: the directory {parent} is not writable")
    return path


def output_dir(path: Path, option: str) -> Path:
    if path.exists() and not path.is_dir():
        raise FileOptionError(f"{option} {path}: is a file; give a directory")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise FileOptionError(f"{option} {path}: {probe} is a file, so the directory cannot be created")
    if not os.access(probe, os.W_OK):
        raise FileOptionError(f"{option} {path}: {probe} is not writable")
    return path


def input_file(path: Path | None, option: str, what: str) -> Path | None:
    if path is None:
        return None
    if path.is_dir():
        raise FileOptionError(f"{option} {path}: is a directory, not {what}")
    if not path.is_file():
        raise FileOptionError(f"{option} {path}: no such file ({what})")
    return path


def read_json(path: Path, option: str, what: str) -> Any:
    input_file(path, option, what)
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileOptionError(f"{option} {path}: not JSON ({what}): {exc}") from None


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` whole: a temporary file in the same directory, renamed over it."""
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def yaml_problem(exc: Exception) -> str:
    """A PyYAML error as `line L, column C: what` (PyYAML names a string source `<unicode string>`)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    around = f" ({context} at line {context_mark.line + 1})" if context and context_mark else ""
    return f"{where}{problem}{around}"
