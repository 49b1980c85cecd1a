"""Synthetic benchmark datasets with known ground truth, generated deterministically at any scale.

Six generators make data about made-up people, each returning a :class:`aluna.datasets.Dataset`
whose ``.truth`` holds what a method should recover:

=======================  =====================================================================
``offender_cohort``      actuarial-tool items, dynamic factors, a group attribute, re-offending
                         times from a known proportional-hazards model (custody, competing
                         events, censoring, planted missing values); true coefficients
``case_network``         case records with pseudonymised identifiers, planted organised groups,
                         lone offenders, victims, hubs; the links they imply; the true groups
``programme_evaluation`` confounded programme participation with a known effect on
                         re-offending (binary and time to event), optionally with delayed entry
``victims``              recurrent re-victimisation with risk and protective factors
``careers_panel``        yearly offence counts by type with planted trajectory groups
``linkage_pair``         two agencies' records with realistic errors and the true matches
=======================  =====================================================================

Every unit's randomness comes from its own ChaCha8 stream keyed by the seed and its index, so
the same seed gives the same content with any number of threads and any batch size.
:func:`write` streams a dataset of any size to Parquet in bounded memory; every file is
labelled synthetic in its Parquet metadata (``aluna.synthetic = true``, generator, seed,
version). The generating processes are documented, parameter by parameter, in
``datasets-synthetic/DATA_CARD.md``.

Identifier columns hold pseudonyms of one recognisable form, :data:`PSEUDONYM_PATTERN`: a
lowercase kind, a colon and 16 lowercase hexadecimal digits (``phone:3fa94c0e12d87b55``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from aluna import _native
from aluna.datasets import Dataset, make_dataset
from aluna.exceptions import ArgumentError, InternalError

__all__ = [
    "GENERATORS",
    "PSEUDONYM_PATTERN",
    "SHIPPED",
    "careers_panel",
    "case_network",
    "command",
    "content_hash",
    "dataset_hashes",
    "generate",
    "is_pseudonym",
    "linkage_pair",
    "offender_cohort",
    "programme_evaluation",
    "victims",
    "write",
    "write_shipped",
]

#: Every synthetic pseudonym matches this: a lowercase kind, ``:``, 16 lowercase hex digits.
PSEUDONYM_PATTERN: str = _native.SYNTH_PSEUDONYM_PATTERN

#: Version of the generating processes: it changes whenever the same call would give other data.
GENERATOR_VERSION: int = _native.SYNTH_GENERATOR_VERSION

_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)

Tables = list[tuple[str, Any]]


@dataclass(frozen=True)
class _Spec:
    """How to call one generator: its sources of rows, units per source and fixed truth."""

    sources: Mapping[str, tuple[str, ...]]
    units: Callable[[dict[str, Any]], dict[str, int]]
    rows: Callable[[dict[str, Any], str, int, int, int | None], Tables]
    truth: Callable[[dict[str, Any]], Tables]
    rows_per_unit: Callable[[dict[str, Any]], float]
    streaming: bool = True


def _frames(tables: Tables) -> dict[str, pl.DataFrame]:
    return {name: pl.DataFrame(table) for name, table in tables}


_SPECS: dict[str, _Spec] = {
    "offender_cohort": _Spec(
        sources={"people": ("data", "truth.persons")},
        units=lambda a: {"people": a["n"]},
        rows=lambda a, _s, i, j, t: _native.synth_offender_cohort(a["n"], a["seed"], i, j, t),
        truth=lambda _a: _native.synth_offender_cohort_truth(),
        rows_per_unit=lambda _a: 1.0,
    ),
    "programme_evaluation": _Spec(
        sources={"people": ("data", "truth.persons")},
        units=lambda a: {"people": a["n"]},
        rows=lambda a, _s, i, j, t: _native.synth_programme_evaluation(
            a["n"], a["seed"], a["delayed_entry"], i, j, t
        ),
        truth=lambda _a: _native.synth_programme_evaluation_truth(),
        rows_per_unit=lambda _a: 1.0,
    ),
    "victims": _Spec(
        sources={"victims": ("data", "truth.persons")},
        units=lambda a: {"victims": a["n"]},
        rows=lambda a, _s, i, j, t: _native.synth_victims(a["n"], a["seed"], i, j, t),
        truth=lambda _a: _native.synth_victims_truth(),
        rows_per_unit=lambda _a: 3.0,
    ),
    "careers_panel": _Spec(
        sources={"people": ("data", "truth.persons")},
        units=lambda a: {"people": a["n"]},
        rows=lambda a, _s, i, j, t: _native.synth_careers_panel(
            a["n"], a["periods"], a["seed"], i, j, t, a.get("zero_inflation", 0.0)
        ),
        truth=lambda _a: _native.synth_careers_panel_truth(),
        rows_per_unit=lambda a: float(a["periods"]),
    ),
    "linkage_pair": _Spec(
        sources={
            "A": ("data", "truth.records_a", "truth.matches"),
            "B": ("agency_b", "truth.records_b"),
        },
        units=lambda a: {"A": a["n"], "B": a["n"]},
        rows=lambda a, s, i, j, t: _native.synth_linkage_pair(
            a["n"], a["overlap"], a["corruption"], a["seed"], s, i, j, t, a["duplicates"]
        ),
        truth=lambda a: _native.synth_linkage_pair_truth(
            a["n"], a["overlap"], a["corruption"], a["seed"], a["duplicates"]
        ),
        rows_per_unit=lambda _a: 1.0,
    ),
    "case_network": _Spec(
        sources={"network": ()},
        units=lambda _a: {"network": 1},
        rows=lambda a, _s, _i, _j, t: _native.synth_case_network(
            a["n_persons"], a["n_groups"], a["seed"], t
        ),
        truth=lambda _a: [],
        rows_per_unit=lambda _a: 1.0,
        streaming=False,
    ),
}

#: The generators, by name.
GENERATORS: tuple[str, ...] = tuple(sorted(_SPECS))

#: The datasets shipped in ``datasets-synthetic/``: name -> (generator, arguments).
SHIPPED: dict[str, tuple[str, dict[str, Any]]] = {
    "offender_cohort": ("offender_cohort", {"n": 10000, "seed": 20261123}),
    "case_links": ("case_network", {"n_persons": 600, "n_groups": 12, "seed": 20261123}),
    "programme_evaluation": (
        "programme_evaluation",
        {"n": 5000, "seed": 20261123, "delayed_entry": False},
    ),
    "programme_evaluation_delayed": (
        "programme_evaluation",
        {"n": 5000, "seed": 20261123, "delayed_entry": True},
    ),
    "victims": ("victims", {"n": 2000, "seed": 20261123}),
    "careers_panel": ("careers_panel", {"n": 1000, "periods": 20, "seed": 20261123}),
    "linkage_pair": (
        "linkage_pair",
        {"n": 2000, "overlap": 0.5, "corruption": 0.15, "seed": 20261123},
    ),
}


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` has the form of a synthetic aluna pseudonym (:data:`PSEUDONYM_PATTERN`).

    Examples
    --------
    >>> is_pseudonym("phone:3fa94c0e12d87b55"), is_pseudonym("+44 7700 900123")
    (True, False)
    """
    return _PSEUDONYM.fullmatch(value) is not None


# ------------------------------------------------------------------------------ arguments


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ArgumentError(f"argument `{name}`: expected an integer, got {value!r}")
    if value < low:
        raise ArgumentError(f"argument `{name}`: must be at least {low}, got {value}")
    return int(value)


def _check_seed(seed: Any) -> int:
    seed = _check_int("seed", seed, 0)
    if seed >= 2**64:
        raise ArgumentError(f"argument `seed`: must be below 2**64, got {seed}")
    return seed


def _check_fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ArgumentError(f"argument `{name}`: expected a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ArgumentError(f"argument `{name}`: must be between 0 and 1, got {value}")
    return float(value)


def _arguments(generator: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Checked, complete arguments of a generator (defaults filled in)."""
    if generator not in _SPECS:
        raise ArgumentError(
            f"argument `generator`: no generator {generator!r}; there are: {', '.join(GENERATORS)}"
        )
    defaults: dict[str, dict[str, Any]] = {
        "offender_cohort": {"n": 5000, "seed": 0},
        "case_network": {"n_persons": 600, "n_groups": 12, "seed": 0},
        "programme_evaluation": {"n": 4000, "seed": 0, "delayed_entry": False},
        "victims": {"n": 2000, "seed": 0},
        "careers_panel": {"n": 1000, "periods": 20, "seed": 0},
        "linkage_pair": {
            "n": 2000,
            "overlap": 0.5,
            "corruption": 0.1,
            "seed": 0,
            "duplicates": 0.0,
        },
    }
    # Optional arguments kept out of the defaults, so that datasets made without them record
    # the same arguments as before they existed.
    optional = {"careers_panel": {"zero_inflation"}}.get(generator, set())
    unknown = set(given) - set(defaults[generator]) - optional
    if unknown:
        raise ArgumentError(
            f"{generator}: unknown argument(s) {', '.join(sorted(unknown))}; it takes "
            f"{', '.join(defaults[generator])}"
        )
    args = {**defaults[generator], **given}
    args["seed"] = _check_seed(args["seed"])
    for name in ("n", "n_persons"):
        if name in args:
            args[name] = _check_int(name, args[name], 1)
    if "n_groups" in args:
        args["n_groups"] = _check_int("n_groups", args["n_groups"], 1)
    if "periods" in args:
        args["periods"] = _check_int("periods", args["periods"], 1)
    for name in ("overlap", "corruption", "duplicates"):
        if name in args:
            args[name] = _check_fraction(name, args[name])
    if args.get("duplicates", 0.0) and round(args["duplicates"] * args["n"]) >= args["n"]:
        raise ArgumentError(
            f"argument `duplicates`: must leave at least one person per agency (below 1), "
            f"got {args['duplicates']}"
        )
    if "delayed_entry" in args:
        args["delayed_entry"] = bool(args["delayed_entry"])
    if "zero_inflation" in args:
        value = args["zero_inflation"]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise ArgumentError(
                f"argument `zero_inflation`: expected a number in [0, 1), got {value!r}"
            )
        if not 0.0 <= float(value) < 1.0:
            raise ArgumentError(
                f"argument `zero_inflation`: must be at least 0 and below 1, got {value}"
            )
        if float(value) == 0.0:
            del args["zero_inflation"]
        else:
            args["zero_inflation"] = float(value)
    return args


def _metadata(name: str, generator: str, args: Mapping[str, Any]) -> dict[str, str]:
    from aluna import __version__

    return {
        "aluna.synthetic": "true",
        "aluna.dataset": name,
        "aluna.generator": generator,
        "aluna.generator_version": str(GENERATOR_VERSION),
        "aluna.arguments": json.dumps(dict(args), sort_keys=True),
        "aluna.seed": str(args["seed"]),
        "aluna.version": __version__,
    }


# ------------------------------------------------------------------------------ sample truth


def _programme_sums(data: pl.DataFrame, persons: pl.DataFrame) -> dict[str, float]:
    """Streamable sums behind the programme's sample effects."""
    frame = pl.DataFrame(
        {
            "participated": data["participated"],
            "observed": data["reoffended_2y"].cast(pl.Float64),
            "effect": persons["individual_effect_2y"].cast(pl.Float64),
        }
    )
    treated = frame.filter(pl.col("participated"))
    others = frame.filter(~pl.col("participated"))
    return {
        "n": float(frame.height),
        "n_treated": float(treated.height),
        "effect_all": float(frame["effect"].sum()),
        "effect_treated": float(treated["effect"].sum()),
        "observed_treated": float(treated["observed"].sum()),
        "observed_others": float(others["observed"].sum()),
    }


def _programme_effects(sums: Mapping[str, float], parameters: pl.DataFrame) -> pl.DataFrame:
    """The sample's true effects: ATT and ATE of the two-year outcome, and the naive contrast."""

    def ratio(a: float, b: float) -> float | None:
        return a / b if b else None

    n_others = sums["n"] - sums["n_treated"]
    log_hr = float(parameters.filter(pl.col("name") == "log_hazard_ratio")["value"][0])
    observed_treated = ratio(sums["observed_treated"], sums["n_treated"])
    observed_others = ratio(sums["observed_others"], n_others)
    naive = (
        observed_treated - observed_others
        if observed_treated is not None and observed_others is not None
        else None
    )
    rows = [
        (
            "att_2y",
            ratio(sums["effect_treated"], sums["n_treated"]),
            "mean individual effect on re-offending within two years among participants "
            "(risk difference)",
        ),
        (
            "ate_2y",
            ratio(sums["effect_all"], sums["n"]),
            "mean individual effect on re-offending within two years among everyone",
        ),
        (
            "naive_difference_2y",
            naive,
            "observed two-year re-offending of participants minus non-participants "
            "(confounded; not an effect)",
        ),
        ("log_hazard_ratio", log_hr, "the programme's true log hazard ratio"),
        ("participants", sums["n_treated"], "number of participants"),
        ("people", sums["n"], "number of people"),
    ]
    return pl.DataFrame(rows, schema=["estimand", "value", "description"], orient="row")


# ------------------------------------------------------------------------------ generation


def generate(
    generator: str,
    *,
    name: str | None = None,
    threads: int | None = None,
    **arguments: Any,
) -> Dataset:
    """Generate a synthetic dataset in memory.

    Parameters
    ----------
    generator
        One of :data:`GENERATORS`.
    name
        The dataset's name (default: the generator's).
    threads
        Threads to use (default: all cores). The content does not depend on it.
    **arguments
        The generator's arguments (see each generator).

    Returns
    -------
    Dataset
    """
    args = _arguments(generator, arguments)
    spec = _SPECS[generator]
    parts: dict[str, list[pl.DataFrame]] = {}
    step = _default_batch_units(spec, args)
    for source, units in spec.units(args).items():
        for start in range(0, max(units, 1), step):
            stop = min(units, start + step)
            for table, frame in _frames(spec.rows(args, source, start, stop, threads)).items():
                parts.setdefault(table, []).append(frame)
    tables = {k: pl.concat(v, rechunk=True) for k, v in parts.items()}
    tables.update(_frames(spec.truth(args)))
    if generator == "programme_evaluation":
        sums = _programme_sums(tables["data"], tables["truth.persons"])
        tables["truth.effects"] = _programme_effects(sums, tables["truth.parameters"])
    return make_dataset(name or generator, tables, _metadata(name or generator, generator, args))


def _default_batch_units(spec: _Spec, args: Mapping[str, Any], rows: int = 500_000) -> int:
    return max(1, int(rows / spec.rows_per_unit(args)))


def write(
    generator: str,
    directory: str | os.PathLike[str],
    *,
    name: str | None = None,
    batch_rows: int = 500_000,
    threads: int | None = None,
    **arguments: Any,
) -> list[Path]:
    """Generate a synthetic dataset straight to Parquet files, in bounded memory.

    Rows are generated ``batch_rows`` at a time in Rust and streamed to Parquet by polars
    (``LazyFrame.sink_parquet``), so memory stays bounded whatever the size. The files are
    ``NAME.parquet`` (main table), ``NAME.TABLE.parquet`` (further tables) and
    ``NAME.truth.TABLE.parquet`` (ground truth), each with Parquet metadata
    ``aluna.synthetic = true`` and the generator, its version, arguments, seed and aluna's
    version. The case network is built whole in memory, then written.

    Parameters
    ----------
    generator
        One of :data:`GENERATORS`.
    directory
        Folder to write into (created if needed).
    name
        File stem (default: the generator's name).
    batch_rows
        Rows per batch (about); memory grows with it, not with the dataset.
    threads
        Threads to generate with (default: all cores). The content does not depend on it.
    **arguments
        The generator's arguments.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> folder = tempfile.mkdtemp()
    >>> files = write("offender_cohort", folder, n=1000, seed=1)
    >>> [f.name for f in files]  # doctest: +NORMALIZE_WHITESPACE
    ['offender_cohort.parquet', 'offender_cohort.truth.persons.parquet',
     'offender_cohort.truth.coefficients.parquet', 'offender_cohort.truth.parameters.parquet']
    >>> pl.read_parquet_metadata(files[0])["aluna.synthetic"]
    'true'
    """
    args = _arguments(generator, arguments)
    batch_rows = _check_int("batch_rows", batch_rows, 1)
    stem = name or generator
    if not re.fullmatch(r"[a-z][a-z0-9_]*", stem):
        raise ArgumentError(
            f"argument `name`: expected lowercase letters, digits and underscores, got {stem!r}"
        )
    spec = _SPECS[generator]
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    meta = _metadata(stem, generator, args)
    if not spec.streaming:
        return generate(generator, name=stem, threads=threads, **args).write(out, name=stem)

    written: list[Path] = []
    step = _default_batch_units(spec, args, batch_rows)
    sums: dict[str, float] = {}
    accumulate = generator == "programme_evaluation"

    def target(table: str) -> Path:
        return out / (f"{stem}.parquet" if table == "data" else f"{stem}.{table}.parquet")

    for source, tables in spec.sources.items():
        # One pass per source: its first table is streamed to its file; the batches of the
        # others are spilled to part files beside it, then streamed into one file each.
        units = spec.units(args)[source]
        primary, companions = tables[0], tables[1:]
        with tempfile.TemporaryDirectory(dir=out, prefix=f".{stem}-") as scratch:
            stream = _Stream(spec, args, source, units, step, threads, Path(scratch))
            stream.lazy(primary, companions, sums if accumulate else None).sink_parquet(
                target(primary), metadata={**meta, "aluna.table": primary}
            )
            written.append(target(primary))
            for table in companions:
                parts = stream.spilled(table)
                if len(parts) != len(range(0, units, step)):  # pragma: no cover - polars' choice
                    raise InternalError(f"{table}: {len(parts)} batches were spilled")
                pl.scan_parquet(parts).sink_parquet(
                    target(table), metadata={**meta, "aluna.table": table}
                )
                written.append(target(table))
    fixed = _frames(spec.truth(args))
    if accumulate:
        fixed["truth.effects"] = _programme_effects(sums, fixed["truth.parameters"])
    for table, frame in fixed.items():
        frame.write_parquet(target(table), metadata={**meta, "aluna.table": table})
        written.append(target(table))
    return written


def _release_memory() -> None:
    """Hand freed memory back to the system between batches.

    Batches are allocated by aluna's threads and freed by polars' writer threads; glibc's
    per-thread arenas then keep the freed pages, and the process grows by about a batch per
    batch (2.3 GB for 10 million cohort rows, against 0.55 GB with this call). ``malloc_trim``
    returns them. Elsewhere than glibc this does nothing.
    """
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None


class _Stream:
    """Batches of one source, generated on demand for ``sink_parquet``; the tables other than
    the one streamed are spilled to part files so that each batch is generated once."""

    def __init__(
        self,
        spec: _Spec,
        args: dict[str, Any],
        source: str,
        units: int,
        step: int,
        threads: int | None,
        scratch: Path,
    ) -> None:
        self.spec, self.args, self.source = spec, args, source
        self.units, self.step, self.threads, self.scratch = units, step, threads, scratch

    def _batch(self, start: int) -> dict[str, pl.DataFrame]:
        stop = min(self.units, start + self.step)
        return _frames(self.spec.rows(self.args, self.source, start, stop, self.threads))

    def spilled(self, table: str) -> list[Path]:
        return sorted((self.scratch / table).glob("*.parquet"))

    def lazy(
        self, table: str, companions: tuple[str, ...], sums: dict[str, float] | None
    ) -> pl.LazyFrame:
        from polars.io.plugins import register_io_source

        first = self.spec.rows(self.args, self.source, 0, min(self.units, 1), self.threads)
        probe = _frames(first)[table]
        for companion in companions:
            (self.scratch / companion).mkdir()

        def batches(
            with_columns: list[str] | None,
            predicate: pl.Expr | None,
            n_rows: int | None,
            _batch_size: int | None,
        ) -> Iterator[pl.DataFrame]:
            for index, start in enumerate(range(0, self.units, self.step)):
                parts = self._batch(start)
                for companion in companions:
                    part = self.scratch / companion / f"{index:09d}.parquet"
                    parts[companion].write_parquet(part, compression="lz4")
                if sums is not None:
                    for key, value in _programme_sums(
                        parts["data"], parts["truth.persons"]
                    ).items():
                        sums[key] = sums.get(key, 0.0) + value
                frame = parts[table]
                del parts
                if with_columns is not None:
                    frame = frame.select(with_columns)
                if predicate is not None:
                    frame = frame.filter(predicate)
                yield frame
                del frame
                _release_memory()

        return register_io_source(batches, schema=probe.schema)


# ------------------------------------------------------------------------------ generators


def offender_cohort(n: int = 5000, seed: int = 0, *, threads: int | None = None) -> Dataset:
    r"""A cohort released after a sexual offence, with a known re-offending model.

    Static items in the shape of published actuarial tools (age at index offence and at
    release, prior sexual offences and sentencing dates, prior and index non-sexual violence,
    failure on conditional release, contact offending, unrelated, stranger and male victims, as
    in Static-99R [1]_ and CPORT [2]_), dynamic factors (substance misuse, employment, stable
    accommodation, sexual preoccupation), programme participation, a ``group`` attribute (A or
    B) with differing base rates, and follow-up.

    The time to sexual re-offending counts only days at risk (in the community): custody
    spells stop the clock. Its hazard is Weibull proportional hazards [3]_,

    .. math:: h(t \mid x) = \frac{k}{\lambda} \left(\frac{t}{\lambda}\right)^{k-1}
              \exp(\beta^\top x),\quad k = 0.8,\ \lambda = 18\,000 \text{ days},

    with the true :math:`\beta` in ``truth["coefficients"]`` (``group`` has none: base rates
    differ between groups only through the other items). Death (rate rising with age) and
    deportation (foreign nationals) compete with it (``event`` 2 and 3); follow-up ends on
    2024-12-31 or on loss to follow-up (``event`` 0). Missing values are planted at random
    (``employed`` by group, ``stable_accommodation`` by age: MAR), not at random
    (``substance_misuse`` and ``sexual_preoccupation`` by their hidden value: MNAR [4]_) and
    completely at random (``victim_male``). Rows lost to missing values do not bias a
    complete-case Cox fit here (missingness never depends on the outcome), but they do bias
    means. The true linear predictor reaches an AUC of about 0.73 for ``sexual_reoffence_5y``
    (0.70–0.75, as published for Static-99R and CPORT).

    Parameters
    ----------
    n
        Number of people.
    seed
        Seed of the random streams.
    threads
        Threads to use (default: all cores); the content does not depend on it.

    Returns
    -------
    Dataset
        ``data``: one row per person. ``truth``: ``coefficients`` (term, coefficient,
        hazard_ratio, description), ``parameters``, ``persons`` (linear predictor, true
        five-year risk, latent re-offending time, complete values of the columns with planted
        missing values).

    References
    ----------
    .. [1] Helmus, L., Thornton, D., Hanson, R. K., & Babchishin, K. M. (2012). Improving the
       predictive accuracy of Static-99 and Static-2002 with older sex offenders: revised age
       weights. Sexual Abuse 24(1), 64-101. https://doi.org/10.1177/1079063211409951
    .. [2] Seto, M. C., & Eke, A. W. (2015). Predicting recidivism among adult male child
       pornography offenders: development of the Child Pornography Offender Risk Tool (CPORT).
       Law and Human Behavior 39(4), 416-429. https://doi.org/10.1037/lhb0000128
    .. [3] Bender, R., Augustin, T., & Blettner, M. (2005). Generating survival times to
       simulate Cox proportional hazards models. Statistics in Medicine 24(11), 1713-1723.
       https://doi.org/10.1002/sim.2059
    .. [4] Rubin, D. B. (1976). Inference and missing data. Biometrika 63(3), 581-592.
       https://doi.org/10.1093/biomet/63.3.581

    Examples
    --------
    >>> from aluna import synth
    >>> cohort = synth.offender_cohort(2000, seed=1)
    >>> cohort.data.height, cohort.synthetic
    (2000, True)
    >>> cohort.truth["coefficients"].filter(pl.col("term") == "programme")["coefficient"].item()
    -0.25
    >>> sorted(cohort.data["event"].unique().to_list())
    [0, 1, 2, 3]
    """
    return generate("offender_cohort", n=n, seed=seed, threads=threads)


def case_network(
    n_persons: int = 600, n_groups: int = 12, seed: int = 0, *, threads: int | None = None
) -> Dataset:
    """Case records with pseudonymised identifiers, planted organised groups, and their links.

    People are members of ``n_groups`` planted organised groups (about half of the people;
    groups of at least three, sizes log-normal), lone offenders (15%), victims (25%) and
    witnesses (8%). About half the groups take part in child sexual exploitation, most of
    those also in drug trafficking, fraud or trafficking in persons; the rest only in those.
    Crime types carry UN ICCS codes [1]_ (``crime_type``) and a readable ``crime_label``.

    Identifiers are pseudonyms matching :data:`PSEUDONYM_PATTERN`. Group members share burner
    phones, devices, accounts, payment accounts and matches of one image hash; a group's victims
    share its phones and accounts, and a lone offender's victims share his phone or account.
    Hub identifiers join unrelated people: public IP addresses (about 16 users each, linked) and
    six platforms (each used by about an eighth of everyone, kept out of the links). Every person
    appears in at least one dated case within their group's active period.

    Parameters
    ----------
    n_persons
        Number of people (at least 20).
    n_groups
        Number of planted groups (each needs three of the about 52% of people in groups).
    seed
        Seed of the random streams.
    threads
        Threads to use (default: all cores); the content does not depend on it.

    Returns
    -------
    Dataset
        ``data``: the links (``source``, ``target``, ``link_type``, ``seen``, ``weight``),
        ready for :meth:`aluna.CaseGraph.from_edges`. ``tables``: ``records`` (one row per
        identifier seen with a person in a case) and ``persons`` (``person_id``, ``role``).
        ``truth``: ``persons`` (planted ``group``, -1 for none; ``position``), ``groups``
        (size, victims, crime profile, active period), ``identifiers`` (kind, hub, owning
        group, users), ``crime_types`` (ICCS codes and names).

    References
    ----------
    .. [1] UNODC (2015). International Classification of Crime for Statistical Purposes
       (ICCS), version 1.0. Vienna: United Nations Office on Drugs and Crime.

    Examples
    --------
    >>> from aluna import synth
    >>> net = synth.case_network(300, 5, seed=1)
    >>> net.tables["persons"].height
    300
    >>> net.truth["groups"].height
    5
    >>> all(synth.is_pseudonym(i) for i in net.tables["records"]["identifier"].drop_nulls())
    True
    """
    return generate(
        "case_network", n_persons=n_persons, n_groups=n_groups, seed=seed, threads=threads
    )


def programme_evaluation(
    n: int = 4000, seed: int = 0, delayed_entry: bool = False, *, threads: int | None = None
) -> Dataset:
    r"""A prevention programme with confounded participation and a known effect.

    Participation follows a logistic model of measured covariates (motivation, risk score,
    employment, substance misuse, age) that also drive re-offending; there is no unmeasured
    confounding. Re-offending is Weibull proportional hazards with the programme's log hazard
    ratio :math:`\gamma = \ln 0.70`. Both potential re-offending times of each person come
    from one exponential draw, so every individual effect on re-offending within two years,
    :math:`Y_i(1) - Y_i(0)`, is known; ``truth["effects"]`` states the sample's ATT and ATE as
    their means and the confounded naive contrast.

    With ``delayed_entry=True`` a would-be participant joins at a start day 30–540 days after
    release, from when the hazard ratio applies, and only if not re-offended before: those
    who re-offend first are recorded as non-participants. Treating ``participated`` as fixed
    from release credits the programme with the participants' event-free wait: immortal-time
    bias [1]_. Split follow-up at ``programme_start_day`` (time-varying exposure) instead.

    Parameters
    ----------
    n
        Number of people.
    seed
        Seed of the random streams.
    delayed_entry
        Participants join after release (the immortal-time design).
    threads
        Threads to use (default: all cores); the content does not depend on it.

    Returns
    -------
    Dataset
        ``data``: one row per person. ``truth``: ``coefficients`` (outcome and participation
        models), ``parameters``, ``persons`` (propensity, potential times and two-year
        outcomes, individual effect, true risks), ``effects`` (ATT, ATE, naive contrast).

    References
    ----------
    .. [1] Suissa, S. (2008). Immortal time bias in pharmacoepidemiology. American Journal of
       Epidemiology 167(4), 492-499. https://doi.org/10.1093/aje/kwm324

    Examples
    --------
    >>> from aluna import synth
    >>> study = synth.programme_evaluation(3000, seed=2)
    >>> effects = dict(study.truth["effects"].select("estimand", "value").iter_rows())
    >>> round(effects["log_hazard_ratio"], 4)
    -0.3567
    >>> effects["att_2y"] == study.truth["persons"].filter(study.data["participated"])[
    ...     "individual_effect_2y"].mean()
    True
    """
    return generate(
        "programme_evaluation", n=n, seed=seed, delayed_entry=delayed_entry, threads=threads
    )


def victims(n: int = 2000, seed: int = 0, *, threads: int | None = None) -> Dataset:
    r"""Children and young people followed for re-victimisation after a first exploitation.

    Re-victimisations form a Poisson process with intensity
    :math:`Z_i \exp(\beta^\top x_i)\, \frac{d}{dt} (t / 300)^{0.85}`, with a gamma frailty
    :math:`Z_i` of mean 1 and variance 0.6. Risk factors (in care, missing episodes, online
    first contact, earlier victimisations), protective factors (a trusted adult, engagement in
    school) and specialist support (given more often to those at higher risk) have the true
    log rate ratios in ``truth["coefficients"]``; an Andersen-Gill model [1]_ with robust
    errors [2]_ recovers them. Follow-up lasts one to four years.

    Parameters
    ----------
    n
        Number of victims.
    seed
        Seed of the random streams.
    threads
        Threads to use (default: all cores); the content does not depend on it.

    Returns
    -------
    Dataset
        ``data``: counting-process rows (``victim_id``, ``episode``, ``start_day``,
        ``stop_day``, ``event``) with the covariates. ``truth``: ``coefficients``,
        ``parameters``, ``persons`` (frailty, linear predictor, expected and actual events).

    References
    ----------
    .. [1] Andersen, P. K., & Gill, R. D. (1982). Cox's regression model for counting
       processes: a large sample study. Annals of Statistics 10(4), 1100-1120.
       https://doi.org/10.1214/aos/1176345976
    .. [2] Lin, D. Y., Wei, L. J., Yang, I., & Ying, Z. (2000). Semiparametric regression for
       the mean and rate functions of recurrent events. Journal of the Royal Statistical
       Society B 62(4), 711-730. https://doi.org/10.1111/1467-9868.00259

    Examples
    --------
    >>> from aluna import synth
    >>> v = synth.victims(500, seed=3)
    >>> v.data["victim_id"].n_unique(), v.truth["persons"].height
    (500, 500)
    >>> int(v.data["event"].sum()) == int(v.truth["persons"]["events"].sum())
    True
    """
    return generate("victims", n=n, seed=seed, threads=threads)


def careers_panel(
    n: int = 1000,
    periods: int = 20,
    seed: int = 0,
    *,
    zero_inflation: float = 0.0,
    threads: int | None = None,
) -> Dataset:
    r"""Yearly offence counts by type from age 12, with planted trajectory groups.

    Each person belongs to one of four groups (rare 55%, adolescence-limited 25%, late onset
    8%, chronic 12%). In group :math:`g` the yearly count at age :math:`a` is Poisson with mean
    :math:`\exp(b_{0g} + b_{1g} x + b_{2g} x^2)`, :math:`x = (a - 20)/10`, as in group-based
    trajectory models [1]_, split over sexual, violent, theft, drug and fraud offences by the
    group's shares (the late-onset group is the most sexual).

    Parameters
    ----------
    n
        Number of people.
    periods
        Years per person (1 to 60), from age 12.
    seed
        Seed of the random streams.
    zero_inflation
        Probability that a person-year is a structural zero (no offence of any type, e.g. a
        year in custody or abroad), independently over person-years: the counts then follow a
        zero-inflated Poisson trajectory model. 0 (the default) gives the same panel as
        without the option.
    threads
        Threads to use (default: all cores); the content does not depend on it.

    Returns
    -------
    Dataset
        ``data``: one row per person and year. ``truth``: ``persons`` (trajectory group of
        each person), ``groups`` (shares, polynomial coefficients, peak age, offence mix).

    References
    ----------
    .. [1] Nagin, D. S., & Land, K. C. (1993). Age, criminal careers, and population
       heterogeneity: specification and estimation of a nonparametric, mixed Poisson model.
       Criminology 31(3), 327-362. https://doi.org/10.1111/j.1745-9125.1993.tb01133.x

    Examples
    --------
    >>> from aluna import synth
    >>> panel = synth.careers_panel(100, periods=10, seed=4)
    >>> panel.data.height
    1000
    >>> panel.truth["groups"]["trajectory"].to_list()
    ['rare', 'adolescence_limited', 'late_onset', 'chronic']
    """
    extra = {"zero_inflation": zero_inflation} if zero_inflation else {}
    return generate("careers_panel", n=n, periods=periods, seed=seed, threads=threads, **extra)


def linkage_pair(
    n: int = 2000,
    overlap: float = 0.5,
    corruption: float = 0.1,
    seed: int = 0,
    *,
    duplicates: float = 0.0,
    threads: int | None = None,
) -> Dataset:
    """Two agencies' records about partly the same made-up people, with the true matches.

    Each agency holds ``n`` records (first name, last name, date of birth, sex, postcode);
    ``round(overlap * n)`` people are in both. With ``duplicates > 0`` an agency holds
    ``m = n - round(duplicates * n)`` people and its other records are further records of
    them (each person drawn uniformly), so one person can have several records in each
    agency and the matches are many-to-many; then ``round(overlap * m)`` people are in
    both. Each agency's copy of each field (each record's, with duplicates) is corrupted with
    probability ``corruption``: typing errors (substitution, deletion, insertion,
    transposition), nicknames, name changes, day-month swaps and off-by-one dates, moves,
    flipped sex or a missing value [1]_; first and last names are swapped with probability
    ``corruption / 5``. Agency B writes names in upper case. Names follow Zipf-like
    frequencies, so common names collide; postcodes use the fictional area ``ZZ``.

    Parameters
    ----------
    n
        Records per agency.
    overlap
        Share of agency A's people also in agency B, in [0, 1].
    corruption
        Probability that an agency's copy of a field is corrupted, in [0, 1].
    seed
        Seed of the random streams.
    duplicates
        Share of each agency's records that are further records of a person it already
        holds, in [0, 1). 0 (the default) gives one record per person; the data are then
        the same as before this option existed.
    threads
        Threads to use (default: all cores); the content does not depend on it.

    Returns
    -------
    Dataset
        ``data``: agency A's records; ``tables["agency_b"]``: agency B's. ``truth``:
        ``matches`` (``record_id_a``, ``record_id_b``: every pair of records of the same
        person), ``records_a`` and ``records_b`` (the true person behind each record and what
        was corrupted), ``parameters``.

    References
    ----------
    .. [1] Christen, P. (2012). Data Matching. Springer.
       https://doi.org/10.1007/978-3-642-31164-2

    Examples
    --------
    >>> from aluna import synth
    >>> pair = synth.linkage_pair(1000, overlap=0.3, corruption=0.1, seed=5)
    >>> pair.truth["matches"].height
    300
    >>> pair.data.columns
    ['record_id', 'first_name', 'last_name', 'date_of_birth', 'sex', 'postcode']
    >>> many = synth.linkage_pair(1000, overlap=0.3, corruption=0.1, seed=5, duplicates=0.2)
    >>> many.truth["records_a"]["person"].n_unique(), many.truth["matches"].height > 240
    (800, True)
    """
    return generate(
        "linkage_pair",
        n=n,
        overlap=overlap,
        corruption=corruption,
        seed=seed,
        duplicates=duplicates,
        threads=threads,
    )


# ------------------------------------------------------------------------------ content hash


def content_hash(frame: pl.DataFrame) -> str:
    """A SHA-256 of a table's content, independent of file format, chunking and metadata.

    The hash covers the number of rows, then for each column in order its name, a logical
    kind, its null mask and its values in a canonical encoding: integers as little-endian
    int64, floats as float64 bits, booleans as bytes, dates as int64 days, strings as UTF-8
    with a length before each. Two tables with the same content have the same hash whatever
    their integer widths, Parquet writer, compression or row groups.

    Examples
    --------
    >>> a = pl.DataFrame({"x": [1, 2, None], "s": ["a", "bc", None]})
    >>> b = a.with_columns(pl.col("x").cast(pl.Int32))
    >>> content_hash(a) == content_hash(b)
    True
    >>> content_hash(a) == content_hash(a.reverse())
    False
    """
    h = hashlib.sha256(b"aluna-content-v1\0")
    h.update(struct.pack("<q", frame.height))
    for series in frame.get_columns():
        kind, values = _canonical(series)
        h.update(series.name.encode() + b"\0" + kind + b"\0")
        h.update(np.asarray(series.is_null().to_numpy(), dtype=np.uint8).tobytes())
        h.update(values)
    return h.hexdigest()


def _canonical(series: pl.Series) -> tuple[bytes, bytes]:
    dtype = series.dtype
    if dtype == pl.Boolean:
        values = series.fill_null(False).cast(pl.UInt8).to_numpy()
        return b"bool", np.asarray(values, dtype=np.uint8).tobytes()
    if dtype.is_integer():
        values = series.cast(pl.Int64).fill_null(0).to_numpy()
        return b"int", np.asarray(values, dtype="<i8").tobytes()
    if dtype.is_float():
        values = series.cast(pl.Float64).fill_null(0.0).to_numpy()
        return b"float", np.asarray(values, dtype="<f8").tobytes()
    if dtype == pl.Date:
        values = series.cast(pl.Int32).cast(pl.Int64).fill_null(0).to_numpy()
        return b"date", np.asarray(values, dtype="<i8").tobytes()
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = series.cast(pl.String).fill_null("")
        lengths = np.asarray(text.str.len_bytes().to_numpy(), dtype="<u8").tobytes()
        joined = text.str.join("").item() if text.len() else ""
        return b"str", lengths + joined.encode()
    raise ArgumentError(
        f"content_hash: column `{series.name}` has type {dtype}, which has no canonical encoding"
    )


# ------------------------------------------------------------------------------ shipped data

_FLAGS = {
    "n": "--n",
    "n_persons": "--n",
    "n_groups": "--groups",
    "periods": "--periods",
    "overlap": "--overlap",
    "corruption": "--corruption",
    "duplicates": "--duplicates",
    "seed": "--seed",
}


def command(name: str, directory: str = "datasets-synthetic") -> str:
    """The ``aluna synth`` command that regenerates the shipped dataset ``name``.

    Examples
    --------
    >>> command("case_links").split()  # doctest: +NORMALIZE_WHITESPACE
    ['aluna', 'synth', 'case_network', '--n', '600', '--groups', '12', '--seed', '20261123',
     '--name', 'case_links', '--out', 'datasets-synthetic']
    """
    if name not in SHIPPED:
        raise ArgumentError(
            f"argument `name`: no shipped dataset {name!r}; there are: {', '.join(SHIPPED)}"
        )
    generator, args = SHIPPED[name]
    words = ["aluna", "synth", generator]
    for key, value in args.items():
        if key == "delayed_entry":
            words += ["--delayed-entry"] if value else []
        else:
            words += [_FLAGS[key], str(value)]
    if name != generator:
        words += ["--name", name]
    return " ".join([*words, "--out", directory])


def dataset_hashes(directory: str | os.PathLike[str], name: str) -> dict[str, str]:
    """The :func:`content_hash` of every table of the dataset ``name`` written in ``directory``."""
    folder = Path(directory)
    hashes = {"data": content_hash(pl.read_parquet(folder / f"{name}.parquet"))}
    for file in sorted(folder.glob(f"{name}.*.parquet")):
        table = file.name.removeprefix(f"{name}.").removesuffix(".parquet")
        hashes[table] = content_hash(pl.read_parquet(file))
    return hashes


def write_shipped(
    directory: str | os.PathLike[str], *, threads: int | None = None
) -> dict[str, dict[str, str]]:
    """Regenerate every shipped dataset into ``directory`` and write its ``MANIFEST.json``.

    The manifest records, for each dataset, its generator, arguments, the command that makes
    it and the :func:`content_hash` of each of its tables. Returns the hashes by dataset.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "note": "Synthetic data. Hashes are aluna.synth.content_hash of each table's content "
        "(not of the file bytes); regenerate with: aluna synth shipped --out datasets-synthetic",
        "generator_version": GENERATOR_VERSION,
        "datasets": {},
    }
    hashes = {}
    for name, (generator, args) in SHIPPED.items():
        for stale in [out / f"{name}.parquet", *out.glob(f"{name}.*.parquet")]:
            stale.unlink(missing_ok=True)
        write(generator, out, name=name, threads=threads, **args)
        hashes[name] = dataset_hashes(out, name)
        manifest["datasets"][name] = {
            "generator": generator,
            "arguments": args,
            "command": command(name),
            "tables": hashes[name],
        }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return hashes
