"""Cross-crime involvement: are groups active in one crime type also active in others?

A key question for organised-crime research on child sexual exploitation is whether the groups
involved in it are also implicated in drugs, fraud or trafficking [1]_. Given which persons form
which groups (a partition: communities, known organisations) and the cases they took part in,
:func:`cross_crime_involvement` describes every group's crime-type mix and flags groups that
meet the EU definition of a criminal organisation as far as the data can tell.

References
----------
.. [1] Council Framework Decision 2008/841/JHA of 24 October 2008 on the fight against
   organised crime. Official Journal of the European Union L 300, 11.11.2008, p. 42-45.
   http://data.europa.eu/eli/dec_framw/2008/841/oj
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from aluna import iccs
from aluna._interop import arrow_table
from aluna.exceptions import ArgumentError, ColumnError, DuplicateError
from aluna.graph import CaseGraph

__all__ = ["SERIOUS_OFFENCES", "CrossCrimeInvolvement", "cross_crime_involvement"]

#: ICCS codes treated as serious offences by default (every code beneath them counts). The
#: Framework Decision's test is a maximum penalty of at least four years' deprivation of liberty,
#: which national law sets: this list of offences commonly punished that severely (homicide,
#: serious assault, kidnapping, slavery, trafficking in persons, sexual violence and exploitation,
#: robbery, drugs, fraud, corruption, money laundering, migrant smuggling, weapons, organised
#: crime, terrorism) is a default to replace with your jurisdiction's list.
SERIOUS_OFFENCES: tuple[str, ...] = (
    "0101",
    "0102",
    "020111",
    "0202",
    "0203",
    "0204",
    "0301",
    "0302",
    "0401",
    "0601",
    "0701",
    "0703",
    "0704",
    "0805",
    "0901",
    "0905",
    "0906",
)

_DEFINITION = (
    "Council Framework Decision 2008/841/JHA, Art. 1: a structured association, established "
    "over a period of time, of more than two persons acting in concert with a view to committing "
    "offences punishable by a maximum of at least four years' deprivation of liberty, to obtain, "
    "directly or indirectly, a financial or other material benefit"
)


@dataclass(frozen=True, repr=False)
class CrossCrimeInvolvement:
    """Crime-type mix and cross-crime involvement of every group.

    Attributes
    ----------
    summary
        One row per group (``community``): ``members`` (persons with a case), ``cases``,
        ``focus_cases``, ``crime_types``, ``blau`` (:math:`1 - \\sum_t p_t^2`) and ``entropy``
        (:math:`-\\sum_t p_t \\ln p_t`, natural log) of the crime-type shares,
        ``members_other_types`` and ``share_members_other_types`` (members with a case of a
        crime type other than the focus), ``other_layer_links`` (co-offending links, distinct
        pairs per crime type, in non-focus crime types with at least one member),
        ``other_layer_links_external`` (those with exactly one member: ties out of the group),
        ``other_layers`` (distinct non-focus crime types of those links), ``joint_cases``
        (cases with two or more members), ``serious_cases``, ``first_time``/``last_time``/
        ``span`` (with time), and ``eu_criminal_organisation`` (the flag; null where a
        criterion cannot be assessed).
    mix
        One row per group and crime type: ``community``, ``crime_type``, ``cases`` (distinct
        cases of that type with a member), ``share`` (of the group's case-type counts; shares
        sum to 1) and ``focus``.
    criteria
        The operationalised definition: ``criterion``, ``definition`` (the Framework
        Decision's words), ``rule`` (what is computed) and ``threshold``.
    rule
        The flag's rule in one sentence, thresholds included.
    focus, focus_label
        The focus crime type (an ICCS code when it resolved to one) and its label.
    unit
        What a "case" is: ``"case"`` for records, ``"link"`` for a graph.
    """

    summary: pl.DataFrame
    mix: pl.DataFrame
    criteria: pl.DataFrame
    rule: str
    focus: str
    focus_label: str
    unit: str

    @property
    def table(self) -> pl.DataFrame:
        """The crime-type mix (same as :attr:`mix`)."""
        return self.mix

    def plot(self, ax: Any = None) -> Any:
        """Each group's crime-type shares as a stacked horizontal bar (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * max(self.summary.height, 4) + 1))
        wide = self.mix.pivot(on="crime_type", index="community", values="share").fill_null(0)
        groups = [str(g) for g in wide["community"].to_list()]
        left = [0.0] * len(groups)
        for column in wide.columns[1:]:
            values = wide[column].to_list()
            ax.barh(groups, values, left=left, label=str(column))
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel(f"share of {self.unit}s")
        ax.set_ylabel("group")
        ax.set_title(f"Crime-type mix (focus: {self.focus_label})")
        ax.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
        return ax

    def __repr__(self) -> str:
        flagged = self.summary["eu_criminal_organisation"].sum()
        return (
            f"CrossCrimeInvolvement({self.summary.height} groups, focus {self.focus} "
            f"({self.focus_label}), {flagged} flagged as criminal organisations)"
        )

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>Cross-crime involvement</strong> (focus {html.escape(self.focus)}: "
            f"{html.escape(self.focus_label)})<p>{html.escape(self.rule)}</p>"
            f"{self.summary._repr_html_()}</div>"
        )


def _participation_from_graph(graph: CaseGraph) -> tuple[pl.DataFrame, str | None]:
    if graph._columns["link_type"] is None:
        raise ArgumentError(
            "argument `data`: the graph's links have no crime type; build it with "
            "co_offending(..., crime_type=...) or from_edges(..., link_type=...), or pass the "
            "participation records"
        )
    obs = graph.evidence().with_row_index("_link")
    src, tgt = graph._columns["source"], graph._columns["target"]
    crime, time = graph._columns["link_type"], graph._columns["time"]
    keep = [pl.col("_link").cast(pl.Int64).alias("case"), pl.col(crime).alias("crime_type")]
    if time:
        keep.append(pl.col(time).alias("time"))
    part = pl.concat(
        [
            obs.select(pl.col(src).alias("person"), *keep),
            obs.select(pl.col(tgt).alias("person"), *keep),
        ]
    ).unique(maintain_order=True)
    return part, ("time" if time else None)


def _resolve_focus(focus: str, crimes: pl.Series) -> tuple[str, str, bool]:
    """(focus code or value, label, whether ICCS prefix matching applies)."""
    try:
        code = iccs.code(focus)
    except ArgumentError:
        if focus in crimes.cast(pl.String).to_list():
            return focus, focus, False
        raise
    return code, iccs.label(code) if code in iccs.table()["code"].to_list() else code, True


def _serious_expr(serious: Sequence[str]) -> pl.Expr:
    expr = pl.lit(False)
    for code in serious:
        expr = expr | pl.col("crime_type").str.starts_with(code)
    return expr


def cross_crime_involvement(
    data: Any,
    partition: pl.DataFrame,
    *,
    focus: str,
    person: str = "person_id",
    case: str = "case_id",
    crime_type: str = "crime_type",
    time: str | None = None,
    level: int | None = None,
    serious: Sequence[str] = SERIOUS_OFFENCES,
    min_members: int = 3,
    min_span: dt.timedelta | int | None = dt.timedelta(days=180),
    min_joint_cases: int = 2,
) -> CrossCrimeInvolvement:
    r"""Crime-type mix, diversity and cross-crime ties of every group, with the EU flag.

    For each group of the partition, over the cases its members took part in: the crime-type
    mix (distinct cases per crime type, and shares :math:`p_t` of the group's case-type
    counts), Blau's diversity :math:`1 - \sum_t p_t^2` [2]_ and Shannon entropy
    :math:`-\sum_t p_t \ln p_t` [3]_, the share of members with a case of a crime type other
    than ``focus``, and the co-offending links of members in the other crime types' layers.

    The EU flag operationalises Council Framework Decision 2008/841/JHA, Art. 1 [1]_ from the
    data: a group is flagged when it has **at least** ``min_members`` **members** (more than two
    persons), its cases **span at least** ``min_span`` (established over a period of time;
    not assessable without ``time``), **at least** ``min_joint_cases`` **cases involve two or
    more members** (acting in concert, not randomly formed for one offence) and **at least one
    case is a serious offence** (a crime type beneath a code in ``serious``; the Decision's test
    is a maximum penalty of four years or more, which national law sets). The Decision's
    financial or material benefit is not in crime-type data and is not assessed. The rule, its
    thresholds and what was not assessed are in the result's ``rule`` and ``criteria``.

    Parameters
    ----------
    data
        Participation records (one row per person, case and crime type: a case may carry
        several crime types), or a :class:`CaseGraph` whose link types are crime types (then
        every link observation counts as a case of its two endpoints, ``unit="link"``).
    partition
        ``node`` (person id) and ``community``: which persons form which group. Persons absent
        from it are left out; a person in two groups is an error.
    focus
        The crime type of interest: an ICCS code, label or alias (``"child sexual
        exploitation"`` is ICCS ``03022``; every code beneath matches), or a crime-type value
        as recorded.
    person, case, crime_type, time
        Columns of the records (ignored for a graph). Rows without a case are ignored.
    level
        Aggregate ICCS crime types to this level (1-4) for the mix; ``None`` keeps them as
        recorded.
    serious
        ICCS codes of serious offences (default :data:`SERIOUS_OFFENCES`).
    min_members, min_span, min_joint_cases
        The flag's thresholds. ``min_span`` is a ``timedelta`` for date or datetime times, an
        integer for integer times, or ``None`` to leave the criterion out.

    Returns
    -------
    CrossCrimeInvolvement

    Raises
    ------
    ColumnError
        A column is missing; the partition lacks ``node`` or ``community``.
    DuplicateError
        A person is in two groups.
    ArgumentError
        An unknown focus (the message suggests ICCS labels), a bad level or threshold.

    References
    ----------
    .. [1] Council Framework Decision 2008/841/JHA of 24 October 2008 on the fight against
       organised crime. OJ L 300, 11.11.2008, p. 42. http://data.europa.eu/eli/dec_framw/2008/841/oj
    .. [2] Blau, P. M. (1977). Inequality and Heterogeneity. New York: Free Press.
    .. [3] Shannon, C. E. (1948). A mathematical theory of communication. Bell System
       Technical Journal 27(3), 379-423. https://doi.org/10.1002/j.1538-7305.1948.tb01338.x

    Examples
    --------
    >>> import polars as pl, aluna
    >>> part = pl.DataFrame({
    ...     "person_id": [1, 2, 3, 1, 2, 3, 4, 5],
    ...     "case_id":   [10, 10, 10, 11, 11, 12, 13, 13],
    ...     "crime_type": ["030221", "030221", "030221", "0601", "0601", "0701", "0601", "0601"],
    ... })
    >>> groups = pl.DataFrame({"node": [1, 2, 3, 4, 5], "community": ["a", "a", "a", "b", "b"]})
    >>> r = aluna.cross_crime_involvement(part, groups, focus="child sexual exploitation",
    ...                                   min_span=None)
    >>> r.summary.select("community", "cases", "focus_cases", "share_members_other_types",
    ...                  "eu_criminal_organisation").rows()
    [('a', 3, 1, 1.0, True), ('b', 1, 0, 1.0, False)]
    >>> r.mix.filter(pl.col("community") == "a").select("crime_type", "cases").rows()
    [('030221', 1), ('0601', 1), ('0701', 1)]
    """
    if isinstance(data, CaseGraph):
        part, time_col = _participation_from_graph(data)
        unit = "link"
    else:
        frame = (
            data
            if isinstance(data, pl.DataFrame)
            else pl.DataFrame(arrow_table(data, what="records"))
        )
        for column in (person, case, crime_type, *([time] if time else [])):
            if column not in frame.columns:
                raise ColumnError(
                    f"column `{column}` not found; the records have: {', '.join(frame.columns)}"
                )
        keep = [
            pl.col(person).alias("person"),
            pl.col(case).alias("case"),
            pl.col(crime_type).alias("crime_type"),
        ]
        if time:
            keep.append(pl.col(time).alias("time"))
        part = frame.select(keep).filter(pl.col("case").is_not_null())
        if part["person"].null_count():
            row = int(frame[person].is_null().arg_max() or 0)
            raise ColumnError(f"column `{person}`, row {row}: null where a person id is required")
        if part["crime_type"].null_count():
            row = int((frame[case].is_not_null() & frame[crime_type].is_null()).arg_max() or 0)
            raise ColumnError(
                f"column `{crime_type}`, row {row}: null where the case's crime type is required"
            )
        time_col = "time" if time else None
        unit = "case"
    part = part.with_columns(pl.col("crime_type").cast(pl.String))
    if level is not None:
        part = part.with_columns(iccs.truncate("crime_type", level))
    part = part.unique(maintain_order=True)
    groups = _check_partition(partition, part["person"].dtype)
    code, label, prefix = _resolve_focus(focus, part["crime_type"])
    is_focus = (
        pl.col("crime_type").str.starts_with(code) if prefix else pl.col("crime_type") == code
    )
    for name, value in (("min_members", min_members), ("min_joint_cases", min_joint_cases)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArgumentError(f"argument `{name}`: must be a positive integer, got {value!r}")
    span_threshold = _span_threshold(part, time_col, min_span)

    members = part.join(groups, left_on="person", right_on="node", how="inner")
    group_cases = members.select(
        "community", "case", "crime_type", *([time_col] if time_col else [])
    ).unique()
    mix = (
        group_cases.group_by("community", "crime_type")
        .agg(cases=pl.col("case").n_unique().cast(pl.Int64))
        .with_columns(share=pl.col("cases") / pl.col("cases").sum().over("community"))
        .with_columns(focus=is_focus)
        .sort("community", "crime_type")
    )
    diversity = mix.group_by("community").agg(
        crime_types=pl.len().cast(pl.Int64),
        blau=1.0 - (pl.col("share") ** 2).sum(),
        entropy=-(pl.col("share") * pl.col("share").log()).sum(),
    )
    per_group = members.group_by("community").agg(
        members=pl.col("person").n_unique().cast(pl.Int64),
        cases=pl.col("case").n_unique().cast(pl.Int64),
        focus_cases=pl.col("case").filter(is_focus).n_unique().cast(pl.Int64),
        members_other_types=pl.col("person").filter(~is_focus).n_unique().cast(pl.Int64),
        serious_cases=pl.col("case").filter(_serious_expr(serious)).n_unique().cast(pl.Int64),
    )
    joint = (
        members.group_by("community", "case")
        .agg(n=pl.col("person").n_unique())
        .filter(pl.col("n") >= 2)
        .group_by("community")
        .agg(joint_cases=pl.len().cast(pl.Int64))
    )
    links = _other_layer_links(part, groups, is_focus)
    summary = (
        per_group.join(diversity, on="community", how="left")
        .join(joint, on="community", how="left")
        .join(links, on="community", how="left")
        .with_columns(
            pl.col("joint_cases", "other_layer_links", "other_layer_links_external", "other_layers")
            .fill_null(0)
            .cast(pl.Int64),
            share_members_other_types=pl.col("members_other_types") / pl.col("members"),
        )
    )
    if time_col:
        spans = group_cases.group_by("community").agg(
            first_time=pl.col(time_col).min(), last_time=pl.col(time_col).max()
        )
        summary = summary.join(spans, on="community", how="left").with_columns(
            span=pl.col("last_time") - pl.col("first_time")
        )
    flag = (
        (pl.col("members") >= min_members)
        & (pl.col("joint_cases") >= min_joint_cases)
        & (pl.col("serious_cases") >= 1)
    )
    if span_threshold is not None:
        flag = flag & (pl.col("span") >= span_threshold)
    elif min_span is not None:
        # The span criterion was asked for but cannot be assessed without time.
        flag = pl.when(flag.not_()).then(False).otherwise(None)
    order = [
        "community",
        "members",
        "cases",
        "focus_cases",
        "crime_types",
        "blau",
        "entropy",
        "members_other_types",
        "share_members_other_types",
        "other_layer_links",
        "other_layer_links_external",
        "other_layers",
        "joint_cases",
        "serious_cases",
        *(["first_time", "last_time", "span"] if time_col else []),
        "eu_criminal_organisation",
    ]
    summary = summary.with_columns(eu_criminal_organisation=flag).select(order).sort("community")
    criteria, rule = _criteria(
        min_members, min_span, span_threshold, time_col, min_joint_cases, serious, unit
    )
    return CrossCrimeInvolvement(
        summary=summary,
        mix=mix,
        criteria=criteria,
        rule=rule,
        focus=code,
        focus_label=label,
        unit=unit,
    )


def _check_partition(partition: Any, dtype: pl.DataType) -> pl.DataFrame:
    if not isinstance(partition, pl.DataFrame):
        raise ArgumentError(
            "argument `partition`: expected a DataFrame with columns node and community, got "
            f"{type(partition).__name__}"
        )
    for column in ("node", "community"):
        if column not in partition.columns:
            raise ColumnError(
                f"partition: column `{column}` not found; a partition has columns node and "
                f"community, this one has: {', '.join(partition.columns)}"
            )
    groups = partition.select("node", "community")
    duplicated = groups["node"].is_duplicated()
    if duplicated.any():
        row = int(duplicated.arg_max() or 0)
        raise DuplicateError(
            f"partition: node {groups['node'][row]!r} is in more than one community (row {row}); "
            "a partition gives each person one group"
        )
    if groups["node"].dtype != dtype:
        try:
            groups = groups.with_columns(pl.col("node").cast(dtype))
        except pl.exceptions.PolarsError as err:
            raise ColumnError(
                f"partition: column `node` holds {groups['node'].dtype}, the persons are {dtype}"
            ) from err
    return groups


def _span_threshold(part: pl.DataFrame, time_col: str | None, min_span: Any) -> Any:
    if min_span is None or time_col is None:
        return None
    dtype = part[time_col].dtype
    if dtype.is_integer():
        if isinstance(min_span, bool) or not isinstance(min_span, int) or min_span < 0:
            raise ArgumentError(
                "argument `min_span`: the times are integers, so min_span is a non-negative "
                f"integer in the same units (or None); got {min_span!r}"
            )
        return min_span
    if not isinstance(min_span, dt.timedelta) or min_span < dt.timedelta(0):
        raise ArgumentError(
            f"argument `min_span`: the times are {dtype}, so min_span is a non-negative "
            f"datetime.timedelta (or None); got {min_span!r}"
        )
    return pl.lit(min_span)


def _other_layer_links(part: pl.DataFrame, groups: pl.DataFrame, is_focus: pl.Expr) -> pl.DataFrame:
    """Per group: co-offending links in non-focus crime types with a member at either end."""
    base = part.select("case", "crime_type", "person").unique()
    pairs = (
        base.join(base.rename({"person": "other"}), on=["case", "crime_type"])
        .filter(pl.col("person") < pl.col("other"))
        .select("person", "other", "crime_type")
        .unique()
        .filter(~is_focus)
    )
    labelled = pairs.join(
        groups.rename({"node": "person", "community": "c1"}), on="person", how="left"
    ).join(groups.rename({"node": "other", "community": "c2"}), on="other", how="left")
    long = pl.concat(
        [
            labelled.select("person", "other", "crime_type", community="c1", across="c2"),
            labelled.select("person", "other", "crime_type", community="c2", across="c1"),
        ]
    ).filter(pl.col("community").is_not_null())
    long = long.unique(subset=["community", "person", "other", "crime_type"])
    external = pl.col("across").is_null() | (pl.col("across") != pl.col("community"))
    return long.group_by("community").agg(
        other_layer_links=pl.len(),
        other_layer_links_external=external.sum(),
        other_layers=pl.col("crime_type").n_unique(),
    )


def _criteria(
    min_members: int,
    min_span: Any,
    span_threshold: Any,
    time_col: str | None,
    min_joint_cases: int,
    serious: Sequence[str],
    unit: str,
) -> tuple[pl.DataFrame, str]:
    if span_threshold is not None:
        span_threshold_text = _duration(min_span)
        span_rule = f"first to last {unit} of its members spans at least {span_threshold_text}"
    elif min_span is None:
        span_rule = "not required (min_span=None)"
        span_threshold_text = "none"
    else:
        span_rule = "not assessable: no time column (the flag is null where it would decide)"
        span_threshold_text = _duration(min_span)
    serious_text = ", ".join(serious) if serious else "none"
    rows = [
        (
            "more than two persons",
            "a structured association ... of more than two persons",
            f"members with a {unit} in the data >= {min_members}",
            str(min_members),
        ),
        (
            "established over a period of time",
            "established over a period of time",
            span_rule,
            span_threshold_text,
        ),
        (
            "acting in concert",
            "acting in concert; not randomly formed for the immediate commission of an offence",
            f"{unit}s with two or more members >= {min_joint_cases}",
            str(min_joint_cases),
        ),
        (
            "serious offences",
            "offences punishable by a maximum of at least four years' deprivation of liberty",
            f"at least one {unit} whose crime type falls under: {serious_text} (replace with "
            "your jurisdiction's list)",
            "1",
        ),
        (
            "financial or other material benefit",
            "to obtain, directly or indirectly, a financial or other material benefit",
            "not assessed: crime-type data do not show it",
            "none",
        ),
    ]
    criteria = pl.DataFrame(
        rows, schema=["criterion", "definition", "rule", "threshold"], orient="row"
    )
    rule = (
        f"Flagged as a criminal organisation ({_DEFINITION}) when: members >= {min_members}; "
        f"span: {span_rule}; {unit}s with two or more members >= {min_joint_cases}; and at least "
        f"one serious {unit} (ICCS {serious_text}). Material benefit is not assessed."
    )
    return criteria, rule


def _duration(value: Any) -> str:
    """A threshold as people write it: ``180 days`` rather than ``180 days, 0:00:00``."""
    if isinstance(value, dt.timedelta) and not value % dt.timedelta(days=1):
        days = value.days
        return f"{days} day" if days == 1 else f"{days} days"
    return str(value)
