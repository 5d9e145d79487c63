"""The pack's read-only View converts a resource's props on first read only (issue 16): a stack
policy gets a View for every resource of the stack and reads few of them."""

from __future__ import annotations

from groundwork_policies.core import View


def test_a_view_converts_on_first_read_and_reads_the_same() -> None:
    props = {"a": {"b": [1, {"c": "x"}]}}
    view = View(props)
    assert view._data is None  # nothing converted yet
    assert view.peek("a.b[1].c") == "x" and view.get("a.b[0]") == 1
    assert view._data is not None and view._props is None  # converted once, the source released
    assert View(None).peek("a") is None and View(None).data == {}
