"""Disclosure risk of microdata (k-anonymity, l-diversity, re-identification risk) and the
helpers that lower it (generalisation, local suppression)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from aluna import _native
from aluna._interop import to_polars
from aluna.exceptions import ArgumentError, ColumnError
from aluna.privacy._frames import column_list, frame, html_facts, html_table, require_columns

__all__ = [
    "KAnonymity",
    "LDiversity",
    "ReidentificationRisk",
    "bin_ages",
    "k_anonymity",
    "l_diversity",
    "reidentification_risk",
    "suppress_rare",
    "truncate_dates",
]


def _key_frame(df: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """The columns in a form the Rust grouping reads: integers and text as they are, dates
    and booleans as their integer codes, floats as exact text."""
    out = []
    for column in columns:
        s = df[column]
        dtype = s.dtype
        if dtype.is_integer() or dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
            out.append(s)
        elif dtype.is_temporal() or dtype == pl.Boolean:
            out.append(s.to_physical().cast(pl.Int64))
        elif dtype.is_float() or dtype == pl.Decimal or dtype == pl.Null:
            out.append(s.cast(pl.String))
        else:
            raise ColumnError(
                f"column `{column}`: expected values to group by (text, numbers, dates or "
                f"booleans), found {dtype}"
            )
    return pl.DataFrame(out)


def _classes(
    df: pl.DataFrame,
    quasi_identifiers: Sequence[str],
    sensitive: str | None = None,
    weights: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    require_columns(df, [*quasi_identifiers, *([sensitive] if sensitive else [])], what="columns")
    if weights is not None:
        require_columns(df, [weights], what="weights")
    keys = _key_frame(df, quasi_identifiers)
    if sensitive is not None:
        keys = keys.with_columns(_key_frame(df, [sensitive])[sensitive].alias("__sensitive"))
    if weights is not None:
        keys = keys.with_columns(df[weights].cast(pl.Float64).alias("__weights"))
    rows, classes = _native.equivalence_classes_table(
        keys,
        list(quasi_identifiers),
        sensitive="__sensitive" if sensitive is not None else None,
        weights="__weights" if weights is not None else None,
    )
    return to_polars(rows), to_polars(classes)


@dataclass(frozen=True, repr=False)
class KAnonymity:
    """k-anonymity of a table: its smallest equivalence class and the classes below ``threshold``.

    Attributes
    ----------
    k
        The size of the smallest class (0 for an empty table).
    threshold
        The k asked for.
    table
        Classes with fewer than ``threshold`` records: the quasi-identifier values and
        ``size``, smallest first (ties in order of first appearance).
    n_classes, n_records
        Classes and records in the table.
    records_at_risk
        Records in classes below ``threshold``.
    quasi_identifiers
        The columns grouped by.
    """

    k: int
    threshold: int
    table: pl.DataFrame
    n_classes: int
    n_records: int
    records_at_risk: int
    quasi_identifiers: tuple[str, ...]

    @property
    def satisfied(self) -> bool:
        """Whether every class has at least ``threshold`` records."""
        return self.k >= self.threshold or self.n_records == 0

    @property
    def summary(self) -> pl.DataFrame:
        """One row: k, threshold, classes, records, records at risk, satisfied."""
        return pl.DataFrame(
            {
                "k": [self.k],
                "threshold": [self.threshold],
                "n_classes": [self.n_classes],
                "n_records": [self.n_records],
                "records_at_risk": [self.records_at_risk],
                "satisfied": [self.satisfied],
            }
        )

    def __repr__(self) -> str:
        return (
            f"KAnonymity(k={self.k}, threshold={self.threshold}, classes below: "
            f"{self.table.height}, records at risk: {self.records_at_risk} of {self.n_records})"
        )

    def _repr_html_(self) -> str:
        facts = {
            "quasi-identifiers": ", ".join(self.quasi_identifiers),
            "k": self.k,
            "threshold": self.threshold,
            "records at risk": f"{self.records_at_risk} of {self.n_records}",
        }
        return html_facts("k-anonymity", facts) + html_table(self.table)


def k_anonymity(
    df: Any, quasi_identifiers: str | Iterable[str], *, threshold: int = 5
) -> KAnonymity:
    """k-anonymity of a table with respect to its quasi-identifiers.

    Records that agree on every quasi-identifier form an equivalence class; the table is
    k-anonymous when every class has at least k records [1]_. A null is a value of its own
    (it matches other nulls, not other values).

    Parameters
    ----------
    df
        The table (one row per person or record).
    quasi_identifiers
        Columns an outsider could know and match on: age band, sex, region, dates ...
    threshold
        The k to check; classes below it are listed.

    Returns
    -------
    KAnonymity

    References
    ----------
    .. [1] Sweeney, L. (2002). k-anonymity: a model for protecting privacy. International
       Journal of Uncertainty, Fuzziness and Knowledge-Based Systems 10(5), 557-570.
       https://doi.org/10.1142/S0218488502001648

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import k_anonymity
    >>> df = pl.DataFrame({"sex": ["f", "f", "m", "m", "m"], "age": ["30-34"] * 4 + ["35-39"]})
    >>> result = k_anonymity(df, ["sex", "age"], threshold=2)
    >>> result.k, result.records_at_risk
    (1, 1)
    >>> result.table.rows()
    [('m', '35-39', 1)]
    """
    data = frame(df, what="k_anonymity")
    qi = column_list(quasi_identifiers, what="quasi_identifiers")
    if threshold < 1:
        raise ArgumentError(f"argument `threshold`: must be at least 1, got {threshold}")
    _, classes = _classes(data, qi)
    small = classes.filter(pl.col("size") < threshold).sort(["size", "first_row"])
    table = data[small["first_row"].cast(pl.Int64).to_list()].select(qi).with_columns(small["size"])
    return KAnonymity(
        k=int(classes["size"].min() or 0) if classes.height else 0,
        threshold=threshold,
        table=table,
        n_classes=classes.height,
        n_records=data.height,
        records_at_risk=int(small["size"].sum()),
        quasi_identifiers=tuple(qi),
    )


@dataclass(frozen=True, repr=False)
class LDiversity:
    """l-diversity of a sensitive attribute within the equivalence classes.

    Attributes
    ----------
    l
        The fewest distinct non-null sensitive values in any class (distinct l-diversity).
    entropy_l
        The smallest ``exp(H)`` over classes, with ``H`` the Shannon entropy (natural
        logarithm) of the class's sensitive values (entropy l-diversity).
    threshold
        The l asked for.
    table
        Classes with fewer than ``threshold`` distinct values: the quasi-identifier values,
        ``size``, ``distinct`` and ``entropy_l``, least diverse first.
    sensitive, quasi_identifiers
        The columns.
    """

    l: int  # noqa: E741 - the name of the measure
    entropy_l: float
    threshold: int
    table: pl.DataFrame
    sensitive: str
    quasi_identifiers: tuple[str, ...]

    @property
    def summary(self) -> pl.DataFrame:
        """One row: l, entropy l, threshold, classes below it."""
        return pl.DataFrame(
            {
                "l": [self.l],
                "entropy_l": [self.entropy_l],
                "threshold": [self.threshold],
                "classes_below": [self.table.height],
            }
        )

    def __repr__(self) -> str:
        return (
            f"LDiversity(l={self.l}, entropy_l={self.entropy_l:.3g}, threshold="
            f"{self.threshold}, classes below: {self.table.height})"
        )

    def _repr_html_(self) -> str:
        facts = {
            "sensitive": self.sensitive,
            "quasi-identifiers": ", ".join(self.quasi_identifiers),
            "l (distinct)": self.l,
            "l (entropy)": self.entropy_l,
        }
        return html_facts("l-diversity", facts) + html_table(self.table)


def l_diversity(
    df: Any,
    quasi_identifiers: str | Iterable[str],
    sensitive: str,
    *,
    threshold: int = 2,
) -> LDiversity:
    r"""l-diversity of ``sensitive`` within the classes of the quasi-identifiers.

    A k-anonymous table still discloses an attribute when everyone in a class shares it.
    Distinct l-diversity counts the distinct sensitive values per class; entropy
    l-diversity is :math:`\exp(-\sum_s p_s \ln p_s)` over the class's shares :math:`p_s` [1]_.
    Nulls in ``sensitive`` are left out (an unknown value discloses nothing); a class with
    none has ``distinct = 0``.

    Parameters
    ----------
    df
        The table.
    quasi_identifiers
        The grouping columns.
    sensitive
        The attribute that must not be disclosed (offence type, diagnosis ...).
    threshold
        The l to check; classes below it are listed.

    Returns
    -------
    LDiversity

    References
    ----------
    .. [1] Machanavajjhala, A., Kifer, D., Gehrke, J. & Venkitasubramaniam, M. (2007).
       l-diversity: privacy beyond k-anonymity. ACM Transactions on Knowledge Discovery from
       Data 1(1), 3. https://doi.org/10.1145/1217299.1217302

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import l_diversity
    >>> df = pl.DataFrame({"region": ["a", "a", "b", "b"], "offence": ["x", "y", "x", "x"]})
    >>> result = l_diversity(df, "region", "offence")
    >>> result.l, round(result.entropy_l, 3)
    (1, 1.0)
    >>> result.table.rows()
    [('b', 2, 1, 1.0)]
    """
    data = frame(df, what="l_diversity")
    qi = column_list(quasi_identifiers, what="quasi_identifiers")
    if sensitive in qi:
        raise ArgumentError(
            f"argument `sensitive`: `{sensitive}` is also a quasi-identifier; name it once"
        )
    if threshold < 1:
        raise ArgumentError(f"argument `threshold`: must be at least 1, got {threshold}")
    _, classes = _classes(data, qi, sensitive=sensitive)
    small = classes.filter(pl.col("distinct") < threshold).sort(
        ["distinct", "entropy", "first_row"]
    )
    table = (
        data[small["first_row"].cast(pl.Int64).to_list()]
        .select(qi)
        .with_columns(small["size"], small["distinct"], small["entropy"].alias("entropy_l"))
    )
    return LDiversity(
        l=int(classes["distinct"].min() or 0) if classes.height else 0,
        entropy_l=float(classes["entropy"].min() or 0.0) if classes.height else 0.0,
        threshold=threshold,
        table=table,
        sensitive=sensitive,
        quasi_identifiers=tuple(qi),
    )


@dataclass(frozen=True, repr=False)
class ReidentificationRisk:
    """Record-level re-identification risk, in the spirit of sdcMicro's ``measure_risk``.

    Attributes
    ----------
    table
        One row per record: the ``id`` column (or ``row``), ``risk``, ``sample_frequency``
        (``f_k``, records in its class) and ``population_frequency`` (``F_k``, the class's
        sum of weights; ``f_k`` without weights).
    expected_reidentifications
        The sum of the risks: how many records an intruder who matches on the
        quasi-identifiers would be expected to re-identify.
    global_risk
        Its share of the records.
    max_risk
        The highest record risk.
    quasi_identifiers
        The columns.
    """

    table: pl.DataFrame
    expected_reidentifications: float
    global_risk: float
    max_risk: float
    quasi_identifiers: tuple[str, ...]

    @property
    def summary(self) -> pl.DataFrame:
        """One row: records, expected re-identifications, global risk, maximum risk, and the
        records that are unique or violate 2-, 3- and 5-anonymity."""
        f = self.table["sample_frequency"]
        return pl.DataFrame(
            {
                "n_records": [self.table.height],
                "expected_reidentifications": [self.expected_reidentifications],
                "global_risk": [self.global_risk],
                "max_risk": [self.max_risk],
                "unique_records": [int((f == 1).sum())],
                "below_3": [int((f < 3).sum())],
                "below_5": [int((f < 5).sum())],
            }
        )

    def __repr__(self) -> str:
        return (
            f"ReidentificationRisk(expected re-identifications "
            f"{self.expected_reidentifications:.2f} of {self.table.height} records "
            f"({100 * self.global_risk:.2f} %), max risk {self.max_risk:.3g})"
        )

    def _repr_html_(self) -> str:
        return html_facts(
            "Re-identification risk", {"quasi-identifiers": ", ".join(self.quasi_identifiers)}
        ) + html_table(self.summary)


def reidentification_risk(
    df: Any,
    quasi_identifiers: str | Iterable[str],
    *,
    weights: str | None = None,
    id: str | None = None,
) -> ReidentificationRisk:
    r"""The probability that each record is re-identified by matching on its quasi-identifiers.

    A record in a class of :math:`f_k` sample records that stand for :math:`F_k` population
    records (the sum of the class's sampling weights) has, with :math:`p = f_k / F_k`, the
    individual risk of Benedetti & Franconi [1]_ in the approximation sdcMicro uses [2]_:

    .. math::

       r = \begin{cases}
       \frac{p}{1-p}\ln\frac1p & f_k = 1 \\
       \frac{p}{1-p} - \left(\frac{p}{1-p}\right)^2 \ln\frac1p & f_k = 2 \\
       \frac{p}{f_k - (1 - p)} & f_k \ge 3
       \end{cases}

    and :math:`r = 1/f_k` without weights (the table is the population). The expected number
    of re-identifications is :math:`\sum r`.

    Parameters
    ----------
    df
        The table.
    quasi_identifiers
        The columns an intruder could match on.
    weights
        Column of sampling weights (finite, at least 1), if the table is a sample.
    id
        Column identifying records in the result (default: a ``row`` index).

    Returns
    -------
    ReidentificationRisk

    References
    ----------
    .. [1] Benedetti, R. & Franconi, L. (1998). Statistical and technological solutions for
       controlled data dissemination. Pre-proceedings of New Techniques and Technologies for
       Statistics, 225-232.
    .. [2] Templ, M., Kowarik, A. & Meindl, B. (2015). Statistical disclosure control for
       micro-data using the R package sdcMicro. Journal of Statistical Software 67(4), 1-36.
       https://doi.org/10.18637/jss.v067.i04

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import reidentification_risk
    >>> df = pl.DataFrame({"sex": ["f", "f", "m"], "region": ["a", "a", "b"]})
    >>> risk = reidentification_risk(df, ["sex", "region"])
    >>> risk.table["risk"].to_list(), risk.expected_reidentifications
    ([0.5, 0.5, 1.0], 2.0)
    """
    data = frame(df, what="reidentification_risk")
    qi = column_list(quasi_identifiers, what="quasi_identifiers")
    if id is not None:
        require_columns(data, [id], what="id")
    rows, _ = _classes(data, qi, weights=weights)
    ids = data[id] if id is not None else pl.Series("row", range(data.height), dtype=pl.Int64)
    table = pl.DataFrame([ids]).with_columns(
        rows["risk"], rows["sample_frequency"], rows["population_frequency"]
    )
    total = float(rows["risk"].sum()) if rows.height else 0.0
    return ReidentificationRisk(
        table=table,
        expected_reidentifications=total,
        global_risk=total / rows.height if rows.height else 0.0,
        max_risk=float(rows["risk"].max() or 0.0) if rows.height else 0.0,
        quasi_identifiers=tuple(qi),
    )


def bin_ages(
    df: Any, column: str, *, width: int = 5, top: int | None = None, start: int = 0
) -> pl.DataFrame:
    """Replace ages by bands of ``width`` years labelled ``"30-34"`` (a generalisation).

    Parameters
    ----------
    df
        The table.
    column
        Ages in whole or fractional years (non-negative).
    width
        Years per band.
    top
        Ages at or above this go into one band ``"80+"`` (top-coding).
    start
        The lower edge of the first band.

    Returns
    -------
    polars.DataFrame
        ``df`` with ``column`` as text bands (nulls stay null).

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import bin_ages
    >>> bin_ages(pl.DataFrame({"age": [17, 34, 35, 91, None]}), "age", top=80)["age"].to_list()
    ['15-19', '30-34', '35-39', '80+', None]
    """
    data = frame(df, what="bin_ages")
    require_columns(data, [column], what="bin_ages")
    if width < 1:
        raise ArgumentError(f"argument `width`: must be at least 1, got {width}")
    if not data[column].dtype.is_numeric():
        raise ColumnError(f"bin_ages: column `{column}` holds {data[column].dtype}, not ages")
    if (data[column].drop_nulls() < start).any() or data[column].is_nan().any():
        raise ArgumentError(
            f"bin_ages: column `{column}` has ages below {start} or NaN; fix them first"
        )
    age = pl.col(column)
    low = ((age - start) / width).floor().cast(pl.Int64) * width + start
    band = pl.format("{}-{}", low, low + width - 1)
    if top is not None:
        band = pl.when(age >= top).then(pl.lit(f"{top}+")).otherwise(band)
    return data.with_columns(band.alias(column))


def truncate_dates(
    df: Any, column: str, *, unit: Literal["year", "quarter", "month", "week"] = "month"
) -> pl.DataFrame:
    """Truncate dates to the first day of their ``unit`` (a generalisation).

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> from aluna.privacy import truncate_dates
    >>> df = pl.DataFrame({"seen": [dt.date(2021, 5, 17), dt.date(2021, 11, 2)]})
    >>> truncate_dates(df, "seen", unit="quarter")["seen"].to_list()
    [datetime.date(2021, 4, 1), datetime.date(2021, 10, 1)]
    """
    data = frame(df, what="truncate_dates")
    require_columns(data, [column], what="truncate_dates")
    every = {"year": "1y", "quarter": "1q", "month": "1mo", "week": "1w"}.get(unit)
    if every is None:
        raise ArgumentError(
            f'argument `unit`: expected "year", "quarter", "month" or "week", got {unit!r}'
        )
    dtype = data[column].dtype
    if not (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        raise ColumnError(f"truncate_dates: column `{column}` holds {dtype}, not dates")
    return data.with_columns(pl.col(column).dt.truncate(every))


def suppress_rare(
    df: Any, quasi_identifiers: str | Iterable[str], *, k: int = 5
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Local suppression: set quasi-identifier values to null until every class has ``k``
    records, or nothing is left to suppress.

    A simple greedy heuristic, not sdcMicro's optimal ``localSuppression``: in each round the
    quasi-identifier with the most distinct values among records still at risk is set to null
    in those records; nulls then form a class of their own, which grows. Deterministic.

    Returns
    -------
    tuple of polars.DataFrame
        The table with suppressed values, and an audit: ``row``, ``column`` and the
        ``round`` in which the value was suppressed.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import suppress_rare
    >>> df = pl.DataFrame({"sex": ["f", "f", "m", "f"], "region": ["a", "a", "a", "b"]})
    >>> out, audit = suppress_rare(df, ["sex", "region"], k=2)
    >>> out.rows()
    [('f', 'a'), ('f', 'a'), (None, None), (None, None)]
    >>> audit.rows()
    [(2, 'sex', 1), (3, 'sex', 1), (2, 'region', 2), (3, 'region', 2)]
    """
    data = frame(df, what="suppress_rare")
    qi = column_list(quasi_identifiers, what="quasi_identifiers")
    if k < 1:
        raise ArgumentError(f"argument `k`: must be at least 1, got {k}")
    audit: list[tuple[int, str, int]] = []
    done: set[str] = set()
    for round_ in range(1, len(qi) + 1):
        rows, _ = _classes(data, qi)
        at_risk = (rows["sample_frequency"] < k).arg_true()
        if at_risk.len() == 0:
            break
        candidates = [c for c in qi if c not in done]
        if not candidates:
            break
        risky = data[at_risk.to_list()]
        column = max(candidates, key=lambda c: (risky[c].n_unique(), -qi.index(c)))
        done.add(column)
        mask = pl.Series(range(data.height)).is_in(at_risk.to_list())
        changed = mask & data[column].is_not_null()
        audit += [(int(r), column, round_) for r in changed.arg_true().to_list()]
        data = data.with_columns(pl.when(mask).then(None).otherwise(pl.col(column)).alias(column))
    audit_frame = pl.DataFrame(
        audit, schema={"row": pl.Int64, "column": pl.String, "round": pl.Int64}, orient="row"
    ).sort("round", "row", maintain_order=True)
    return data, audit_frame
