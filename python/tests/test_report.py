"""The network report: modes, disclosure control, identifiers, sections, and the browser check."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import aluna
from aluna.exceptions import ArgumentError, ColumnError
from aluna.privacy import Key
from aluna.report import SECTIONS, network_report

from .browser import Chromium, find_chromium
from .conftest import require_browser, skip_or_fail

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "report-screenshots"
KEY_SECTIONS = ["summary", "network", "groups", "brokers", "key-players", "involvement", "methods"]


@pytest.fixture(scope="module")
def case_links() -> aluna.datasets.Dataset:
    return aluna.datasets.load("case_links")


@pytest.fixture(scope="module")
def publishable(case_links):
    return network_report(case_links)


@pytest.fixture(scope="module")
def restricted(case_links):
    return network_report(case_links, mode="restricted", key=Key.from_env("ALUNA_TEST_KEY"))


def person_ids(case_links) -> set[str]:
    return set(case_links.tables["records"]["person_id"].unique().to_list())


def sections_of(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


# ---------------------------------------------------------------------------- both modes


@pytest.mark.parametrize("which", ["publishable", "restricted"])
def test_mode_and_synthetic_label_on_every_section(request, which):
    report = request.getfixturevalue(which)
    html = report.html
    assert report.mode == which
    assert report.synthetic
    assert sections_of(html) == [s.key for s in SECTIONS]
    for section in re.split(r"<section ", html)[1:]:
        badge = re.search(r'<div class="badge" data-mode="(\w+)">(.*?)</div>', section)
        assert badge is not None
        assert badge.group(1) == which
        assert "synthetic data" in badge.group(2)
    assert f'<meta name="aluna-mode" content="{which}">' in html
    assert "SYNTHETIC DATA" in html.split("<main>")[0]  # the banner
    assert "docs/responsible-use.md" in html


@pytest.mark.parametrize("which", ["publishable", "restricted"])
def test_the_document_needs_no_network(request, which):
    html = request.getfixturevalue(which).html
    assert "Content-Security-Policy" in html
    assert "default-src 'none'" in html
    assert not re.search(r'(src|href)="(?!data:|#|https://doi|https://github|http://data)', html)
    assert "<link" not in html
    assert "<script src" not in html
    assert "@import" not in html
    assert all(src.startswith("data:image/") for src in re.findall(r'<img src="([^"]+)"', html))


def test_publishable_has_no_person_rows(publishable, case_links):
    ids = person_ids(case_links)
    found = set(re.findall(r"[PV]\d{6}", publishable.html))
    assert not found & ids
    assert "key_players" not in publishable.tables
    assert "brokers" not in publishable.tables
    assert "restricted report" in publishable.html  # says where per-person tables are


def test_publishable_counts_are_suppressed_below_the_threshold(publishable):
    counts = {
        "roles": ["people"],
        "degree_bands": ["people"],
        "component_sizes": ["people"],
        "groups": ["size", "internal_ties", "external_ties"],
        "involvement": ["members", "cases", "focus_cases", "joint_cases", "serious_cases"],
        "identifiers": ["values", "shared_values", "pairs"],
    }
    hidden = 0
    for name, columns in counts.items():
        table = publishable.tables[name]
        for column in columns:
            values = table[column]
            assert ((values >= 10) | (values == 0) | values.is_null()).all(), (name, column)
            hidden += values.null_count()
    assert hidden > 0  # the shipped data do have small cells
    # Groups smaller than the threshold are neither described nor drawn.
    assert (publishable.tables["groups"]["size"].drop_nulls() >= 10).all()
    assert "suppressed" in publishable.html


def test_degree_bands_protect_their_published_total(publishable):
    bands = publishable.tables["degree_bands"]
    hidden = bands["people"].null_count()
    assert hidden != 1  # one hidden band would be the published total minus the others


def test_restricted_names_people_by_keyed_pseudonyms(restricted, case_links):
    ids = person_ids(case_links)
    assert not set(re.findall(r"[PV]\d{6}", restricted.html)) & ids
    players = restricted.tables["key_players"]
    assert players.height == 5
    tokens = re.findall(r"person:[0-9a-f]{16}", restricted.html)
    assert len(set(tokens)) >= 5
    assert f"fingerprint {Key.from_env('ALUNA_TEST_KEY').fingerprint}" in restricted.html


def test_victims_are_never_ranked(restricted, case_links):
    roles = case_links.tables["persons"].rename({"person_id": "node"})
    for name in ("key_players", "brokers", "central_people"):
        table = restricted.tables[name].join(roles, on="node", how="left", suffix="_given")
        role = "role_given" if "role_given" in table.columns else "role"
        assert table.height > 0
        assert (table[role] != "victim").all(), name


def test_restricted_without_a_key_shows_the_input_ids(case_links):
    report = network_report(case_links, mode="restricted", sections=["key-players"])
    assert set(re.findall(r"P\d{6}", report.html)) == set(
        report.tables["key_players"]["node"].to_list()
    )


def test_same_input_same_document(case_links, publishable):
    assert network_report(case_links).html == publishable.html


# ---------------------------------------------------------------------------- inputs


def test_records_from_a_parquet_path_are_recognised_as_synthetic(tmp_path):
    path = aluna.datasets.directory() / "case_links.records.parquet"
    report = network_report(path, out=tmp_path / "r.html", sections=["summary", "data"])
    assert report.synthetic
    assert report.path == tmp_path / "r.html"
    assert report.path.read_text(encoding="utf-8") == report.html


def test_records_from_a_plain_table_are_not_labelled_synthetic(case_links):
    records = case_links.tables["records"]
    report = network_report(records, sections=["summary"])
    assert not report.synthetic
    assert "SYNTHETIC" not in report.html
    assert network_report(records, sections=["summary"], synthetic=True).synthetic


def test_identifiers_named_as_types_of_long_records(case_links):
    report = network_report(
        case_links, identifiers=["phone", "device"], case=None, sections=["data"]
    )
    table = report.tables["identifiers"]
    assert table["identifier"].to_list() == ["phone", "device"]
    with pytest.raises(ColumnError, match=r"identifier `telegram` not found.*identifier types"):
        network_report(case_links, identifiers=["telegram"], sections=["data"])


def test_hub_values_are_dropped_and_noted(case_links):
    records = case_links.tables["records"]
    people = records["person_id"].n_unique()
    cap = max(20, round(0.01 * people))  # the default: 1% of the people, at least 20
    holders = (
        records.drop_nulls("identifier")
        .group_by("identifier_type", "identifier")
        .agg(pl.col("person_id").n_unique().alias("holders"))
    )
    expected = holders.filter(pl.col("holders") > cap).group_by("identifier_type").len()
    assert expected.height > 0  # the shipped platforms are hubs
    report = network_report(case_links, sections=["data"], mode="restricted")
    dropped = report.tables["identifiers"].select("identifier", "dropped_values")
    for kind, count in expected.iter_rows():
        assert dropped.filter(pl.col("identifier") == kind)["dropped_values"].item() == count
    total = int(expected["len"].sum())
    assert f"linking: link_records: {total} identifier value(s)" in report.html
    assert f"held by more than {cap} people were dropped" in report.html


def test_direct_identifiers_are_refused_without_a_key():
    records = pl.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "full_name": ["Maria Garcia", "Jan de Vries", "Anna Kowalska"],
            "phone": ["+34 612 345 678", "+34 612 345 678", "+31 6 1234 5678"],
            "case_id": ["c1", "c1", "c2"],
        }
    )
    with pytest.raises(ColumnError, match=r"`full_name` \(person_name\).*give a pseudonymisation"):
        network_report(records, identifiers=["phone"], sections=["summary"])
    key = Key.from_env("ALUNA_TEST_KEY")
    report = network_report(records, identifiers=["phone"], key=key, sections=["summary", "data"])
    assert "were pseudonymised with the key of fingerprint" in report.html
    assert "Maria" not in report.html
    assert "612 345" not in report.html
    assert report.graph.number_of_edges() == 1


def test_directed_edges_get_brokerage_roles(karate):
    edges = pl.DataFrame(
        {"source": [u for u, v in karate.edges()], "target": [v for u, v in karate.edges()]}
    )
    report = network_report(
        edges=edges, directed=True, sections=["brokers", "involvement", "data"], mode="restricted"
    )
    assert "Gould and Fernandez" in report.html
    roles = report.tables["brokerage_by_group"]
    assert set(roles.columns) >= {"group", "coordinator", "liaison"}
    assert report.sections.filter(pl.col("section") == "involvement")["status"].item() == "omitted"
    note = report.sections.filter(pl.col("section") == "involvement")["note"].item()
    assert "needs case records" in note
    assert "nobody could be recognised as a victim" in report.html


def test_edges_with_a_node_table_of_roles(case_links):
    report = network_report(
        edges=case_links.data,
        nodes=case_links.tables["persons"],
        weight="weight",
        sections=["summary", "key-players"],
        mode="restricted",
    )
    roles = case_links.tables["persons"].rename({"person_id": "node"})
    players = report.tables["key_players"].join(roles, on="node", suffix="_given")
    assert (players["role_given"] != "victim").all()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "give case records"),
        ({"mode": "public"}, 'argument `mode`: expected "publishable" or "restricted"'),
        ({"k": 0}, "argument `k`: must be a positive integer"),
        ({"threshold": 1}, "argument `threshold`: must be an integer of at least 2"),
        ({"sections": ["summary", "appendix"]}, r"argument `sections`: unknown \['appendix'\]"),
        ({"key": "secret"}, "argument `key`: expected an aluna.privacy.Key"),
    ],
)
def test_bad_arguments(case_links, arguments, message):
    if arguments:
        arguments = {"records": case_links, **arguments}
    with pytest.raises(ArgumentError, match=message):
        network_report(**arguments)


def test_missing_file():
    with pytest.raises(ArgumentError, match=r"file 'nowhere\.parquet' not found"):
        network_report("nowhere.parquet")


# ---------------------------------------------------------------------------- disruption


def test_disruption_section(case_links):
    report = network_report(case_links, sections=["disruption"], mode="restricted")
    assert report.sections["status"].to_list() == ["shown"]
    final = report.tables["disruption"]
    assert final.columns == [
        "strategy",
        "removed",
        "largest_component_fraction",
        "components",
        "global_efficiency",
    ]
    assert final.height == 5
    # Removing people never grows the largest component beyond everyone.
    assert (final["largest_component_fraction"] <= 1.0).all()
    order = report.tables["disruption_order"]
    roles = case_links.tables["persons"].rename({"person_id": "removed"})
    assert (order.join(roles, on="removed")["role"] != "victim").all()


# ---------------------------------------------------------------------------- in a browser


def test_browser_check_can_fail(chromium, tmp_path):
    """The check sees what it must: a blocked fetch and a console error."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
        "<img src='https://example.org/x.png'><script>console.error('boom')</script>"
        "</body></html>"
    )
    session, loaded = chromium.open(page.as_uri())
    errors = chromium.collect(session, loaded).errors
    assert any("boom" in e for e in errors)
    assert any("Content Security Policy" in e or "example.org" in e for e in errors)


@pytest.mark.parametrize("which", ["publishable", "restricted"])
def test_report_renders_in_headless_chromium(chromium, request, tmp_path, which):
    report = request.getfixturevalue(which)
    path = report.write(tmp_path / f"{which}.html")
    session, page = chromium.open(path.as_uri())
    decoded = chromium.evaluate(
        session,
        "Promise.all([...document.images].map(i => i.decode().then(() => i.naturalWidth > 0,"
        " () => false)))",
    )
    rendered = chromium.evaluate(
        session,
        "[...document.querySelectorAll('section')].map(s => ({id: s.id, status: "
        "s.dataset.status, badge: s.querySelector('.badge').innerText, height: "
        "s.getBoundingClientRect().height}))",
    )
    banner = chromium.evaluate(session, "document.getElementById('banner').innerText")
    shot = chromium.screenshot(session, SCREENSHOTS / f"report-{which}.png")
    assert chromium.collect(session, page).errors == []
    assert decoded
    assert all(decoded)
    by_id = {s["id"]: s for s in rendered}
    for key in KEY_SECTIONS:
        assert by_id[key]["status"] == "shown", key
        assert by_id[key]["height"] > 100, key
    assert all(s["badge"].startswith(which) for s in rendered)
    assert which.upper() in banner
    assert "SYNTHETIC DATA" in banner
    assert shot.stat().st_size > 50_000


def test_browser_helper_skips_or_fails(monkeypatch):
    """Without a browser the check skips, except under CI, where it fails."""
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium found"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no Chromium found"):
        require_browser()


def test_skip_or_fail_follows_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs a thing"):
        skip_or_fail("needs a thing")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="needs a thing"):
        skip_or_fail("needs a thing")


def test_chromium_is_found_when_installed():
    path = find_chromium()
    if path is None:
        require_browser()  # skips, or fails under CI
    with Chromium(path) as browser:
        session, _page = browser.open("about:blank")
        assert browser.evaluate(session, "1 + 1") == 2


def test_progress_is_shown_on_stderr(case_links, capsys):
    network_report(case_links, sections=["summary", "methods"], progress=True)
    err = capsys.readouterr().err
    assert "network report" in err  # the tqdm bar (tqdm is in the test extra)
