"""The vocabulary's labels live once (sync/labels.py) and cover every word of the protocol's vocabulary."""

from __future__ import annotations

import pytest

from sync import fold, labels

LIGHTS = ("green", "yellow", "red", "paused", "unknown")  # sync.deadlines.DeadlineStatus.light


@pytest.mark.parametrize(
    ("shown", "vocabulary"),
    [
        (labels.ITEM_KIND_LABELS, fold.ITEM_KINDS),
        (labels.DELIVERY_LABELS, fold.DELIVERY_METHODS),
        (labels.PUBLIC_DELIVERY_LABELS, fold.DELIVERY_METHODS),
        (labels.PETITION_KIND_LABELS, fold.PETITION_KINDS),
        (labels.OUTCOME_LABELS, ("approved", "refused")),
        (labels.LIGHT_LABELS, LIGHTS),
        (labels.PUBLIC_LIGHT_LABELS, LIGHTS),
    ],
)
def test_every_word_of_the_vocabulary_has_a_label(shown: dict, vocabulary: tuple) -> None:
    assert sorted(shown) == sorted(vocabulary)
    assert all(isinstance(label, str) and label for label in shown.values())


def test_the_public_page_differs_only_where_it_speaks_to_residents() -> None:
    differ = {
        key
        for plain, public in (
            (labels.LIGHT_LABELS, labels.PUBLIC_LIGHT_LABELS),
            (labels.DELIVERY_LABELS, labels.PUBLIC_DELIVERY_LABELS),
        )
        for key in plain
        if plain[key] != public[key]
    }
    assert differ == {"unknown", "agent"}
