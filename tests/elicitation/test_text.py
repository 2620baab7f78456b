"""Properties of the text rules behind statement cleaning and duplicate refusal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from elicitation.text import (
    NEAR_DUPLICATE_RATIO,
    clean_text,
    fold_text,
    is_near_duplicate,
    similarity,
)

texts = st.text(min_size=0, max_size=120)


@given(texts)
def test_cleaning_and_folding_are_idempotent(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)
    assert fold_text(fold_text(text)) == fold_text(text)


@given(texts)
def test_cleaned_text_has_no_edge_or_repeated_whitespace(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert "\n" not in cleaned


@given(texts, texts)
def test_near_duplicates_always_meet_the_stated_ratio_and_the_relation_is_symmetric(
    a: str, b: str
) -> None:
    fa, fb = fold_text(a), fold_text(b)
    if is_near_duplicate(fa, fb):
        assert fa == fb or similarity(fa, fb) >= NEAR_DUPLICATE_RATIO
    if fa == fb:
        assert is_near_duplicate(fa, fb)


def test_case_punctuation_and_accents_fold_away() -> None:
    assert fold_text("  Café —  OPEN   on Sundays!! ") == fold_text("cafe open on sundays")


def test_a_changed_meaning_word_in_a_longer_statement_is_not_a_duplicate() -> None:
    a = fold_text("The town should keep the old warehouses on the riverfront")
    b = fold_text("The town should sell the old warehouses on the riverfront")
    assert not is_near_duplicate(a, b)


def test_negation_is_never_a_duplicate_but_typos_and_plurals_are() -> None:
    base = fold_text("Every neighbourhood should have a park within a short walk")
    assert not is_near_duplicate(
        base, fold_text("Every neighbourhood should not have a park within a short walk")
    )
    assert is_near_duplicate(
        base, fold_text("Every neighborhood should have a park within a short walk")
    )
    assert is_near_duplicate(
        base, fold_text("Every neighbourhood should have parks within a short walk")
    )
    assert is_near_duplicate(
        base, fold_text("Every neighbourhood should have the park within a short walk")
    )
