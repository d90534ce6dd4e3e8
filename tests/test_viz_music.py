"""Piano rolls."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from rnnlib.datasets.melodies import Note, load_melodies
from rnnlib.viz.music import (
    IN_KEY_COLOR,
    OUT_OF_KEY_COLOR,
    piano_roll,
    piano_rolls,
)

NOTES = [Note(60, 1.0), Note(62, 1.0), Note(None, 1.0), Note(66, 0.5), Note(67, 1.5)]


def note_boxes(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "note"]


def test_piano_roll_draws_one_box_per_sounding_note():
    fig = piano_roll(NOTES)
    assert isinstance(fig, Figure)
    boxes = note_boxes(fig.axes[0])
    assert len(boxes) == 4  # the rest leaves a gap
    starts = [b.get_x() for b in boxes]
    widths = [b.get_width() for b in boxes]
    assert starts == [0.0, 1.0, 3.0, 3.5] and widths == [1.0, 1.0, 0.5, 1.5]
    plt.close(fig)


def test_piano_roll_marks_notes_outside_the_key():
    fig = piano_roll(NOTES, key="C major")
    colors = [b.get_facecolor() for b in note_boxes(fig.axes[0])]
    assert colors.count(to_rgba(OUT_OF_KEY_COLOR)) == 1  # F#4
    assert colors.count(to_rgba(IN_KEY_COLOR)) == 3
    plt.close(fig)


def test_piano_roll_draws_bar_lines_and_pitch_names():
    fig = piano_roll(NOTES, beats_per_bar=2)
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # at beats 2 and 4 of 5
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "C4" and "F#4" in labels
    plt.close(fig)


def test_piano_rolls_has_one_panel_per_melody_on_a_shared_range():
    tunes = load_melodies()[:3]
    fig = piano_rolls([t.notes for t in tunes], titles=[t.title for t in tunes])
    assert len(fig.axes) == 3
    assert len({ax.get_ylim() for ax in fig.axes}) == 1
    for ax, tune in zip(fig.axes, tunes, strict=True):
        assert len(note_boxes(ax)) == sum(not n.is_rest for n in tune.notes)
        assert ax.get_title() == tune.title
    plt.close(fig)


def test_piano_rolls_checks_titles():
    with pytest.raises(ValueError, match="titles must have one title per melody"):
        piano_rolls([NOTES, NOTES], titles=["only one"])


def test_a_wide_range_names_only_the_cs_and_gs():
    fig = piano_roll([Note(55, 1.0), Note(84, 1.0)])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["G3", "C4", "G4", "C5", "G5", "C6"]
    plt.close(fig)


def test_melody_explorer_redraws_when_a_slider_moves():
    from rnnlib.viz.music import melody_explorer

    calls = []

    def make_notes(temperature, seed):
        calls.append((temperature, seed))
        return NOTES[: 2 + seed]

    box = melody_explorer(make_notes, key="C")
    (temperature, seed), picture, sound = box.children[0].children, *box.children[1:]
    assert calls == [(1.0, 0)]
    assert bytes(picture.value).startswith(b"\x89PNG")
    assert bytes(sound.value).startswith(b"RIFF")
    first = bytes(sound.value)
    seed.value = 2
    assert calls[-1] == (1.0, 2) and bytes(sound.value) != first
    temperature.value = 0.5
    assert calls[-1] == (0.5, 2)
