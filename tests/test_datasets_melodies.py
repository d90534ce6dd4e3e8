"""The melody corpus, its notation and the note-level dataset."""

import numpy as np
import pytest

from rnnlib.datasets.melodies import (
    DURATION_TOKENS,
    Note,
    in_key_fraction,
    load_melodies,
    major_scale,
    make_melody_dataset,
    note_to_token,
    parse_key,
    parse_melodies,
    parse_note,
    transpose,
)

TUNE = """
title: Test tune
source: written for this test
key: G major
meter: 3/4
D4/4 | G4/2 B4/8 G4/8 | B4/2. | R/4 F#4/4 G4/4 | G4/2.
"""


def test_corpus_has_at_least_twenty_documented_major_tunes():
    tunes = load_melodies()
    assert len(tunes) >= 20
    assert len({t.title for t in tunes}) == len(tunes)
    for t in tunes:
        assert t.source and t.key_name.endswith("major") and len(t) >= 10, t


def test_every_full_bar_of_the_corpus_fits_its_meter():
    for t in load_melodies():
        for beats in t.bars[1:-1]:
            assert beats == pytest.approx(t.bar_beats), t.title
        # a pick-up and the last bar never add up to more than a bar each
        assert t.bars[0] <= t.bar_beats and t.bars[-1] <= t.bar_beats, t.title


def test_corpus_tunes_stay_in_their_declared_keys():
    fractions = [in_key_fraction(t.notes, t.key) for t in load_melodies()]
    assert min(fractions) > 0.9
    assert np.mean(fractions) > 0.99


@pytest.mark.parametrize(
    "text, pitch, beats",
    [
        ("C4/4", 60, 1.0),
        ("A4/8", 69, 0.5),
        ("F#4/2.", 66, 3.0),
        ("Bb3/16", 58, 0.25),
        ("C5/1", 72, 4.0),
        ("R/8.", None, 0.75),
    ],
)
def test_parse_note_reads_pitch_and_duration(text, pitch, beats):
    assert parse_note(text) == Note(pitch, beats)


def test_note_tokens_round_trip():
    for pitch in range(48, 84):
        for duration in DURATION_TOKENS:
            note = parse_note(f"C4{duration}")
            note = Note(pitch, note.beats)
            assert parse_note(note_to_token(note)) == note
    assert note_to_token(Note(70, 1.5)) == "Bb4/4."


def test_parse_note_rejects_bad_text():
    with pytest.raises(ValueError, match="note must look like C4/4"):
        parse_note("H4/4")
    with pytest.raises(ValueError, match="note must look like C4/4"):
        parse_note("C4/3")


def test_parse_melodies_reads_fields_bars_and_notes():
    (tune,) = parse_melodies(TUNE)
    assert tune.title == "Test tune" and tune.key == 7 and tune.meter == (3, 4)
    assert len(tune.notes) == 9 and tune.notes[5] == Note(None, 1.0)
    assert tune.bars == [1.0, 3.0, 3.0, 3.0, 3.0]


def test_parse_melodies_names_the_tune_with_a_bad_bar():
    bad = TUNE.replace("B4/2. |", "B4/2 |")
    with pytest.raises(
        ValueError, match=r"tune 'Test tune': bar 3 lasts 2.0 .* needs 3.0"
    ):
        parse_melodies(bad)


def test_parse_melodies_refuses_minor_keys_and_missing_fields():
    with pytest.raises(ValueError, match="key must be a major key"):
        parse_melodies(TUNE.replace("G major", "E minor"))
    with pytest.raises(ValueError, match="lacks the field"):
        parse_melodies(TUNE.replace("meter: 3/4\n", ""))


def test_major_scale_and_in_key_fraction():
    assert major_scale("G major") == {7, 9, 11, 0, 2, 4, 6}
    assert parse_key("Bb") == 10
    chromatic = list(range(60, 72))
    assert in_key_fraction(chromatic, "C") == pytest.approx(7 / 12)
    assert in_key_fraction([60, None, 66], 0) == pytest.approx(0.5)


def test_transpose_keeps_intervals_and_rhythm():
    (tune,) = parse_melodies(TUNE)
    moved = transpose(tune, "C")
    assert moved.key == 0
    shift = moved.notes[0].pitch - tune.notes[0].pitch
    assert shift == 5  # G -> C is 5 up (the nearer way)
    for a, b in zip(tune.notes, moved.notes, strict=True):
        assert a.beats == b.beats
        assert (a.pitch is None) == (b.pitch is None)
        if a.pitch is not None:
            assert b.pitch - a.pitch == shift
    assert in_key_fraction(moved.notes, "C") == in_key_fraction(tune.notes, "G")


def test_melody_dataset_is_seeded_and_splits_by_tune():
    a, b = make_melody_dataset(n_test=6, seed=0), make_melody_dataset(n_test=6, seed=0)
    c = make_melody_dataset(n_test=6, seed=1)
    titles = lambda d: [t.title for t in d.test_tunes]  # noqa: E731
    assert titles(a) == titles(b) and titles(a) != titles(c)
    assert len(a.test_tunes) == 6
    assert len(a.train_tunes) + 6 == len(load_melodies())
    assert not set(titles(a)) & {t.title for t in a.train_tunes}
    assert all(np.array_equal(x, y) for x, y in zip(a.train, b.train, strict=True))


def test_melody_dataset_moves_every_tune_to_c_major():
    data = make_melody_dataset(seed=0)
    for t in data.train_tunes + data.test_tunes:
        assert t.key == 0
        assert in_key_fraction(t.notes, 0) > 0.9


def test_melody_dataset_encodes_two_tokens_per_note_and_decodes_back():
    data = make_melody_dataset(seed=0)
    tune = data.test_tunes[0]
    ids = data.test[0]
    assert len(ids) == 1 + 2 * len(tune.notes)
    assert data.vocab[ids[0]] == "<start>"
    assert data.vocab[ids[1]] == note_to_token(tune.notes[0]).split("/")[0]
    assert data.decode(ids) == tune.notes
    note_ids = data.test_notes[0]
    assert len(note_ids) == 1 + len(tune.notes)
    assert data.decode_notes(note_ids) == tune.notes


def test_melody_vocabulary_is_closed_over_whole_octaves():
    data = make_melody_dataset(seed=0)
    pitches = [t for t in data.vocab if t[0].isalpha() and t != "R"]
    assert len(pitches) % 12 == 0 and pitches[0].startswith("C")
    assert set(DURATION_TOKENS) <= set(data.vocab)
    assert data.note_vocab_size == 1 + (len(pitches) + 1) * len(DURATION_TOKENS)
    assert data.vocab_size == 1 + 1 + len(pitches) + len(DURATION_TOKENS)


def test_decode_skips_malformed_token_runs():
    data = make_melody_dataset(seed=0)
    ix = data.index
    ids = [ix["<start>"], ix["C4"], ix["E4"], ix["/4"], ix["/8"], ix["G4"], ix["/2"]]
    assert data.decode(ids) == [Note(64, 1.0), Note(67, 2.0)]


def test_start_prompts():
    data = make_melody_dataset(seed=0)
    assert data.decode(data.start("C4/4")) == [Note(60, 1.0)]
    assert data.start().tolist() == [data.index["<start>"]]
    assert data.decode_notes(data.start_notes("E4/8")) == [Note(64, 0.5)]
