"""The exceptions and warnings aluna raises.

Every error derives from :class:`AlunaError`; errors caused by bad input also derive from
:class:`ValueError`, so ``except ValueError`` keeps working in code written for pandas or
scikit-learn. Messages name the column, the row or node, and what was expected.
"""

from __future__ import annotations

__all__ = [
    "AlunaError",
    "AlunaWarning",
    "ArgumentError",
    "BadValueError",
    "ColumnError",
    "ConvergenceError",
    "ConvergenceWarning",
    "DisclosureWarning",
    "DuplicateError",
    "EmptyInputError",
    "HubValueWarning",
    "IdentifierWarning",
    "InputError",
    "InternalError",
    "KeyWarning",
    "NotDefinedError",
    "NotFittedError",
    "SingularError",
    "UnknownNodeError",
]


class AlunaError(Exception):
    """Base class of every error aluna raises."""


class InputError(AlunaError, ValueError):
    """The input cannot be used as given."""


class ColumnError(InputError):
    """A column is missing or has a data type the operation cannot use."""


class BadValueError(InputError):
    """A value is null, NaN, negative or otherwise outside what is accepted (names the row)."""


class DuplicateError(InputError):
    """Rows that must be unique are not."""


class EmptyInputError(InputError):
    """The input has nothing in it where something is required."""


class UnknownNodeError(InputError):
    """A node id that the graph does not hold."""


class ArgumentError(InputError):
    """An argument has a value the operation cannot use."""


class SingularError(InputError):
    """The design matrix is singular: constant or collinear covariates (named in the message)."""


class NotDefinedError(AlunaError, ValueError):
    """The quantity is not defined for this input (e.g. eigenvector centrality, disconnected)."""


class ConvergenceError(AlunaError, RuntimeError):
    """An iterative method did not converge."""


class NotFittedError(AlunaError, AttributeError):
    """A model was used before ``fit``."""


class InternalError(AlunaError, RuntimeError):
    """aluna hit a bug; please report it with the call that caused it."""


class AlunaWarning(UserWarning):
    """Base class of aluna's warnings: what was seen, why it matters, what to try."""


class IdentifierWarning(AlunaWarning):
    """A table holds columns that look like direct identifiers (names, phone numbers, ...)."""


class ConvergenceWarning(AlunaWarning):
    """A fit converged poorly or its estimates are unreliable."""


class KeyWarning(AlunaWarning):
    """A secret key is kept in a way that others may read it (e.g. a world-readable key file)."""


class DisclosureWarning(AlunaWarning):
    """A table may still disclose individuals (e.g. a small cell that totals reveal)."""


class HubValueWarning(AlunaWarning):
    """Identifier values shared by very many entities were dropped while linking records."""
