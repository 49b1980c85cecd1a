"""aluna: research analytics against child sexual abuse and exploitation and the organised crime
around it.

Case-link graphs and their network features, re-offending risk models, programme evaluation and
privacy protection, computed in Rust and used from Python with polars DataFrames. All data
aluna ships are synthetic; data about people that you bring stay pseudonymised, which is still
personal data.
"""

from aluna import careers, datasets, exceptions, privacy, risk, synth
from aluna._native import __version__
from aluna.exceptions import AlunaError
from aluna.graph import CaseGraph

__all__ = [
    "AlunaError",
    "CaseGraph",
    "__version__",
    "careers",
    "datasets",
    "exceptions",
    "privacy",
    "risk",
    "synth",
]
