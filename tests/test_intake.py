"""Pure intake rules: reasons that quote whole amounts, datelines, prose percentage lists."""

from __future__ import annotations

import pytest

from tracker.intake import consistency
from tracker.intake.extract import Sentence, extract_candidates, score_sentence
from tracker.intake.text import Outline, heading_text, is_dateline, is_heading

from .test_extraction import TEXT


def reasons(text: str) -> list[str]:
    return score_sentence(Sentence(0, len(text), text, "sentence"))[1]


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("The council borrowed £48 million for the new bridge.", "money: £48 million"),
        ("Amazon invested $1.5 billion in the Trainium programme.", "money: $1.5 billion"),
        ("The lab won a grant of €250,000, its first from the EU.", "money: €250,000"),
        ("The deal is worth USD 3.2 bn over five years.", "money: USD 3.2 bn"),
        ("Revenue reached 12.5 billion in 2025.", "money: 12.5 billion"),
    ],
)
def test_money_reasons_quote_the_whole_amount(sentence: str, reason: str) -> None:
    assert reason in reasons(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "At least 30 engineers worked on the Trainium 3 chip.",
        "The upgrade takes at most a week for each AWS region.",
        "At the least, the chip halves the power draw.",
        "At first the Neuron compiler rejected the model.",
    ],
)
def test_hedges_are_not_superlatives(sentence: str) -> None:
    assert not any(r.startswith("superlative") for r in reasons(sentence))


def test_superlatives_still_count() -> None:
    assert "superlative: the largest" in reasons("AWS runs the largest Trainium cluster in Europe.")
    assert "superlative: most" in reasons("Trainium is the chip most labs use for inference.")


@pytest.mark.parametrize(
    "sentence",
    [
        "The steel supports were replaced after the 2019 inspection.",
        "Engineers added steel supports under the data hall floor.",
        "The supports of the old rack held 32 servers.",
    ],
)
def test_nouns_are_not_capabilities(sentence: str) -> None:
    assert not any(r.startswith("capability") for r in reasons(sentence))


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("Trainium 3 supports HBM4 memory natively.", "capability: supports"),
        ("Hardware that supports open firmware lasts longer.", "capability: supports"),
        ("The chip will support 4-bit precision in 2026.", "capability: will support"),
    ],
)
def test_capability_verbs_still_count(sentence: str, reason: str) -> None:
    assert reason in reasons(sentence)


DATELINES = (
    "Published 14 March 2025",
    "Updated: 3 May 2024 10:00 BST",
    "By Jane Doe | 14 March 2025",
    "By Jane Doe",
    "14 March 2025",
    "Reuters · March 3, 2025",
)


@pytest.mark.parametrize("line", DATELINES)
def test_datelines_and_bylines_are_not_headings(line: str) -> None:
    assert is_dateline(line) and not is_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "Part 10: Future Outlook (2027-2030) — The Post-GPU Era",
        "12.2 2026 Rankings",
        "By the Numbers",
        "March 2025",
        "Updated guidance for 2.50 GHz chips",
    ],
)
def test_headings_with_dates_stay_headings(line: str) -> None:
    assert is_heading(line) and not is_dateline(line)


def test_sentences_that_start_like_a_byline_are_not_datelines() -> None:
    assert not is_dateline("By March 2026, the AI world has reached a new stage.")
    assert not is_dateline("By Tuesday, AWS had shipped 10,000 chips.")


def test_markdown_heading_markers_are_stripped() -> None:
    assert heading_text("# Chip story") == "Chip story"
    assert heading_text("## Part 1: Costs ##") == "Part 1: Costs"
    assert heading_text("#hashtag") == "#hashtag"  # not an ATX heading
    assert heading_text("Plain title") == "Plain title"


MARKDOWN = "\n".join(
    [
        "# Chip story",
        "By Jane Doe | 14 March 2025",
        "Updated: 3 May 2024 10:00 BST",
        "",
        "AWS said Trainium 3 is 40% cheaper than Trainium 2.",
        "## Part 1: Costs",
        "Published 15 March 2025",
        "NVIDIA reportedly sold 2 million chips in 2025.",
    ]
)


def test_a_dateline_is_never_a_claims_section() -> None:
    by_quote = {c.quote: c for c in extract_candidates(MARKDOWN)}
    assert by_quote["AWS said Trainium 3 is 40% cheaper than Trainium 2."].section == "Chip story"
    assert by_quote["NVIDIA reportedly sold 2 million chips in 2025."].section == "Part 1: Costs"
    for line in ("By Jane Doe | 14 March 2025", "Published 15 March 2025"):
        assert (by_quote[line].kind, by_quote[line].score) == ("dateline", 0)
    outline = Outline(MARKDOWN)
    assert [heading_text(h.text) for h in outline.headings] == ["Chip story", "Part 1: Costs"]


@pytest.mark.parametrize(
    ("sentence", "total"),
    [
        ("Revenue is split 60%, 30% and 20% between cloud, devices and services.", "110"),
        ("Revenue is split 60%, 30%, and 20% between cloud, devices and services.", "110"),
        ("Cloud, devices and services account for 60%, 30% or 20% of revenue.", "110"),
        ("The budget breakdown: cloud 50%, devices 30% and services 10%.", "90"),
        ("Of the total, 62.5%, 30% and 20% went to the three labs.", "112.5"),
    ],
)
def test_prose_percentage_lists_must_total_100(sentence: str, total: str) -> None:
    text = f"# Budget\nSome context first.\n{sentence}\nMore text."
    warnings = [w for w in consistency.check(text) if w.kind == "total"]
    assert len(warnings) == 1
    assert warnings[0].message.endswith(f"= {total}%, not 100%")
    (place,) = warnings[0].places
    assert place.text.endswith("%") and text[place.start : place.end] == place.text


@pytest.mark.parametrize(
    "sentence",
    [
        "Revenue is split 50%, 30% and 20% between cloud, devices and services.",
        "The budget is split 33%, 33% and 33% between the three teams.",  # rounding
        "Revenue grew 50%, 40% and 30% in the three years, respectively.",  # growth
        "Apple, Google and Amazon hold 20%, 15% and 10% of the market share.",  # not all shares
        "The three chips score 80%, 75% and 90% respectively on the benchmark.",
        "Prices rose 5% in 2023, 7% in 2024 and 9% in 2025.",  # years break the list
        "Trainium 3 is 40% cheaper, 25% faster and 30% more efficient.",  # no cue
    ],
)
def test_percentages_that_are_not_a_broken_whole_give_no_warning(sentence: str) -> None:
    assert not [w for w in consistency.check(sentence) if w.kind == "total"]


def test_the_seed_gains_no_total_warnings() -> None:
    warnings = consistency.check(TEXT)
    assert [w.kind for w in warnings] == ["numbering", "numbering", "figures"]
