"""Identifier detection on planted identifier columns (several languages) beside harmless
look-alikes; pseudonymised columns are not flagged."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import polars as pl
import pytest

from aluna.exceptions import ArgumentError, IdentifierWarning
from aluna.privacy import (
    IDENTIFIER_TYPES,
    Key,
    find_identifiers,
    pseudonymise,
    warn_identifiers,
)
from aluna.privacy._identifiers import national_id_kind, type_from_name

N = 60


def _dni(rng: np.random.Generator) -> str:
    number = int(rng.integers(10_000_000, 99_999_999))
    return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def _pesel(rng: np.random.Generator) -> str:
    digits = [int(d) for d in f"{int(rng.integers(0, 10**10)):010d}"]
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(w * d for w, d in zip(weights, digits, strict=True)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _bsn(rng: np.random.Generator) -> str:
    while True:
        digits = [int(d) for d in f"{int(rng.integers(10**7, 10**8)):08d}"]
        rest = sum((9 - i) * d for i, d in enumerate(digits)) % 11
        if rest < 10:
            return "".join(map(str, digits)) + str(rest)


def planted(seed: int = 11) -> tuple[pl.DataFrame, dict[str, str]]:
    """A synthetic frame: identifier columns (name -> type) and harmless look-alikes."""
    rng = np.random.default_rng(seed)
    first = ["María", "Jan", "Sophie", "Luca", "Anna", "Pierre", "Olga", "Thomas", "Eva", "Marco"]
    last = ["García", "de Vries", "Müller", "Rossi", "Kowalska", "Dubois", "Nowak", "Silva"]
    streets = ["Calle Mayor", "Hauptstraße", "Via Roma", "rue de la Paix", "Kerkstraat"]

    def pick(values: list[str]) -> list[str]:
        return [values[i] for i in rng.integers(0, len(values), N)]

    birth = [dt.date(1950, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 20_000, N)]
    events = [dt.date(2016, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 2_500, N)]
    identifiers = {
        # by name (several languages), values support some
        "nombre": pl.Series(pick(first)),
        "apellido": pl.Series(pick(last)),
        "prénom": pl.Series(pick(first)),
        "Nachname": pl.Series(pick(last)),
        "cognome": pl.Series(pick(last)),
        "fecha_nacimiento": pl.Series(birth),
        "Geburtsdatum": pl.Series([d.strftime("%d.%m.%Y") for d in birth]),
        "telefono": pl.Series([f"+34 6{rng.integers(10**7, 10**8)}" for _ in range(N)]),
        "correo_electronico": pl.Series([f"user{i}@example.org" for i in range(N)]),
        "Aktenzeichen": pl.Series(
            [f"{rng.integers(1, 400)} Js {rng.integers(1, 9999)}/21" for _ in range(N)]
        ),
        "indirizzo": pl.Series([f"{s} {rng.integers(1, 200)}" for s in pick(streets)]),
        "ip_address": pl.Series(
            [
                f"10.{rng.integers(0, 255)}.{rng.integers(0, 255)}.{rng.integers(1, 255)}"
                for _ in range(N)
            ]
        ),
        "opmerkingen": pl.Series(
            ["Contact met de verdachte via een chatdienst, gesprek bewaard"] * N
        ),
        "username": pl.Series([f"shadow_{i}" for i in range(N)]),
        # by values only: names that say nothing
        "contact": pl.Series([f"p{i}@example.net" for i in range(N)]),
        "col_a": pl.Series([_dni(rng) for _ in range(N)]),
        "col_b": pl.Series([_pesel(rng) for _ in range(N)]),
        "col_c": pl.Series([_bsn(rng) for _ in range(N)]),
        "field7": pl.Series([f"2001:db8::{i:x}" for i in range(N)]),
        "who": pl.Series([f"{f} {s}" for f, s in zip(pick(first), pick(last), strict=True)]),
        "where": pl.Series([f"{rng.integers(1, 99)} High Street" for _ in range(N)]),
        "mobile_no": pl.Series([f"0151 {rng.integers(10**6, 10**7)}" for _ in range(N)]),
    }
    types = {
        "nombre": "person_name",
        "apellido": "person_name",
        "prénom": "person_name",
        "Nachname": "person_name",
        "cognome": "person_name",
        "fecha_nacimiento": "date_of_birth",
        "Geburtsdatum": "date_of_birth",
        "telefono": "phone",
        "correo_electronico": "email",
        "Aktenzeichen": "case_number",
        "indirizzo": "street_address",
        "ip_address": "ip_address",
        "opmerkingen": "free_text",
        "username": "username",
        "contact": "email",
        "col_a": "national_id",
        "col_b": "national_id",
        "col_c": "national_id",
        "field7": "ip_address",
        "who": "person_name",
        "where": "street_address",
        "mobile_no": "phone",
    }
    harmless = {
        "n_offences": pl.Series(rng.integers(0, 20, N)),
        "risk_score": pl.Series(rng.random(N)),
        "offence_code": pl.Series([f"F65.{rng.integers(0, 9)}" for _ in range(N)]),
        "offence_type": pl.Series(pick(["Fraud", "Grooming", "Possession", "Distribution"])),
        "offence_date": pl.Series(events),
        "release_year": pl.Series(rng.integers(2000, 2024, N)),
        "phone_count": pl.Series(rng.integers(0, 5, N)),
        "name_length": pl.Series(rng.integers(3, 20, N)),
        "has_email": pl.Series(rng.random(N) < 0.5),
        "birth_year": pl.Series(rng.integers(1950, 2005, N)),
        "region_name": pl.Series(pick(["Bavaria", "Andalucía", "Lombardia", "Bretagne"])),
        "file_name": pl.Series([f"report_{i}.pdf" for i in range(N)]),
        "version": pl.Series([f"3.{rng.integers(0, 12)}.{rng.integers(0, 9)}" for _ in range(N)]),
        "postcode": pl.Series([f"{rng.integers(10000, 99999)}" for _ in range(N)]),
        "amount_eur": pl.Series(rng.integers(10, 100_000, N)),
        "email_verified": pl.Series(pick(["yes", "no"])),
        "address_type": pl.Series(pick(["home", "work", "other"])),
        "case_count": pl.Series(rng.integers(0, 30, N)),
        "group_id": pl.Series(rng.integers(1, 9, N)),
        "place_of_birth": pl.Series(pick(["Madrid", "Berlin", "Roma"])),
        "phone": pl.Series([f"phone:{rng.integers(0, 2**63):016x}" for _ in range(N)]),
        "person": pl.Series([f"person:{rng.integers(0, 2**63):016x}" for _ in range(N)]),
    }
    frame = pl.DataFrame({**identifiers, **harmless})
    return frame, types


def test_planted_identifiers_are_found_with_precision_and_recall_one():
    frame, truth = planted()
    found = find_identifiers(frame)
    flagged = dict(zip(found["column"], found["identifier_type"], strict=True))
    true_positives = sum(flagged.get(c) == t for c, t in truth.items())
    precision = true_positives / len(flagged)
    recall = true_positives / len(truth)
    print(f"identifier detection: precision {precision:.3f}, recall {recall:.3f}")
    wrong = {
        c: (flagged.get(c), truth.get(c))
        for c in set(flagged) | set(truth)
        if flagged.get(c) != truth.get(c)
    }
    assert wrong == {}
    assert (precision, recall) == (1.0, 1.0)
    assert set(found["identifier_type"]) <= set(IDENTIFIER_TYPES)
    assert found.columns == ["column", "identifier_type", "evidence", "share_of_values_matching"]


def test_evidence_names_its_source():
    frame, _ = planted()
    found = {r["column"]: r for r in find_identifiers(frame).to_dicts()}
    assert found["correo_electronico"]["evidence"] == "name and values"
    assert found["contact"]["evidence"] == "values"
    assert found["username"]["evidence"] == "name"
    assert found["username"]["share_of_values_matching"] is None
    assert found["col_a"]["share_of_values_matching"] == 1.0


def test_real_pseudonyms_are_not_flagged():
    frame, truth = planted()
    key = Key.from_env("ALUNA_TEST_KEY")
    columns = [c for c in truth if frame[c].dtype == pl.String]
    masked = pseudonymise(frame, columns, key)
    remaining = set(find_identifiers(masked)["column"])
    assert remaining.isdisjoint(columns)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("firstName", "person_name"),
        ("FECHA_DE_NACIMIENTO", "date_of_birth"),
        ("date_of_birth", "date_of_birth"),
        ("Geburtsdatum", "date_of_birth"),
        ("nom_de_famille", "person_name"),
        ("e-mail", "email"),
        ("email_address", "email"),
        ("ip_address", "ip_address"),
        ("numero_expediente", "case_number"),
        ("codice_fiscale", "national_id"),
        ("Straße", "street_address"),
        ("imię", "person_name"),
        ("birth_year", None),
        ("phone_count", None),
        ("region_name", None),
        ("case_id", None),
        ("lugar_nacimiento", None),
    ],
)
def test_names_in_several_languages(name, expected):
    assert type_from_name(name) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("12345678Z", "ES DNI"),
        ("X1234567L", "ES NIE"),
        ("RSSMRA85T10A562S", "IT codice fiscale"),
        ("AB123456C", "UK National Insurance number"),
        ("811228-9874", "SE personnummer"),
        ("44051401359", "PL PESEL"),
        ("111222333", "NL BSN"),
        ("12345678A", None),
        ("111222334", None),
        ("2021-03-05", None),
    ],
)
def test_national_numbers_by_check_digit(value, kind):
    assert national_id_kind(value) == kind


def test_warn_identifiers_names_the_columns():
    frame = pl.DataFrame({"apellido": ["García"], "n": [1]})
    with pytest.warns(IdentifierWarning, match=r"'apellido' \(person_name, from name\)"):
        found = warn_identifiers(frame, source="datasets.load('x')")
    assert found["column"].to_list() == ["apellido"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_identifiers(pl.DataFrame({"n": [1]})).height == 0


def test_bad_arguments():
    with pytest.raises(ArgumentError, match="min_share"):
        find_identifiers(pl.DataFrame({"a": [1]}), min_share=0)
    with pytest.raises(ArgumentError, match="sample"):
        find_identifiers(pl.DataFrame({"a": [1]}), sample=0)
    assert find_identifiers(pl.DataFrame()).height == 0
    assert find_identifiers(pl.DataFrame({"email": pl.Series([], dtype=pl.String)})).height == 1
