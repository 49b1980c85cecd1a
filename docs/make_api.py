"""Write aluna's API reference, as Markdown, from its docstrings.

    python docs/make_api.py [--out docs/api]      (or: make docs)

One page per public module (``aluna``, ``aluna.graph``, ``aluna.risk`` ...: every module whose
name has no leading underscore, found by walking the package, so new modules are documented
without editing this script), listing each public function and class with its signature and
its numpydoc docstring turned into Markdown: sections become bold headings, parameters a list,
``>>>`` examples fenced code, references a numbered list. A module's public names are its
``__all__`` when it has one, else what it defines without a leading underscore.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SKIP = {"aluna.cli"}  # the command line is documented by `aluna --help` and the guide
#: numpydoc sections whose entries are ``name : type`` lines with indented descriptions.
ITEM_SECTIONS = {
    "Parameters",
    "Other Parameters",
    "Returns",
    "Yields",
    "Raises",
    "Warns",
    "Attributes",
    "See Also",
}
ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|obj|exc|py:\w+):`~?([^`]+)`")


def public_modules() -> list[str]:
    """``aluna`` and its public submodules, in a stable order."""
    import aluna

    names = ["aluna"]
    for info in pkgutil.walk_packages(aluna.__path__, "aluna."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") for p in parts) or info.name in SKIP:
            continue
        names.append(info.name)
    return sorted(names, key=lambda n: (n != "aluna", n))


def public_names(module: Any) -> list[str]:
    """The public names of ``module``: ``__all__``, else those it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    out = []
    for name, obj in vars(module).items():
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        home = getattr(obj, "__module__", None)
        if home is not None and home.split("._")[0] != module.__name__:
            continue  # imported from elsewhere
        if home is None and not name.isupper():
            continue  # an imported value, not a documented constant
        out.append(name)
    return out


def inline(text: str) -> str:
    """Sphinx roles and reST literals as Markdown code."""
    text = ROLE.sub(lambda m: f"`{m.group(1)}`", text)
    text = re.sub(r":math:`([^`]+)`", r"$\1$", text)
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _sections(lines: list[str]) -> Iterable[tuple[str | None, list[str]]]:
    """Split a docstring into (section title or None, lines)."""
    title: str | None = None
    body: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line.strip()
            and not line.startswith(" ")
            and re.fullmatch(r"-{3,}", nxt.strip())
            and len(nxt.strip()) == len(line.strip())
        ):
            yield title, body
            title, body = line.strip(), []
            i += 2
            continue
        body.append(line)
        i += 1
    yield title, body


def _items(lines: list[str]) -> list[str]:
    """``name : type`` entries with indented descriptions, as a Markdown list."""
    out: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        if not line.startswith(" "):
            name, _, kind = line.partition(" : ")
            names = ", ".join(f"`{n.strip()}`" for n in name.split(","))
            out.append(f"- {names}" + (f" ({kind.strip()})" if kind else "") + ":")
        elif out:
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return [inline(o[:-1] if o.endswith(":") else o) for o in out]


def _examples(lines: list[str]) -> list[str]:
    """Prose stays prose; ``>>>`` sessions (with their output) become fenced code."""
    out: list[str] = []
    code = False
    for line in lines:
        starts = line.lstrip().startswith((">>>", "..."))
        if starts and not code:
            out.append("```python")
            code = True
        if code and not line.strip():
            out.append("```")
            out.append("")
            code = False
            continue
        out.append(line)
    if code:
        out.append("```")
    return out


def _references(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        m = re.match(r"\s*\.\. \[(\w+)\]\s*(.*)", line)
        if m:
            out.append(f"{len(out) + 1}. {m.group(2)}")
        elif line.strip() and out:
            out[-1] += " " + line.strip()
        elif line.strip():
            out.append(line.strip())
    return [inline(o) for o in out]


def _prose(lines: list[str]) -> list[str]:
    """Paragraphs, lists and ``.. math::`` blocks."""
    out: list[str] = []
    math = False
    for line in lines:
        if line.strip().startswith(".. math::"):
            rest = line.strip()[len(".. math::") :].strip()
            out.append("$$")
            if rest:
                out.append(rest)
            math = True
            continue
        if math:
            if line.strip() and line.startswith(" "):
                out.append(line.strip())
                continue
            out.append("$$")
            math = False
        out.append(line)
    if math:
        out.append("$$")
    return inline("\n".join(out)).split("\n")


def docstring_markdown(doc: str | None) -> str:
    """A numpydoc docstring as Markdown."""
    if not doc:
        return "*(no docstring)*\n"
    lines = inspect.cleandoc(doc).splitlines()
    out: list[str] = []
    for title, body in _sections(lines):
        if title is not None:
            out += ["", f"**{title}**", ""]
        if title in ITEM_SECTIONS:
            out += _items(body)
        elif title in ("Examples", "Example"):
            out += _examples(body)
        elif title == "References":
            out += _references(body)
        else:
            out += _prose(body)
    text = "\n".join(out).strip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def _annotation(ann: Any) -> str:
    return ann if isinstance(ann, str) else inspect.formatannotation(ann)


def signature(name: str, obj: Any) -> str:
    """``name(params) -> return``, with annotations as written in the source."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    parts: list[str] = []
    star = False
    params = list(sig.parameters.values())
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
        star = star or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        text = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        if p.annotation is not p.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            text += f" = {p.default!r}" if p.annotation is not p.empty else f"={p.default!r}"
        parts.append(text)
        last_positional = i + 1 == len(params) or params[i + 1].kind is not p.POSITIONAL_ONLY
        if p.kind is p.POSITIONAL_ONLY and last_positional:
            parts.append("/")
    ret = ""
    if sig.return_annotation is not sig.empty and sig.return_annotation != "None":
        ret = f" -> {_annotation(sig.return_annotation)}"
    return f"{name}({', '.join(parts)}){ret}"


def _constructible(cls: type) -> bool:
    """Whether ``cls`` is made by calling it (not only by its ``from_...`` constructors, whose
    ``__init__`` takes ``*_args, **_kwargs`` to refuse direct use)."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(p.name.startswith("_") for p in params)


def _members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties of ``cls``, its own and those it inherits from aluna's
    classes (a private base such as ``_Estimator`` documents nowhere else), not builtins'."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is not cls and not klass.__module__.startswith("aluna"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if inspect.isfunction(member) or isinstance(member, (property, cached_property)):
                found[name] = member
    return sorted(found.items())


def document(qualname: str, name: str, obj: Any) -> list[str]:
    """The Markdown of one public object."""
    anchor = qualname.replace(".", "-").lower()
    if inspect.isclass(obj):
        out = [
            f'### class `{name}` <a id="{anchor}"></a>',
            "",
            "```python",
            f"class {signature(name, obj) if _constructible(obj) else name}",
            "```",
            "",
            docstring_markdown(obj.__doc__),
        ]
        for member_name, member in _members(obj):
            if isinstance(member, (property, cached_property)):
                head = f"#### property `{name}.{member_name}`"
                code = None
            else:
                head = f"#### `{name}.{member_name}`"
                code = signature(member_name, member)
            out += [head, ""]
            if code:
                out += ["```python", code, "```", ""]
            out.append(docstring_markdown(getattr(member, "__doc__", None)))
        return out
    if callable(obj):
        return [
            f'### `{name}` <a id="{anchor}"></a>',
            "",
            "```python",
            signature(name, obj),
            "```",
            "",
            docstring_markdown(obj.__doc__),
        ]
    shown = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(obj))  # no memory addresses: stable output
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return [f"### `{name}`", "", "```python", f"{name} = {shown}", "```", ""]


def module_page(module_name: str, documented: Iterable[str] = ()) -> str:
    """One module's page; objects re-exported from another documented module link there."""
    module = importlib.import_module(module_name)
    out = [f"# `{module_name}`", "", docstring_markdown(module.__doc__)]
    for name in public_names(module):
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            out += [f"### module `{name}`", "", f"See [{obj.__name__}]({obj.__name__}.md).", ""]
            continue
        home = getattr(obj, "__module__", None)
        home = home.split("._")[0] if isinstance(home, str) else None
        if (
            home
            and home != module_name
            and home in documented
            and name in public_names(importlib.import_module(home))
        ):
            anchor = f"{home}.{name}".replace(".", "-").lower()
            out += [f"### `{name}`", "", f"See [`{home}.{name}`]({home}.md#{anchor}).", ""]
            continue
        out += document(f"{module_name}.{name}", name, obj)
    return "\n".join(out).rstrip() + "\n"


def index_page(modules: list[str]) -> str:
    import aluna

    rows = []
    for name in modules:
        doc = inspect.getdoc(importlib.import_module(name)) or ""
        first = inline(doc.split("\n\n")[0].replace("\n", " ")) if doc else ""
        rows.append(f"| [`{name}`]({name}.md) | {first} |")
    return "\n".join(
        [
            "# aluna API reference",
            "",
            f"Generated from the docstrings of aluna {aluna.__version__} by "
            "`docs/make_api.py` (`make docs`); do not edit by hand. The user guide is in "
            "[`docs/guide/`](../guide/README.md).",
            "",
            "| Module | |",
            "|---|---|",
            *rows,
            "",
        ]
    )


def write(out: Path) -> list[Path]:
    """Write the reference into ``out`` (stale pages of removed modules are deleted)."""
    out.mkdir(parents=True, exist_ok=True)
    modules = public_modules()
    written = [out / "README.md"]
    written[0].write_text(index_page(modules), encoding="utf-8")
    for name in modules:
        path = out / f"{name}.md"
        path.write_text(module_page(name, modules), encoding="utf-8")
        written.append(path)
    for stale in set(out.glob("*.md")) - set(written):
        stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "api"), help="folder (default: docs/api)")
    args = parser.parse_args(argv)
    written = write(Path(args.out))
    print(f"wrote {len(written)} pages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
