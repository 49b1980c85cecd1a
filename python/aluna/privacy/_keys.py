"""Secret keys and keyed pseudonymisation."""

from __future__ import annotations

import getpass
import html
import os
import re
import stat
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import polars as pl

from aluna import _native
from aluna._interop import to_polars
from aluna.exceptions import ArgumentError, ColumnError, KeyWarning
from aluna.privacy._frames import column_list, frame, require_columns

__all__ = ["PSEUDONYM_PATTERN", "Key", "is_pseudonym", "pseudonymise"]

#: The regular expression every text pseudonym matches: a kind (a lowercase ASCII letter, then
#: up to 31 lowercase letters, digits or ``_``), a colon and 16 lowercase hex digits, e.g.
#: ``phone:9f2c41d0aa1377b2``. :func:`find_identifiers` does not flag columns whose values
#: match it.
PSEUDONYM_PATTERN: str = _native.PSEUDONYM_PATTERN

_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)


def is_pseudonym(value: object) -> bool:
    """Whether ``value`` is an aluna text pseudonym (matches :data:`PSEUDONYM_PATTERN`).

    Examples
    --------
    >>> from aluna.privacy import is_pseudonym
    >>> is_pseudonym("phone:9f2c41d0aa1377b2"), is_pseudonym("+44 20 7946 0018")
    (True, False)
    """
    return isinstance(value, str) and _PSEUDONYM.match(value) is not None


class Key:
    """A secret key for pseudonymisation and linkage encodings.

    Make one from an environment variable (:meth:`from_env`), a key file you manage
    (:meth:`from_file`) or a hidden prompt (:meth:`prompt`) — never by typing the key into a
    notebook cell, where it would stay in the history and the saved notebook. The key's bytes
    are held in Rust memory that is overwritten when the key is dropped; aluna never writes,
    logs, pickles or shows them. Its public :attr:`fingerprint` names the key in records and
    data cards: the first 8 bytes of HMAC-SHA256(key, "aluna key fingerprint v1") in hex.

    Anyone who holds the key can recompute every pseudonym from a known value, so data
    pseudonymised with it are still personal data.

    Examples
    --------
    >>> import os
    >>> from aluna.privacy import Key
    >>> key = Key.from_env("ALUNA_TEST_KEY")  # a synthetic key the test setup exports
    >>> key
    Key(fingerprint='18657610bb754467', source='environment variable ALUNA_TEST_KEY')
    >>> os.environ["ALUNA_TEST_KEY"] in repr(key)
    False
    """

    __slots__ = ("_native", "_source")

    _native: _native.PrivacyKey
    _source: str

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        raise TypeError(
            "make a Key with Key.from_env(NAME), Key.from_file(PATH) or Key.prompt(); never "
            "type a key into a notebook cell, where it would be saved with the notebook"
        )

    @classmethod
    def _wrap(cls, native: _native.PrivacyKey, source: str) -> Key:
        self = object.__new__(cls)
        object.__setattr__(self, "_native", native)
        object.__setattr__(self, "_source", source)
        return self

    @classmethod
    def from_env(cls, name: str = "ALUNA_KEY") -> Key:
        """The key in environment variable ``name`` (its bytes as they are; at least 16).

        Set the variable outside the notebook, e.g. in the shell that starts Jupyter or in a
        secrets manager that exports it.

        Raises
        ------
        ArgumentError
            The variable is not set or holds fewer than 16 bytes.
        """
        return cls._wrap(_native.PrivacyKey.from_env(name), f"environment variable {name}")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Key:
        """The key in a file you manage (its bytes, one trailing line ending removed).

        Make one with ``openssl rand -hex 32 > aluna.key && chmod 600 aluna.key``. A file
        that others on the machine can read raises a :class:`~aluna.exceptions.KeyWarning`.

        Raises
        ------
        AlunaError
            The file cannot be read.
        ArgumentError
            The file holds fewer than 16 bytes.
        """
        file = Path(path)
        if os.name == "posix" and file.exists():
            mode = file.stat().st_mode
            if mode & (stat.S_IRGRP | stat.S_IROTH):
                warnings.warn(
                    KeyWarning(
                        f"the key file {file} can be read by other users (mode "
                        f"{stat.filemode(mode)}); restrict it with `chmod 600 {file}`"
                    ),
                    stacklevel=2,
                )
        return cls._wrap(_native.PrivacyKey.from_file(str(file)), f"file {file.name}")

    @classmethod
    def prompt(cls, message: str = "aluna key: ") -> Key:
        """The key typed at a hidden prompt (nothing is echoed or kept in the history)."""
        typed = getpass.getpass(message)
        try:
            return cls._wrap(_native.PrivacyKey.from_prompt(typed.encode()), "prompt")
        finally:
            del typed

    @property
    def fingerprint(self) -> str:
        """The public fingerprint: 16 hex digits that name the key without revealing it."""
        return self._native.fingerprint()

    @property
    def source(self) -> str:
        """Where the key came from (the variable or file name, never its content)."""
        return self._source

    def __repr__(self) -> str:
        return f"Key(fingerprint={self.fingerprint!r}, source={self._source!r})"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<code>{html.escape(repr(self))}</code>"

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a Key cannot be changed")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(
            "an aluna.privacy.Key cannot be pickled: keys are never written anywhere by aluna; "
            "load it again with Key.from_env or Key.from_file where it is needed"
        )

    def __reduce__(self) -> NoReturn:
        self.__reduce_ex__(2)

    def __getstate__(self) -> NoReturn:
        self.__reduce_ex__(2)

    def __copy__(self) -> Key:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Key:
        return self


def _kind_from_name(name: str) -> str:
    """A token kind from a column name: ASCII lowercase, other characters as ``_``."""
    text = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if not text:
        return "id"
    if not text[0].isalpha():
        text = "c_" + text
    return text[:32].rstrip("_")


_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)
_TEMPORAL = (pl.Date, pl.Datetime, pl.Time)


def pseudonymise(
    df: Any,
    columns: str | Iterable[str] | Mapping[str, str],
    key: Key,
    *,
    kind: str | None = None,
    integer: bool = False,
    threads: int | None = None,
) -> pl.DataFrame:
    r"""Replace identifier columns by keyed HMAC-SHA256 pseudonyms.

    The token of a value :math:`v` of kind :math:`k` is computed from
    :math:`\mathrm{mac} = \mathrm{HMAC\text{-}SHA256}(\mathit{key}, k \| \mathtt{0x1F} \| v)`
    (RFC 2104; :math:`v` as UTF-8, integers in decimal digits, dates in ISO 8601) and written
    as ``k:`` plus the first 8 bytes of :math:`\mathrm{mac}` in 16 lowercase hex digits
    (``phone:9f2c41d0aa1377b2``, matching :data:`PSEUDONYM_PATTERN`), or with
    ``integer=True`` as those 8 bytes read big-endian with the top bit cleared (a
    non-negative ``Int64``). The same key, kind and value always give the same token, so
    tables pseudonymised with one key still join; the kind separates domains (the same digits
    as a phone number and as a case number give unrelated tokens). Nulls stay null.

    The result is pseudonymised, not anonymised: whoever holds the key can recompute a token
    from a known value, and the other columns may still single people out.

    Parameters
    ----------
    df
        The table (polars, pandas, pyarrow or any Arrow stream).
    columns
        Columns to replace: a name, a list of names, or a mapping from column to kind.
    key
        The secret :class:`Key`.
    kind
        The kind for every column (default: each column's name in lowercase ASCII). Give
        the same kind to columns in different tables that should join (``{"phone_number":
        "phone"}`` here and ``"phone"`` there).
    integer
        Write 64-bit integers instead of text tokens (smaller and faster to join; not
        recognisable as pseudonyms by :func:`find_identifiers`).
    threads
        Threads to hash with (default: all cores). The result does not depend on it.

    Returns
    -------
    polars.DataFrame
        ``df`` with the named columns replaced.

    Raises
    ------
    ColumnError
        A named column is missing or holds floats or booleans (cast them to text first).
    ArgumentError
        A kind is not ``[a-z][a-z0-9_]{0,31}``.

    References
    ----------
    .. [1] Krawczyk, H., Bellare, M. & Canetti, R. (1997). HMAC: keyed-hashing for message
       authentication. RFC 2104. https://doi.org/10.17487/RFC2104

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.privacy import Key, pseudonymise
    >>> key = Key.from_env("ALUNA_TEST_KEY")
    >>> df = pl.DataFrame({"phone": ["0151 1234567", None, "0151 1234567"], "n": [1, 2, 3]})
    >>> pseudonymise(df, "phone", key).rows()
    [('phone:5834f3dd566684e1', 1), (None, 2), ('phone:5834f3dd566684e1', 3)]
    """
    if not isinstance(key, Key):
        raise ArgumentError(
            f"argument `key`: expected an aluna.privacy.Key, got {type(key).__name__}; make "
            "one with Key.from_env, Key.from_file or Key.prompt"
        )
    data = frame(df, what="pseudonymise")
    if isinstance(columns, Mapping):
        kinds = {str(c): str(k) for c, k in columns.items()}
    else:
        names = column_list(columns, what="columns")
        kinds = {c: kind if kind is not None else _kind_from_name(c) for c in names}
    require_columns(data, kinds, what="pseudonymise")
    replaced = []
    for column, token_kind in kinds.items():
        series = data[column]
        if isinstance(series.dtype, (*_TEXT_TYPES, *_TEMPORAL)):
            series = series.cast(pl.String)
        elif not series.dtype.is_integer() and series.dtype != pl.Null:
            raise ColumnError(
                f"pseudonymise: column `{column}` holds {series.dtype}; expected text, integers "
                "or dates (cast floats or booleans to text first if they really are identifiers)"
            )
        if series.dtype == pl.Null:
            series = series.cast(pl.String)
        out = to_polars(
            _native.pseudonymise(
                series.to_frame(),
                column,
                key._native,
                token_kind,
                integer=integer,
                threads=threads,
            )
        )
        replaced.append(out[column])
    return data.with_columns(replaced)
