"""Privacy protection for data about people: keyed pseudonymisation, identifier detection,
disclosure control and privacy-preserving record linkage between agencies.

Pseudonymised data are still personal data: say "pseudonymised", never "anonymised".
The rules of use are in ``docs/responsible-use.md``.

- **Keys and pseudonyms**: :class:`Key` (from an environment variable, a key file or a hidden
  prompt; never shown, logged or pickled), :func:`pseudonymise`, :data:`PSEUDONYM_PATTERN`,
  :func:`is_pseudonym`.
- **Identifiers**: :func:`find_identifiers`, :func:`warn_identifiers` (for loaders and
  reports).
- **Microdata**: :func:`k_anonymity`, :func:`l_diversity`, :func:`reidentification_risk`,
  and the helpers that lower the risk: :func:`bin_ages`, :func:`truncate_dates`,
  :func:`suppress_rare`.
- **Published tables**: :func:`suppress_small_cells` (with secondary suppression and an
  audit), :func:`noisy_counts` (differential privacy with the budget reported).
- **Linkage between agencies**: :func:`encode_for_linkage`, :func:`link`,
  :func:`one_to_one`, :func:`linkage_quality`, :func:`linkage_bands` (blocking keys
  for large tables).
- **Cards**: :class:`ModelCard`, :class:`DataCard`.
"""

from aluna.privacy._cards import (
    DEFAULT_OUT_OF_SCOPE,
    REARREST_LABEL_BIAS,
    RESPONSIBLE_USE,
    DataCard,
    ModelCard,
)
from aluna.privacy._disclosure import (
    KAnonymity,
    LDiversity,
    ReidentificationRisk,
    bin_ages,
    k_anonymity,
    l_diversity,
    reidentification_risk,
    suppress_rare,
    truncate_dates,
)
from aluna.privacy._identifiers import IDENTIFIER_TYPES, find_identifiers, warn_identifiers
from aluna.privacy._keys import PSEUDONYM_PATTERN, Key, is_pseudonym, pseudonymise
from aluna.privacy._linkage import (
    DEFAULT_BANDS,
    DEFAULT_THRESHOLD,
    LinkageQuality,
    encode_for_linkage,
    link,
    linkage_bands,
    linkage_quality,
    one_to_one,
)
from aluna.privacy._tables import NoisyCounts, SuppressedTable, noisy_counts, suppress_small_cells

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_OUT_OF_SCOPE",
    "DEFAULT_THRESHOLD",
    "IDENTIFIER_TYPES",
    "PSEUDONYM_PATTERN",
    "REARREST_LABEL_BIAS",
    "RESPONSIBLE_USE",
    "DataCard",
    "KAnonymity",
    "Key",
    "LDiversity",
    "LinkageQuality",
    "ModelCard",
    "NoisyCounts",
    "ReidentificationRisk",
    "SuppressedTable",
    "bin_ages",
    "encode_for_linkage",
    "find_identifiers",
    "is_pseudonym",
    "k_anonymity",
    "l_diversity",
    "link",
    "linkage_bands",
    "linkage_quality",
    "noisy_counts",
    "one_to_one",
    "pseudonymise",
    "reidentification_risk",
    "suppress_rare",
    "suppress_small_cells",
    "truncate_dates",
    "warn_identifiers",
]
