"""Model and data cards render every field, escape HTML, and carry the rules of use."""

from __future__ import annotations

import polars as pl

from aluna.privacy import (
    DEFAULT_OUT_OF_SCOPE,
    REARREST_LABEL_BIAS,
    DataCard,
    Key,
    ModelCard,
    pseudonymise,
)


def test_model_card_renders_all_sections():
    fairness = pl.DataFrame({"group": ["a", "b"], "false_positive_rate": [0.12, 0.19]})
    card = ModelCard(
        name="Re-arrest <script>",
        purpose="Research only.",
        data="Synthetic cohort of 2,000.",
        outcome="Re-arrest within 730 days.",
        model="Cox proportional hazards",
        validation={"c_index": 0.71, "calibration_slope": 0.94},
        fairness=fairness,
        outcome_caveats=[REARREST_LABEL_BIAS],
        limitations=["Synthetic data only."],
        references=["Mitchell et al. (2019)"],
        created="2025-01-01",
        version="0.1.0",
    )
    md = card.to_markdown()
    for heading in [
        "Intended use",
        "Uses out of scope",
        "Data",
        "Outcome",
        "Model",
        "Validation",
        "Fairness audit",
        "Limitations",
        "References",
    ]:
        assert f"## {heading}" in md
    assert "| c_index | 0.71 |" in md
    assert "| b | 0.19 |" in md
    assert "Article 5(1)(d)" in md
    assert "Annex III" in md
    assert "policing" in md
    assert "docs/responsible-use.md" in md
    html = card._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert card.out_of_scope == DEFAULT_OUT_OF_SCOPE


def test_data_card_reads_the_frame():
    key = Key.from_env("ALUNA_TEST_KEY")
    raw = pl.DataFrame(
        {
            "name": ["Ann Lee", "Bo Kim", "Cy Wu"],
            "age_band": ["30-34", "30-34", "40-44"],
            "email": ["a@x.org", "b@x.org", None],
        }
    )
    card = DataCard.from_frame(
        raw,
        name="Example",
        description="Made up.",
        source="test",
        subjects="synthetic people",
        synthetic=True,
        quasi_identifiers=["age_band"],
        created="2025-01-01",
    )
    assert card.k == 1
    assert set(card.identifiers["column"]) == {"name", "email"}
    assert card.columns["null_share"].to_list()[2] == 1 / 3
    safe = pseudonymise(raw, ["name", "email"], key)
    card = DataCard.from_frame(
        safe,
        name="Example",
        description="Made up.",
        source="test",
        subjects="synthetic people",
        synthetic=True,
        pseudonymisation=f"name, email with key {key.fingerprint}",
        created="2025-01-01",
    )
    md = card.to_markdown()
    assert "None found." in md
    assert key.fingerprint in md
    assert "**Synthetic:** yes" in md
    assert "Prohibited uses" in card.to_html()
