"""aluna: research analytics against child sexual abuse and exploitation and the organised crime
around it.

Case-link graphs and their network features, re-offending risk models, programme evaluation and
privacy protection, computed in Rust and used from Python with polars DataFrames. All data
aluna ships are synthetic; data about people that you bring stay pseudonymised, which is still
personal data.
"""

from aluna import (
    careers,
    datasets,
    evaluate,
    exceptions,
    exchange,
    iccs,
    privacy,
    risk,
    scale,
    synth,
    temporal,
)
from aluna._native import __version__
from aluna.exceptions import AlunaError
from aluna.graph import CaseGraph
from aluna.involvement import cross_crime_involvement
from aluna.records import co_offending, link_records

__all__ = [
    "AlunaError",
    "CaseGraph",
    "__version__",
    "careers",
    "co_offending",
    "cross_crime_involvement",
    "datasets",
    "evaluate",
    "exceptions",
    "exchange",
    "iccs",
    "link_records",
    "privacy",
    "risk",
    "scale",
    "synth",
    "temporal",
]
