"""The API reference generator (``docs/make_api.py``, ``make docs``) documents every public
module, class and function of aluna, in Markdown whose links resolve."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def make_api():
    spec = importlib.util.spec_from_file_location("make_api", DOCS / "make_api.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference(make_api, tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    make_api.write(out)
    return out


def test_every_public_module_has_a_page(make_api, reference):
    modules = make_api.public_modules()
    assert {"aluna", "aluna.graph", "aluna.risk", "aluna.report", "aluna.privacy"} <= set(modules)
    assert not [m for m in modules if "._" in m]
    pages = {p.stem for p in reference.glob("*.md")}
    assert pages == {*modules, "README"}
    index = (reference / "README.md").read_text()
    for module in modules:
        assert f"]({module}.md)" in index


def test_every_public_name_is_documented(make_api, reference):
    for module_name in make_api.public_modules():
        page = (reference / f"{module_name}.md").read_text()
        module = importlib.import_module(module_name)
        for name in make_api.public_names(module):
            assert re.search(rf"^### (class |module )?`{re.escape(name)}`", page, re.M), (
                f"{module_name}.{name} missing"
            )


def test_numpydoc_becomes_markdown(reference):
    page = (reference / "aluna.risk.md").read_text()
    section = page[page.index("### class `CoxPH`") :]
    section = section[: section.index("\n### ", 10)]
    assert "class CoxPH(*, ties: Literal['efron', 'breslow'] = 'efron'" in section
    assert "**Parameters**" in section
    assert '- `ties`: `"efron"` or `"breslow"`.' in section
    assert "**References**\n\n1. Cox, D. R. (1972)" in section
    assert "```python\n>>> import polars as pl\n" in section
    for path in reference.glob("*.md"):
        text = path.read_text()
        assert not re.search(r"^\s*-{3,}\s*$", text, re.M), f"{path.name}: a reST underline"
        assert text.count("```") % 2 == 0, f"{path.name}: unbalanced code fences"
        assert not re.search(r" at 0x[0-9a-fA-F]+", text), f"{path.name}: a memory address"
        assert ":func:`" not in text, path.name
        assert ":class:`" not in text, path.name


def test_links_between_pages_resolve(reference):
    anchors = {
        p.name: set(re.findall(r'<a id="([^"]+)"></a>', p.read_text()))
        for p in reference.glob("*.md")
    }
    links = 0
    for path in reference.glob("*.md"):
        for target, anchor in re.findall(
            r"\]\((aluna[\w.]*\.md)(?:#([\w-]+))?\)", path.read_text()
        ):
            links += 1
            assert target in anchors, f"{path.name} -> {target}"
            if anchor:
                assert anchor in anchors[target], f"{path.name} -> {target}#{anchor}"
    assert links > 20


def test_the_committed_reference_exists():
    """``docs/api`` is committed for readers; ``make docs`` regenerates it."""
    assert (DOCS / "api" / "README.md").is_file()
    assert (DOCS / "api" / "aluna.graph.md").is_file()
