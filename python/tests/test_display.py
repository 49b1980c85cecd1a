"""Rich display: every public result, model and graph shows itself as HTML in a notebook and has
a readable ``repr`` (not ``<object at 0x...>``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import polars as pl
import pytest

import aluna
from aluna.risk import CoxPH, RecurrentCox

#: Public classes that are plain parts of something else, shown through it.
PARTS = {"aluna.report.Section", "aluna.temporal.Snapshot"}


def public_classes() -> list[type]:
    """The public classes of every public module of aluna (found, not listed, so that new
    modules are checked too)."""
    found: dict[str, type] = {}
    names = [m.name for m in pkgutil.walk_packages(aluna.__path__, "aluna.")]
    for name in names:
        if any(part.startswith("_") for part in name.split(".")[1:]) or name == "aluna.cli":
            continue
        module = importlib.import_module(name)
        for attr, cls in inspect.getmembers(module, inspect.isclass):
            if attr.startswith("_") or not cls.__module__.startswith("aluna"):
                continue
            if issubclass(cls, (BaseException, Warning)):
                continue
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [cls for key, cls in sorted(found.items()) if name_of(cls) not in PARTS]


def name_of(cls: type) -> str:
    public = cls.__module__.split("._")[0]
    return f"{public}.{cls.__qualname__}"


@pytest.mark.parametrize("cls", public_classes(), ids=name_of)
def test_public_classes_display_as_html_with_a_readable_repr(cls):
    assert callable(getattr(cls, "_repr_html_", None)), f"{name_of(cls)} has no _repr_html_"
    assert cls.__repr__ is not object.__repr__, f"{name_of(cls)} keeps object's repr"


def test_the_check_finds_the_main_classes():
    names = {name_of(c) for c in public_classes()}
    assert {"aluna.graph.CaseGraph", "aluna.risk.CoxPH", "aluna.report.NetworkReport"} <= names


def test_case_graph_html_states_its_shape_and_roles():
    data = aluna.datasets.load("case_links")
    g = aluna.CaseGraph.from_edges(
        data.data,
        weight="weight",
        nodes=data.tables["persons"],
        node="person_id",
    )
    shown = g._repr_html_()
    sizes = g.components()["component"].value_counts()["count"]
    assert f"{sizes.len()} (largest {sizes.max()} nodes)" in shown
    roles = g.nodes()["role"].value_counts().sort("role")
    for role, count in roles.iter_rows():
        assert f"{role}: {count:,}" in shown
    assert repr(g) == f"CaseGraph(undirected, {g.number_of_nodes():,} nodes, 1,777 edges)"


def test_fitted_models_show_their_facts_and_summary():
    df = pl.DataFrame(
        {
            "t": [5.0, 8, 3, 9, 2, 7, 6, 4, 10, 1],
            "e": [1, 0, 1, 1, 1, 0, 1, 0, 1, 1],
            "x": [0.5, 1.2, -0.3, 2.0, -1.1, 0.7, 0.1, -0.8, 1.5, -0.2],
        }
    )
    df = pl.concat([df, df.with_columns(x=pl.col("x") * 0.5), df.with_columns(t=pl.col("t") + 1)])
    model = CoxPH()
    assert "not fitted" in model._repr_html_()
    assert repr(model).startswith("CoxPH(ties='efron'")
    model.fit(df, duration="t", event="e", covariates=["x"])
    shown = model._repr_html_()
    assert "<table" in shown
    assert "rows used" in shown
    assert "x" in model.summary["term"].to_list()
    assert "not fitted" in RecurrentCox()._repr_html_()
