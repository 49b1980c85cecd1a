"""Model cards and data cards: what a model or a dataset is, is for, and must not be used for."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aluna.privacy._frames import frame, html_table

__all__ = [
    "DEFAULT_OUT_OF_SCOPE",
    "REARREST_LABEL_BIAS",
    "RESPONSIBLE_USE",
    "DataCard",
    "ModelCard",
]

#: Where every card points for the rules of use.
RESPONSIBLE_USE = "docs/responsible-use.md"

#: Uses no aluna model may serve (EU AI Act, Regulation (EU) 2024/1689).
DEFAULT_OUT_OF_SCOPE: tuple[str, ...] = (
    "Assessing or predicting the risk that a natural person commits a criminal offence based "
    "solely on profiling or on personality traits and characteristics (prohibited: EU AI Act, "
    "Article 5(1)(d)).",
    "Decisions about individuals without human judgement and review; high-risk uses listed in "
    "Annex III of the EU AI Act (law enforcement, migration, justice) without the conformity "
    "assessment, risk management and human oversight the Act requires.",
    "Ranking or targeting victims.",
)

#: The caveat every model of re-arrest or reconviction outcomes must carry.
REARREST_LABEL_BIAS = (
    "The outcome is a recorded re-arrest or reconviction, which measures policing and "
    "prosecution as well as offending: groups that are policed more are recorded more, so "
    "the labels carry that bias and the model learns it. Validation against such labels "
    "cannot detect it."
)


def _list(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "- (none stated)"


def _markdown_table(df: pl.DataFrame) -> str:
    def cell(v: object) -> str:
        if v is None:
            return ""
        text = f"{v:.4g}" if isinstance(v, float) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(df.columns) + " |",
        "|" + "---|" * df.width,
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.iter_rows()]
    return "\n".join(lines)


def _figures(value: pl.DataFrame | Mapping[str, float] | None) -> pl.DataFrame | None:
    if value is None:
        return None
    if isinstance(value, pl.DataFrame):
        return value
    return pl.DataFrame({"measure": list(value), "value": [float(v) for v in value.values()]})


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body.strip()}\n"


def _html_section(title: str, body: str) -> str:
    return f"<h4>{html.escape(title)}</h4>{body}"


def _html_list(items: Sequence[str]) -> str:
    if not items:
        return "<p>(none stated)</p>"
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _html_text(text: str) -> str:
    return f"<p>{html.escape(text)}</p>" if text else "<p>(not stated)</p>"


@dataclass
class ModelCard:
    """A model card: what a fitted model is, how it was validated, and what it is not for.

    After Mitchell et al. (2019) [1]_. Risk models fill it in ``model.card()``; anyone can
    build one by hand. Render with :meth:`to_markdown`, :meth:`to_html` or in a notebook.

    Attributes
    ----------
    name
        The model's name.
    purpose
        The intended use, in one or two sentences (research, evaluation, investigation
        support under human judgement ...).
    data
        The data it was fitted on: source, period, population, size, pseudonymisation.
    outcome
        The outcome's exact definition (event, follow-up window, censoring).
    model
        Method and settings.
    validation
        Validation figures (a table, or a mapping from measure to value).
    fairness
        A fairness audit: figures by group.
    outcome_caveats
        What the outcome measures besides what it is meant to (:data:`REARREST_LABEL_BIAS`).
    limitations
        Known limitations.
    out_of_scope
        Uses the model must not serve (default :data:`DEFAULT_OUT_OF_SCOPE`).
    ethical_considerations
        Anything else a reader must weigh.
    references
        Papers and documents.
    version
        The aluna version the model was fitted with.
    created
        The date, ISO 8601.

    References
    ----------
    .. [1] Mitchell, M., Wu, S., Zaldivar, A. et al. (2019). Model cards for model reporting.
       Proceedings of FAT* '19, 220-229. https://doi.org/10.1145/3287560.3287596

    Examples
    --------
    >>> from aluna.privacy import ModelCard, REARREST_LABEL_BIAS
    >>> card = ModelCard(
    ...     name="Re-arrest within 2 years (Cox)", purpose="Research on programme effects.",
    ...     data="Synthetic cohort, 2,000 people.", outcome="Re-arrest within 730 days.",
    ...     validation={"c_index": 0.71}, outcome_caveats=[REARREST_LABEL_BIAS],
    ...     created="2025-01-01", version="0.1.0")
    >>> print(card.to_markdown().splitlines()[0])
    # Model card: Re-arrest within 2 years (Cox)
    >>> "Article 5(1)(d)" in card.to_markdown()
    True
    """

    name: str
    purpose: str
    data: str
    outcome: str
    model: str = ""
    validation: pl.DataFrame | Mapping[str, float] | None = None
    fairness: pl.DataFrame | None = None
    outcome_caveats: Sequence[str] = ()
    limitations: Sequence[str] = ()
    out_of_scope: Sequence[str] = DEFAULT_OUT_OF_SCOPE
    ethical_considerations: Sequence[str] = ()
    references: Sequence[str] = ()
    version: str = field(default_factory=lambda: _aluna_version())
    created: str = field(default_factory=lambda: dt.date.today().isoformat())

    def to_markdown(self) -> str:
        """The card as Markdown."""
        parts = [
            f"# Model card: {self.name}\n",
            f"aluna {self.version} · {self.created} · rules of use: {RESPONSIBLE_USE}\n",
            _section("Intended use", self.purpose),
            _section("Uses out of scope", _list(list(self.out_of_scope))),
            _section("Data", self.data),
            _section("Outcome", self.outcome + "\n\n" + _list(list(self.outcome_caveats))),
        ]
        if self.model:
            parts.append(_section("Model", self.model))
        validation = _figures(self.validation)
        parts.append(
            _section(
                "Validation",
                _markdown_table(validation) if validation is not None else "(not reported)",
            )
        )
        parts.append(
            _section(
                "Fairness audit",
                _markdown_table(self.fairness) if self.fairness is not None else "(not reported)",
            )
        )
        parts.append(_section("Limitations", _list(list(self.limitations))))
        if self.ethical_considerations:
            parts.append(
                _section("Ethical considerations", _list(list(self.ethical_considerations)))
            )
        if self.references:
            parts.append(_section("References", _list(list(self.references))))
        return "\n".join(parts)

    def to_html(self) -> str:
        """The card as an HTML fragment (every value escaped)."""
        validation = _figures(self.validation)
        body = [
            f"<h3>Model card: {html.escape(self.name)}</h3>",
            f"<p>aluna {html.escape(self.version)} · {html.escape(self.created)} · rules of "
            f"use: {html.escape(RESPONSIBLE_USE)}</p>",
            _html_section("Intended use", _html_text(self.purpose)),
            _html_section("Uses out of scope", _html_list(list(self.out_of_scope))),
            _html_section("Data", _html_text(self.data)),
            _html_section(
                "Outcome", _html_text(self.outcome) + _html_list(list(self.outcome_caveats))
            ),
        ]
        if self.model:
            body.append(_html_section("Model", _html_text(self.model)))
        body.append(
            _html_section(
                "Validation",
                html_table(validation) if validation is not None else "<p>(not reported)</p>",
            )
        )
        body.append(
            _html_section(
                "Fairness audit",
                html_table(self.fairness) if self.fairness is not None else "<p>(not reported)</p>",
            )
        )
        body.append(_html_section("Limitations", _html_list(list(self.limitations))))
        if self.ethical_considerations:
            body.append(
                _html_section(
                    "Ethical considerations", _html_list(list(self.ethical_considerations))
                )
            )
        if self.references:
            body.append(_html_section("References", _html_list(list(self.references))))
        return "".join(body)

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass
class DataCard:
    """A data card: what a dataset holds, about whom, how it is protected, what it may be used for.

    After Gebru et al.'s datasheets (2021) [1]_. :meth:`from_frame` fills in the schema, the
    direct-identifier check and k-anonymity from the data; the rest is for the data steward.

    Attributes
    ----------
    name, description
        What the dataset is.
    source
        Where it comes from (agency, period, legal basis), or how it was generated.
    subjects
        Whom the records are about (never rank victims as targets).
    synthetic
        Whether every record is made up.
    n_rows
        Rows.
    columns
        The schema: ``column``, ``dtype``, ``null_share``.
    pseudonymisation
        How identifiers were pseudonymised (columns, kind, the key's fingerprint).
    identifiers
        :func:`find_identifiers` on the data (should be empty).
    quasi_identifiers
        Columns an outsider could match on.
    k
        The smallest equivalence class of the quasi-identifiers.
    intended_uses, prohibited_uses, limitations
        Lists of sentences.
    licence, contact
        Terms and who answers questions.
    created
        The date, ISO 8601.

    References
    ----------
    .. [1] Gebru, T., Morgenstern, J., Vecchione, B. et al. (2021). Datasheets for datasets.
       Communications of the ACM 64(12), 86-92. https://doi.org/10.1145/3458723

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import DataCard
    >>> df = pl.DataFrame({"person": ["person:0a1b2c3d4e5f6a7b"], "age_band": ["30-34"]})
    >>> card = DataCard.from_frame(df, name="Synthetic cohort", description="Made-up people.",
    ...                            source="aluna.synth", subjects="Synthetic offenders",
    ...                            synthetic=True, quasi_identifiers=["age_band"],
    ...                            created="2025-01-01")
    >>> card.k, card.identifiers.height
    (1, 0)
    >>> "| age_band | String | 0 |" in card.to_markdown()
    True
    """

    name: str
    description: str
    source: str
    subjects: str
    synthetic: bool
    n_rows: int | None = None
    columns: pl.DataFrame | None = None
    pseudonymisation: str = ""
    identifiers: pl.DataFrame | None = None
    quasi_identifiers: Sequence[str] = ()
    k: int | None = None
    intended_uses: Sequence[str] = ()
    prohibited_uses: Sequence[str] = DEFAULT_OUT_OF_SCOPE
    limitations: Sequence[str] = ()
    licence: str = ""
    contact: str = ""
    created: str = field(default_factory=lambda: dt.date.today().isoformat())

    @classmethod
    def from_frame(
        cls,
        df: Any,
        *,
        name: str,
        description: str,
        source: str,
        subjects: str,
        synthetic: bool,
        quasi_identifiers: Sequence[str] = (),
        **details: Any,
    ) -> DataCard:
        """A card with the schema, identifier check and k-anonymity read from ``df``."""
        from aluna.privacy._disclosure import k_anonymity
        from aluna.privacy._identifiers import find_identifiers

        data = frame(df, what="DataCard.from_frame")
        schema = pl.DataFrame(
            {
                "column": data.columns,
                "dtype": [str(t) for t in data.dtypes],
                "null_share": [
                    (data[c].null_count() / data.height) if data.height else 0.0
                    for c in data.columns
                ],
            }
        )
        k = k_anonymity(data, list(quasi_identifiers)).k if quasi_identifiers else None
        return cls(
            name=name,
            description=description,
            source=source,
            subjects=subjects,
            synthetic=synthetic,
            n_rows=data.height,
            columns=schema,
            identifiers=find_identifiers(data),
            quasi_identifiers=tuple(quasi_identifiers),
            k=k,
            **details,
        )

    def _facts(self) -> list[tuple[str, str]]:
        facts = [
            ("Source", self.source),
            ("Subjects", self.subjects),
            ("Synthetic", "yes: every record is made up" if self.synthetic else "no"),
        ]
        if self.n_rows is not None:
            facts.append(("Rows", f"{self.n_rows:,}"))
        facts.append(("Pseudonymisation", self.pseudonymisation or "(not stated)"))
        if self.quasi_identifiers:
            facts.append(("Quasi-identifiers", ", ".join(self.quasi_identifiers)))
        if self.k is not None:
            facts.append(("k (smallest class)", str(self.k)))
        if self.licence:
            facts.append(("Licence", self.licence))
        if self.contact:
            facts.append(("Contact", self.contact))
        return facts

    def to_markdown(self) -> str:
        """The card as Markdown."""
        parts = [
            f"# Data card: {self.name}\n",
            f"{self.created} · rules of use: {RESPONSIBLE_USE}\n",
            self.description.strip() + "\n",
            "\n".join(f"- **{k}:** {v}" for k, v in self._facts()) + "\n",
        ]
        if self.columns is not None:
            parts.append(_section("Columns", _markdown_table(self.columns)))
        if self.identifiers is not None:
            body = (
                "None found." if self.identifiers.height == 0 else _markdown_table(self.identifiers)
            )
            parts.append(_section("Direct identifiers found", body))
        parts.append(_section("Intended uses", _list(list(self.intended_uses))))
        parts.append(_section("Prohibited uses", _list(list(self.prohibited_uses))))
        parts.append(_section("Limitations", _list(list(self.limitations))))
        return "\n".join(parts)

    def to_html(self) -> str:
        """The card as an HTML fragment (every value escaped)."""
        facts = "".join(
            f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in self._facts()
        )
        body = [
            f"<h3>Data card: {html.escape(self.name)}</h3>",
            f"<p>{html.escape(self.created)} · rules of use: {html.escape(RESPONSIBLE_USE)}</p>",
            _html_text(self.description),
            f"<dl>{facts}</dl>",
        ]
        if self.columns is not None:
            body.append(_html_section("Columns", html_table(self.columns, max_rows=200)))
        if self.identifiers is not None:
            inner = (
                "<p>None found.</p>"
                if self.identifiers.height == 0
                else html_table(self.identifiers)
            )
            body.append(_html_section("Direct identifiers found", inner))
        body.append(_html_section("Intended uses", _html_list(list(self.intended_uses))))
        body.append(_html_section("Prohibited uses", _html_list(list(self.prohibited_uses))))
        body.append(_html_section("Limitations", _html_list(list(self.limitations))))
        return "".join(body)

    def _repr_html_(self) -> str:
        return self.to_html()


def _aluna_version() -> str:
    from aluna._native import __version__

    return __version__
