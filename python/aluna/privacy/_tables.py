"""Safe tables of counts: small-cell suppression and differentially private noise."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from aluna import _native
from aluna._interop import to_polars
from aluna.exceptions import ArgumentError, ColumnError, DisclosureWarning
from aluna.privacy._frames import column_list, frame, html_facts, html_table, require_columns

__all__ = ["NoisyCounts", "SuppressedTable", "noisy_counts", "suppress_small_cells"]


def _count_columns(data: pl.DataFrame, count_columns: str | Iterable[str] | None) -> list[str]:
    if count_columns is None:
        names = [c for c in data.columns if data[c].dtype.is_integer()]
        if not names:
            raise ColumnError(
                f"the table has no integer columns to treat as counts; it has: "
                f"{', '.join(data.columns)}"
            )
        return names
    names = column_list(count_columns, what="count_columns")
    require_columns(data, names, what="count_columns")
    return names


@dataclass(frozen=True, repr=False)
class SuppressedTable:
    """A table of counts with small cells suppressed, and the audit of what was hidden and why.

    Attributes
    ----------
    table
        The input table with hidden counts set to null (count columns as ``Int64``).
    audit
        One row per hidden cell: ``row`` (0-based), the table's label columns, ``column``,
        ``suppression`` (``"primary"`` or ``"secondary"``) and ``reason``. The audit is for
        the data steward: it says where the small cells are, so do not publish it.
    threshold
        Counts in ``1..threshold-1`` were hidden.
    unprotected
        ``(row, column)`` of hidden cells that the totals still reveal (a table with a
        single cell in a row and column, say); publish no totals for them.
    """

    table: pl.DataFrame
    audit: pl.DataFrame
    threshold: int
    unprotected: tuple[tuple[int, str], ...]

    @property
    def n_primary(self) -> int:
        """Cells hidden because they are small."""
        return int((self.audit["suppression"] == "primary").sum())

    @property
    def n_secondary(self) -> int:
        """Cells hidden so that the small ones cannot be recovered from totals."""
        return int((self.audit["suppression"] == "secondary").sum())

    def __repr__(self) -> str:
        return (
            f"SuppressedTable({self.table.height} rows, threshold {self.threshold}: "
            f"{self.n_primary} primary, {self.n_secondary} secondary cells hidden)"
        )

    def _repr_html_(self) -> str:
        facts = {
            "threshold": self.threshold,
            "primary": self.n_primary,
            "secondary": self.n_secondary,
        }
        return html_facts("Small cells suppressed", facts) + html_table(self.table)


def suppress_small_cells(
    table: Any,
    count_columns: str | Iterable[str],
    threshold: int = 10,
    *,
    secondary: bool = True,
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Hide counts below ``threshold``, and enough others that totals do not reveal them.

    The count columns of ``table`` are the columns of a two-dimensional table whose rows are
    ``table``'s rows (the other columns label them). **Primary suppression** hides every
    count in ``1..threshold-1`` (and zeros with ``suppress_zeros``). If row and column totals
    are published, a lone hidden cell in a row is its total minus the others, so
    **secondary suppression** hides more: a hidden cell can be recovered from the totals
    exactly when it lies on no cycle of hidden cells (row, column, row, ...); each such cell is
    put on a cycle through the cheapest published cells (cost: their counts; zeros only when
    nothing else works), until none is left [1]_. With one count column (or one row) there is
    a single total, and a lone hidden cell gets the smallest other positive cell as partner.
    A long table of several dimensions is protected one two-dimensional table at a time:
    pivot it first.

    Parameters
    ----------
    table
        One row per row of the published table.
    count_columns
        The columns holding counts (non-negative integers, no nulls).
    threshold
        The smallest count that may be published.
    secondary
        Protect against published totals. Turn it off only if no totals are published.
    suppress_zeros
        Hide zeros too (a zero discloses that nobody in a group has an attribute).

    Returns
    -------
    SuppressedTable

    Raises
    ------
    ColumnError
        A count column is missing or does not hold integers.
    BadValueError
        A null or negative count (the message names the row).

    Warns
    -----
    DisclosureWarning
        Some hidden cell is still revealed by the totals; the audit names it.

    References
    ----------
    .. [1] Cox, L. H. (1980). Suppression methodology and statistical disclosure control.
       Journal of the American Statistical Association 75(370), 377-385.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import suppress_small_cells
    >>> t = pl.DataFrame({"region": ["north", "south"], "fraud": [3, 20], "theft": [40, 30],
    ...                   "assault": [50, 60]})
    >>> result = suppress_small_cells(t, ["fraud", "theft", "assault"])
    >>> result.table.rows()
    [('north', None, None, 50), ('south', None, None, 60)]
    >>> for row in result.audit.select("row", "column", "suppression").rows():
    ...     print(row)
    (0, 'fraud', 'primary')
    (0, 'theft', 'secondary')
    (1, 'fraud', 'secondary')
    (1, 'theft', 'secondary')
    """
    data = frame(table, what="suppress_small_cells")
    counts = _count_columns(data, count_columns)
    if not isinstance(threshold, int) or threshold < 1:
        raise ArgumentError(f"argument `threshold`: must be a positive integer, got {threshold}")
    hidden, unprotected = _native.suppress_small_cells(
        data.select(counts),
        counts,
        threshold=threshold,
        suppress_zeros=suppress_zeros,
        secondary=secondary,
    )
    labels = [c for c in data.columns if c not in counts]
    records = []
    for row, col, kind, prow, pcol in hidden:
        if kind == "primary":
            value = data[counts[col]][row]
            reason = (
                "zero count (zeros suppressed)"
                if value == 0
                else f"count below the threshold of {threshold}"
            )
        else:
            reason = f"protects row {prow}, column {counts[pcol]!r} from recovery via the totals"
        records.append({"row": row, "column": counts[col], "suppression": kind, "reason": reason})
    audit = pl.DataFrame(
        records,
        schema={
            "row": pl.Int64,
            "column": pl.String,
            "suppression": pl.String,
            "reason": pl.String,
        },
    ).sort("row", "column", maintain_order=True)
    if labels:
        label_values = (
            data.select(labels).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
        )
        audit = audit.join(label_values, on="row", how="left").select(
            "row", *labels, "column", "suppression", "reason"
        )
    masks = {c: [False] * data.height for c in counts}
    for row, col, *_ in hidden:
        masks[counts[col]][row] = True
    out = data.with_columns(
        pl.when(pl.Series(masks[c])).then(None).otherwise(pl.col(c).cast(pl.Int64)).alias(c)
        for c in counts
    )
    unprotected_cells = tuple((int(r), counts[c]) for r, c in unprotected)
    if unprotected_cells:
        warnings.warn(
            DisclosureWarning(
                f"suppress_small_cells: the cells {list(unprotected_cells)} cannot be protected "
                "against the totals (no other cell in their row or column to hide); do not "
                "publish those totals, or merge categories"
            ),
            stacklevel=2,
        )
    return SuppressedTable(
        table=out, audit=audit, threshold=threshold, unprotected=unprotected_cells
    )


@dataclass(frozen=True, repr=False)
class NoisyCounts:
    """Counts with differentially private noise, and the privacy budget they spent.

    Attributes
    ----------
    table
        The input table with noisy counts (``Int64``).
    mechanism
        ``"laplace"`` or ``"discrete_gaussian"``.
    epsilon, delta
        The ``(ε, δ)`` spent (``δ = 0`` for Laplace); never more than asked.
    rho
        The zero-concentrated budget ``ρ`` spent by the discrete Gaussian (``None`` for
        Laplace).
    scale
        The noise scale: ``b`` for Laplace, ``σ`` for the discrete Gaussian.
    sensitivity
        The L1 (Laplace) or L2 (Gaussian) sensitivity the scale was set for.
    private
        ``False`` when ``seed`` was given: such output is reproducible and **not private**.
    """

    table: pl.DataFrame
    mechanism: str
    epsilon: float
    delta: float
    rho: float | None
    scale: float
    sensitivity: float
    cells_per_person: int
    private: bool

    @property
    def budget(self) -> pl.DataFrame:
        """The privacy budget spent, as a one-row table."""
        return pl.DataFrame(
            {
                "mechanism": [self.mechanism],
                "epsilon": [self.epsilon],
                "delta": [self.delta],
                "rho": [self.rho],
                "scale": [self.scale],
                "sensitivity": [self.sensitivity],
                "cells_per_person": [self.cells_per_person],
                "private": [self.private],
            },
            schema_overrides={"rho": pl.Float64},
        )

    summary = budget

    def __repr__(self) -> str:
        note = "" if self.private else ", NOT PRIVATE: seeded noise"
        return (
            f"NoisyCounts({self.mechanism}, epsilon={self.epsilon:.4g}, delta={self.delta:.3g}, "
            f"scale={self.scale:.4g}{note})"
        )

    def _repr_html_(self) -> str:
        facts: dict[str, object] = {
            "mechanism": self.mechanism,
            "epsilon": self.epsilon,
            "delta": self.delta,
            "scale": self.scale,
        }
        if not self.private:
            facts["WARNING"] = "seeded noise: NOT PRIVATE (for tests only)"
        return html_facts("Noisy counts", facts) + html_table(self.table)


def noisy_counts(
    table: Any,
    epsilon: float,
    *,
    count_columns: str | Iterable[str] | None = None,
    mechanism: Literal["laplace", "discrete_gaussian"] = "laplace",
    delta: float | None = None,
    cells_per_person: int = 1,
    seed: int | None = None,
    non_negative: bool = False,
) -> NoisyCounts:
    r"""Add differentially private noise to counts and report the privacy budget spent.

    If one person appears in at most ``cells_per_person`` cells, by at most 1 each, the
    counts together have L1 sensitivity :math:`\Delta_1 = m` and L2 sensitivity
    :math:`\Delta_2 = \sqrt m`. **Laplace**: discrete Laplace noise (probability of :math:`x`
    proportional to :math:`e^{-|x|/b}`) with :math:`b = \Delta_1/\varepsilon` is
    :math:`\varepsilon`-differentially private [1]_. **Discrete Gaussian**: noise with
    probability proportional to :math:`e^{-x^2/2\sigma^2}` is :math:`\rho`-zCDP with
    :math:`\rho = \Delta_2^2 / 2\sigma^2` [2]_ [3]_, hence :math:`(\varepsilon, \delta)`-DP with
    :math:`\varepsilon = \min_{\alpha>1} \alpha\rho + (\ln(1/\delta) + (\alpha-1)\ln(1-1/\alpha)
    - \ln\alpha)/(\alpha-1)` ([2]_, Corollary 13); :math:`\sigma` is the smallest that spends at
    most the given :math:`\varepsilon`. These are OpenDP's accountings for the same mechanisms.
    Scales are rounded up to dyadic rationals so that the samplers are exact ([2]_,
    Algorithms 1-3); the budget reported is the one spent at the rounded scale.

    The noise comes from the operating system's randomness. ``seed`` is for tests only: the
    output is then reproducible and **not private**, and says so.

    Parameters
    ----------
    table
        A table of counts.
    epsilon
        The privacy loss to spend.
    count_columns
        The count columns (default: every integer column).
    mechanism
        ``"laplace"`` (pure DP) or ``"discrete_gaussian"`` (zCDP / approximate DP).
    delta
        For the discrete Gaussian: the :math:`\delta` of the :math:`(\varepsilon, \delta)`
        guarantee (default 1e-6). Not used by Laplace.
    cells_per_person
        How many cells one person can appear in (by at most 1 each).
    seed
        Reproducible noise for tests; the result is then not private.
    non_negative
        Clamp noisy counts at 0 (post-processing: costs no privacy, but biases sums upward).

    Returns
    -------
    NoisyCounts

    References
    ----------
    .. [1] Ghosh, A., Roughgarden, T. & Sundararajan, M. (2012). Universally
       utility-maximizing privacy mechanisms. SIAM Journal on Computing 41(6), 1673-1693.
       https://doi.org/10.1137/09076828X
    .. [2] Canonne, C. L., Kamath, G. & Steinke, T. (2020). The discrete Gaussian for
       differential privacy. NeurIPS 33. https://arxiv.org/abs/2004.00010
    .. [3] Bun, M. & Steinke, T. (2016). Concentrated differential privacy: simplifications,
       extensions, and lower bounds. TCC 2016-B. https://arxiv.org/abs/1605.02065

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import noisy_counts
    >>> t = pl.DataFrame({"region": ["north", "south"], "cases": [120, 45]})
    >>> result = noisy_counts(t, 0.5, seed=1)
    >>> result.epsilon, result.scale, result.private
    (0.5, 2.0, False)
    >>> result.table["region"].to_list()
    ['north', 'south']
    """
    data = frame(table, what="noisy_counts")
    counts = _count_columns(data, count_columns)
    if mechanism not in ("laplace", "discrete_gaussian"):
        raise ArgumentError(
            f'argument `mechanism`: expected "laplace" or "discrete_gaussian", got {mechanism!r}'
        )
    if cells_per_person < 1:
        raise ArgumentError(
            f"argument `cells_per_person`: must be at least 1, got {cells_per_person}"
        )
    noisy, budget = _native.noisy_counts(
        data.select(counts),
        counts,
        float(epsilon),
        mechanism=mechanism,
        delta=delta,
        cells_per_person=cells_per_person,
        seed=seed,
    )
    noisy_frame = to_polars(noisy)
    if non_negative:
        noisy_frame = noisy_frame.with_columns(pl.col(c).clip(lower_bound=0) for c in counts)
    return NoisyCounts(
        table=data.with_columns(noisy_frame[c] for c in counts),
        mechanism=budget["mechanism"],
        epsilon=budget["epsilon"],
        delta=budget["delta"],
        rho=budget["rho"],
        scale=budget["scale"],
        sensitivity=budget["sensitivity"],
        cells_per_person=cells_per_person,
        private=budget["private"],
    )
