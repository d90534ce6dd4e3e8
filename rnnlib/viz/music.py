"""Piano rolls: a melody drawn as bars on a pitch-against-time grid.

Time (in beats, quarter notes) runs to the right; each row is one pitch,
as on a piano keyboard turned on its side.  A note is a box from its start
to its end.  Given a key, the rows of the key's scale are shaded and notes
outside the scale are drawn in a warning colour, so "does it stay in key?"
can be seen at a glance.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..datasets.melodies import Note, major_scale, pitch_name

IN_KEY_COLOR = "tab:blue"
OUT_OF_KEY_COLOR = "tab:red"


def _as_notes(notes):
    out = []
    for n in notes:
        out.append(n if isinstance(n, Note) else Note(n[0], float(n[1])))
    return out


def draw_piano_roll(
    ax, notes, key=None, title=None, beats_per_bar=None, pitch_range=None
):
    """Draw `notes` on `ax`; returns the list of note Rectangles drawn
    (each with gid "note").

    notes: Notes or (pitch, beats) pairs (rests leave a gap).  key: a major
    key (0-11 or 'G major') whose scale rows are shaded and whose
    out-of-key notes turn red.  beats_per_bar: draw bar lines.
    pitch_range: (low, high) MIDI pitches to show; by default the melody's.
    """
    notes = _as_notes(notes)
    pitches = [n.pitch for n in notes if not n.is_rest]
    if pitch_range is None:
        low, high = (min(pitches), max(pitches)) if pitches else (60, 72)
    else:
        low, high = pitch_range
    total = sum(n.beats for n in notes)
    scale = major_scale(key) if key is not None else None
    if scale is not None:
        for p in range(low, high + 1):
            if p % 12 in scale:
                ax.axhspan(p - 0.5, p + 0.5, color="0.93", zorder=0, lw=0)
    boxes, t = [], 0.0
    for n in notes:
        if not n.is_rest:
            out = scale is not None and n.pitch % 12 not in scale
            box = Rectangle(
                (t, n.pitch - 0.4),
                n.beats,
                0.8,
                facecolor=OUT_OF_KEY_COLOR if out else IN_KEY_COLOR,
                edgecolor="white",
                lw=0.8,
                zorder=2,
                gid="note",
            )
            ax.add_patch(box)
            boxes.append(box)
        t += n.beats
    if beats_per_bar:
        for x in np.arange(beats_per_bar, total, beats_per_bar):
            ax.axvline(x, color="0.6", lw=0.6, zorder=1)
    ax.set_xlim(0, max(total, 1))
    ax.set_ylim(low - 1, high + 1)
    if high - low <= 14:  # every pitch has room for its name
        ticks = list(range(low, high + 1))
    else:  # name only the Cs and Gs, as on a keyboard's landmarks
        ticks = [p for p in range(low, high + 1) if p % 12 in (0, 7)]
    ax.set_yticks(ticks, [pitch_name(p) for p in ticks])
    ax.set_xlabel("time (beats)")
    ax.set_ylabel("pitch")
    if title:
        ax.set_title(title)
    return boxes


def piano_roll(notes, key=None, title=None, beats_per_bar=None, figsize=(9, 3)):
    """A Figure with one melody's piano roll (see `draw_piano_roll`)."""
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    draw_piano_roll(ax, notes, key=key, title=title, beats_per_bar=beats_per_bar)
    return fig


def piano_rolls(melodies, titles=None, key=None, beats_per_bar=None, height=2.4):
    """A Figure with several melodies, one piano roll per row, sharing the pitch axis."""
    melodies = [_as_notes(m) for m in melodies]
    if not melodies:
        raise ValueError("melodies must hold at least one melody")
    if titles is not None and len(titles) != len(melodies):
        raise ValueError(
            f"titles must have one title per melody ({len(melodies)}); got {len(titles)}"
        )
    pitches = [n.pitch for m in melodies for n in m if not n.is_rest] or [60, 72]
    fig, axes = plt.subplots(
        len(melodies),
        1,
        figsize=(9, height * len(melodies)),
        layout="constrained",
        squeeze=False,
    )
    for i, (ax, notes) in enumerate(zip(axes[:, 0], melodies, strict=True)):
        draw_piano_roll(
            ax,
            notes,
            key=key,
            title=None if titles is None else titles[i],
            beats_per_bar=beats_per_bar,
            pitch_range=(min(pitches), max(pitches)),
        )
    return fig


def melody_explorer(make_notes, key=None, beats_per_bar=None, tempo=160, max_seconds=8):
    """Sliders for temperature and seed, a piano roll and a player, as one widget.

    make_notes(temperature, seed) returns the notes to show (e.g. a sampled
    melody).  Moving a slider calls it again, redraws the piano roll and
    reloads the player.  The picture and the sound are widget values (an
    Image and an Audio widget), not captured output.  Returns an
    ipywidgets.VBox; its `update()` attribute redraws by hand.
    """
    import io

    import ipywidgets as widgets

    from ..audio import synthesize, wav_bytes

    temperature = widgets.FloatSlider(
        value=1.0, min=0.0, max=3.0, step=0.1, description="temperature"
    )
    seed = widgets.IntSlider(value=0, min=0, max=20, description="seed")
    picture = widgets.Image(format="png")
    sound = widgets.Audio(format="wav", autoplay=False, loop=False)

    def update(change=None):
        notes = _as_notes(make_notes(temperature.value, seed.value))
        fig = piano_roll(notes, key=key, beats_per_bar=beats_per_bar)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        plt.close(fig)
        picture.value = buffer.getvalue()
        wave = synthesize(notes, tempo=tempo, max_seconds=max_seconds)
        sound.value = wav_bytes(wave)

    temperature.observe(update, "value")
    seed.observe(update, "value")
    update()
    box = widgets.VBox([widgets.HBox([temperature, seed]), picture, sound])
    box.update = update
    return box
