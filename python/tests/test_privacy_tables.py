"""Published tables: small-cell suppression (checked by solving the totals' linear constraints
and by brute force) and noisy counts (budget equal to OpenDP's accounting)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import opendp.prelude as dp
import polars as pl
import pytest
from scipy.optimize import linprog

from aluna.exceptions import ArgumentError, BadValueError, ColumnError, DisclosureWarning
from aluna.privacy import noisy_counts, suppress_small_cells

dp.enable_features("contrib")


def table(counts: np.ndarray) -> tuple[pl.DataFrame, list[str]]:
    columns = [f"c{j}" for j in range(counts.shape[1])]
    frame = pl.DataFrame({c: counts[:, j] for j, c in enumerate(columns)}).insert_column(
        0, pl.Series("label", [f"r{i}" for i in range(counts.shape[0])])
    )
    return frame, columns


def hidden_mask(result, columns: list[str], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for row, column in result.audit.select("row", "column").iter_rows():
        mask[row, columns.index(column)] = True
    return mask


def feasible_range(counts: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Min and max of each hidden cell given the published cells and all row and column
    totals (non-negative reals), by linear programming."""
    cells = list(zip(*np.nonzero(mask), strict=True))
    rows, cols = counts.shape
    a_eq, b_eq = [], []
    for i in range(rows):
        a_eq.append([1.0 if r == i else 0.0 for r, _ in cells])
        b_eq.append(counts[i].sum() - counts[i][~mask[i]].sum())
    if rows > 1:
        for j in range(cols):
            a_eq.append([1.0 if c == j else 0.0 for _, c in cells])
            b_eq.append(counts[:, j].sum() - counts[:, j][~mask[:, j]].sum())
    ranges = []
    for k in range(len(cells)):
        objective = np.zeros(len(cells))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0
        assert high.status == 0
        ranges.append((low.fun, -high.fun))
    return ranges


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_cell_is_determined_by_the_totals(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 7)), int(rng.integers(2, 6)))
    counts = rng.integers(0, 60, shape)
    counts[rng.random(shape) < 0.2] = rng.integers(1, 10)
    frame, columns = table(counts)
    result = suppress_small_cells(frame, columns, threshold=10)
    mask = hidden_mask(result, columns, shape)
    primary = (counts > 0) & (counts < 10)
    assert (mask >= primary).all()
    assert result.n_primary == primary.sum()
    for low, high in feasible_range(counts, mask):
        assert high - low >= 1 - 1e-9
    published = result.table.select(columns).to_numpy()
    assert np.array_equal(np.isnan(published.astype(float)), mask)


def test_brute_force_on_a_small_table():
    """Every integer table consistent with the published cells and totals, enumerated: each
    hidden cell takes at least two values."""
    counts = np.array([[3, 12, 4], [11, 20, 13]])
    frame, columns = table(counts)
    result = suppress_small_cells(frame, columns, threshold=10)
    mask = hidden_mask(result, columns, counts.shape)
    cells = list(zip(*np.nonzero(mask), strict=True))
    assert 2 < len(cells) <= 4
    row_totals, col_totals = counts.sum(1), counts.sum(0)
    bounds = [range(min(row_totals[i], col_totals[j]) + 1) for i, j in cells]
    seen: dict[tuple[int, int], set[int]] = {cell: set() for cell in cells}
    for values in itertools.product(*bounds):
        trial = counts.copy()
        for (i, j), v in zip(cells, values, strict=True):
            trial[i, j] = v
        if (trial.sum(1) == row_totals).all() and (trial.sum(0) == col_totals).all():
            for cell, v in zip(cells, values, strict=True):
                seen[cell].add(v)
    assert all(len(v) >= 2 for v in seen.values()), seen
    assert all(counts[cell] in v for cell, v in seen.items())


def test_audit_says_why():
    frame = pl.DataFrame(
        {"region": ["north", "south"], "fraud": [3, 20], "theft": [40, 30], "assault": [50, 60]}
    )
    result = suppress_small_cells(frame, ["fraud", "theft", "assault"])
    assert result.audit.columns == ["row", "region", "column", "suppression", "reason"]
    primary = result.audit.filter(pl.col("suppression") == "primary").row(0, named=True)
    assert primary == {
        "row": 0,
        "region": "north",
        "column": "fraud",
        "suppression": "primary",
        "reason": "count below the threshold of 10",
    }
    secondary = result.audit.filter(pl.col("suppression") == "secondary")
    assert secondary.height == 3
    assert all("protects row 0, column 'fraud'" in r for r in secondary["reason"])
    assert "3 primary" not in repr(result)
    assert result.n_secondary == 3


def test_one_dimensional_tables_get_a_partner():
    frame = pl.DataFrame({"group": ["a", "b", "c"], "n": [4, 25, 17]})
    result = suppress_small_cells(frame, "n")
    assert result.table["n"].to_list() == [None, 25, None]
    with pytest.warns(DisclosureWarning, match="cannot be protected"):
        lone = suppress_small_cells(pl.DataFrame({"n": [4]}), "n")
    assert lone.unprotected == ((0, "n"),)


def test_zeros_and_no_secondary():
    frame = pl.DataFrame({"a": [0, 20], "b": [30, 40]})
    assert suppress_small_cells(frame, ["a", "b"]).audit.height == 0
    zeros = suppress_small_cells(frame, ["a", "b"], suppress_zeros=True)
    assert zeros.n_primary == 1
    assert zeros.n_secondary == 3
    only = suppress_small_cells(
        pl.DataFrame({"a": [3, 20], "b": [30, 40]}), ["a", "b"], secondary=False
    )
    assert only.n_secondary == 0


def test_bad_tables():
    with pytest.raises(ColumnError, match="column `x`: expected integer counts, found Float64"):
        suppress_small_cells(pl.DataFrame({"x": [1.0]}), "x")
    with pytest.raises(BadValueError, match="row 1"):
        suppress_small_cells(pl.DataFrame({"x": [1, -2]}), "x")
    with pytest.raises(BadValueError, match="null"):
        suppress_small_cells(pl.DataFrame({"x": [1, None]}), "x")
    with pytest.raises(ArgumentError, match="threshold"):
        suppress_small_cells(pl.DataFrame({"x": [1]}), "x", threshold=0)
    with pytest.raises(ColumnError, match="`y` not found"):
        suppress_small_cells(pl.DataFrame({"x": [1]}), "y")


# ---------------------------------------------------------------------------- noisy counts


@pytest.mark.parametrize("epsilon", [0.05, 0.3, 1.0, 4.0])
@pytest.mark.parametrize("cells", [1, 3])
def test_laplace_budget_equals_opendp(epsilon, cells):
    counts = pl.DataFrame({"n": [100, 20, 3]})
    result = noisy_counts(counts, epsilon, cells_per_person=cells)
    meas = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=result.scale
    )
    assert result.epsilon == pytest.approx(meas.map(cells), rel=1e-12)
    assert result.epsilon <= epsilon
    assert result.epsilon == pytest.approx(epsilon, rel=1e-5)
    assert result.delta == 0.0
    assert result.rho is None
    assert result.private


@pytest.mark.parametrize("epsilon", [0.1, 0.5, 1.0, 3.0])
@pytest.mark.parametrize(("cells", "delta"), [(1, 1e-6), (4, 1e-9), (9, 1e-5)])
def test_discrete_gaussian_budget_equals_opendp(epsilon, cells, delta):
    counts = pl.DataFrame({"n": [100, 20, 3]})
    result = noisy_counts(
        counts, epsilon, mechanism="discrete_gaussian", delta=delta, cells_per_person=cells
    )
    sensitivity = math.isqrt(cells)
    assert result.sensitivity == sensitivity
    meas = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=result.scale
    )
    assert result.rho == pytest.approx(meas.map(sensitivity), rel=1e-12)
    opendp_epsilon = dp.c.make_zCDP_to_approxDP(meas).map(sensitivity).epsilon(delta)
    assert result.epsilon == pytest.approx(opendp_epsilon, rel=1e-9)
    assert result.epsilon <= epsilon
    assert result.epsilon == pytest.approx(epsilon, rel=1e-3)
    assert result.delta == delta


def test_seeded_noise_is_reproducible_and_marked_not_private():
    counts = pl.DataFrame({"region": ["a", "b"], "n": [120, 45], "m": [7, 0]})
    a = noisy_counts(counts, 0.5, seed=3)
    b = noisy_counts(counts, 0.5, seed=3)
    assert a.table.equals(b.table)
    assert not a.private
    assert "NOT PRIVATE" in repr(a)
    assert "NOT PRIVATE" in a._repr_html_()
    assert a.budget["private"].to_list() == [False]
    assert a.table["region"].to_list() == ["a", "b"]
    clipped = noisy_counts(counts, 0.01, seed=3, non_negative=True)
    assert clipped.table["m"].min() >= 0


def test_os_noise_varies_and_has_the_right_spread():
    counts = pl.DataFrame({"n": [1000] * 4000})
    first = noisy_counts(counts, 0.5)
    second = noisy_counts(counts, 0.5)
    assert not first.table.equals(second.table)
    noise = first.table["n"].to_numpy() - 1000
    # Discrete Laplace with scale b: variance 2 q / (1 - q)^2, q = exp(-1 / b).
    q = math.exp(-1 / first.scale)
    variance = 2 * q / (1 - q) ** 2
    assert abs(noise.mean()) < 5 * math.sqrt(variance / noise.size)
    assert noise.var() == pytest.approx(variance, rel=0.15)


def test_seeded_gaussian_has_the_right_spread():
    counts = pl.DataFrame({"n": [0] * 20_000})
    result = noisy_counts(counts, 1.0, mechanism="discrete_gaussian", seed=9)
    noise = result.table["n"].to_numpy()
    assert noise.var() == pytest.approx(result.scale**2, rel=0.05)


def test_bad_noise_arguments():
    counts = pl.DataFrame({"n": [1]})
    with pytest.raises(ArgumentError, match="epsilon"):
        noisy_counts(counts, 0.0)
    with pytest.raises(ArgumentError, match="mechanism"):
        noisy_counts(counts, 1.0, mechanism="gaussian")
    with pytest.raises(ArgumentError, match="delta"):
        noisy_counts(counts, 1.0, delta=1e-6)
    with pytest.raises(ArgumentError, match="delta"):
        noisy_counts(counts, 1.0, mechanism="discrete_gaussian", delta=1.5)
    with pytest.raises(ArgumentError, match="cells_per_person"):
        noisy_counts(counts, 1.0, cells_per_person=0)
    with pytest.raises(ColumnError, match="no integer columns"):
        noisy_counts(pl.DataFrame({"x": ["a"]}), 1.0)
