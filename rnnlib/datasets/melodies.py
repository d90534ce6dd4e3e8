"""A small corpus of public-domain melodies, in a text notation the course defines.

The tunes live in `rnnlib/datasets/data/melodies.txt` (folk tunes, nursery
songs, carols and hymns, all in major keys; the file's header explains the
notation).  A note is written PITCH/DURATION:

    C4/4    middle C, a quarter note        F#4/8   F sharp, an eighth note
    Bb3/2.  B flat below middle C, dotted half (3 beats)      R/4  a quarter rest

Here a note becomes a `Note(pitch, beats)`: `pitch` is the MIDI number
(C4 = 60, A4 = 69; None for a rest) and `beats` counts quarter notes
(a dotted half is 3.0).

For the note-level model, `make_melody_dataset` moves every tune into C
major, holds out a few whole tunes (seeded) to measure the model on, and
turns each tune into tokens: for the RNN two per note (pitch, then
duration), for the count baselines one per note (see `MelodyDataset`).

`in_key_fraction` measures how many notes of a melody belong to the scale
of its key, the measure notebook 05 uses to ask whether generated melodies
stay in key.
"""

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..init import as_rng

DATA_FILE = Path(__file__).parent / "data" / "melodies.txt"

# pitch classes: C = 0, C# = 1, ..., B = 11
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "#": 1, "b": -1}
# how a pitch class is spelled in tokens and figures (one spelling each)
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# the twelve major keys, spelled as musicians usually spell them
KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)  # whole, whole, half, whole, whole, whole, half
_DURATIONS = {"1": 4.0, "2": 2.0, "4": 1.0, "8": 0.5, "16": 0.25}
# beats -> "/4", "/4." ...: every value is a sum of powers of two, exact in floats
_SUFFIXES = {b: f"/{d}" for d, b in _DURATIONS.items()}
_SUFFIXES.update({b * 1.5: f"/{d}." for d, b in _DURATIONS.items()})
_NOTE_RE = re.compile(
    r"^(?:(?P<rest>R)|(?P<letter>[A-G])(?P<acc>[#b]?)(?P<octave>-?\d))"
    r"/(?P<dur>16|8|4|2|1)(?P<dot>\.?)$"
)


@dataclass(frozen=True)
class Note:
    """One note: `pitch` the MIDI number (60 = C4, middle C) or None for a rest;
    `beats` the duration in quarter notes (1.0 quarter, 0.5 eighth, 3.0 dotted half)."""

    pitch: int | None
    beats: float

    @property
    def is_rest(self):
        return self.pitch is None

    @property
    def token(self):
        """The note written in the course notation, e.g. "F#4/8" or "R/4"."""
        return note_to_token(self)


@dataclass
class Tune:
    """A parsed tune: its notes and what the file says about it.

    key is the tonic's pitch class (0 = C … 11 = B); the key is major.
    meter is (beats per bar, beat unit), e.g. (3, 4); bars is the duration
    of each bar in quarter notes, as written (for checking the transcription).
    """

    title: str
    source: str
    key: int
    meter: tuple
    notes: list
    bars: list = field(default_factory=list)

    @property
    def key_name(self):
        return f"{KEY_NAMES[self.key]} major"

    @property
    def bar_beats(self):
        """How many quarter notes a full bar holds: 3/4 -> 3.0, 6/8 -> 3.0."""
        num, unit = self.meter
        return num * 4.0 / unit

    @property
    def tokens(self):
        return [n.token for n in self.notes]

    def __len__(self):
        return len(self.notes)

    def __repr__(self):
        return f"Tune({self.title!r}, {self.key_name}, {len(self.notes)} notes)"


def parse_note(text):
    """'C#4/8.' -> Note(pitch=61, beats=0.75); 'R/4' -> Note(None, 1.0)."""
    m = _NOTE_RE.match(text)
    if m is None:
        raise ValueError(
            f"note must look like C4/4, F#4/8, Bb3/2. or R/4 (pitch/duration); got {text!r}"
        )
    beats = _DURATIONS[m["dur"]] * (1.5 if m["dot"] else 1.0)
    if m["rest"]:
        return Note(None, beats)
    pitch = 12 * (int(m["octave"]) + 1) + _LETTERS[m["letter"]] + _ACCIDENTALS[m["acc"]]
    if not 0 <= pitch <= 127:
        raise ValueError(f"note {text!r} lies outside the MIDI range 0-127")
    return Note(pitch, beats)


def note_to_token(note):
    """Note(61, 0.75) -> 'C#4/8.'; the inverse of parse_note (sharps/flats as PITCH_NAMES)."""
    suffix = _SUFFIXES.get(note.beats)
    if suffix is None:
        raise ValueError(
            f"beats must be a plain or dotted note value; got {note.beats}"
        )
    if note.pitch is None:
        return "R" + suffix
    return f"{pitch_name(note.pitch)}{suffix}"


def pitch_name(pitch):
    """60 -> 'C4', 70 -> 'Bb4' (MIDI number to name with octave)."""
    return f"{PITCH_NAMES[pitch % 12]}{pitch // 12 - 1}"


def parse_key(text):
    """'G major' (or 'G') -> 7; only major keys are accepted."""
    parts = text.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() != "major"):
        raise ValueError(f"key must be a major key such as 'G major'; got {text!r}")
    m = re.fullmatch(r"([A-G])([#b]?)", parts[0])
    if m is None:
        raise ValueError(
            f"key must start with a note name such as G, F# or Bb; got {text!r}"
        )
    return (_LETTERS[m[1]] + _ACCIDENTALS[m[2]]) % 12


def parse_melodies(text):
    """Parse the course notation (see the header of data/melodies.txt) into Tunes.

    Raises ValueError naming the tune and line for anything it cannot read,
    and for a bar (other than the first and the last) whose notes do not
    add up to the meter.
    """
    tunes = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith("#")]
        if lines:
            tunes.append(_parse_tune(lines))
    return tunes


def _parse_tune(lines):
    fields, body = {}, []
    for line in lines:
        m = re.match(r"^(title|source|key|meter):\s*(.*)$", line)
        if m and not body:
            fields[m[1]] = m[2].strip()
        else:
            body.append(line)
    title = fields.get("title", "?")
    missing = [f for f in ("title", "source", "key", "meter") if f not in fields]
    if missing:
        raise ValueError(f"tune {title!r} lacks the field(s) {', '.join(missing)}")
    m = re.fullmatch(r"(\d+)/(1|2|4|8|16)", fields["meter"])
    if m is None:
        raise ValueError(
            f"tune {title!r}: meter must look like 3/4 or 6/8; got {fields['meter']!r}"
        )
    meter = (int(m[1]), int(m[2]))
    notes, bars, current = [], [], 0.0
    for token in " ".join(body).split():
        if token == "|":
            bars.append(current)
            current = 0.0
            continue
        try:
            note = parse_note(token)
        except ValueError as err:
            raise ValueError(f"tune {title!r}: {err}") from None
        notes.append(note)
        current += note.beats
    if current > 0:
        bars.append(current)
    if not notes:
        raise ValueError(f"tune {title!r} has no notes")
    tune = Tune(title, fields["source"], parse_key(fields["key"]), meter, notes, bars)
    for i, beats in enumerate(bars[1:-1], start=2):
        if not np.isclose(beats, tune.bar_beats):
            raise ValueError(
                f"tune {title!r}: bar {i} lasts {beats} quarter notes; "
                f"the meter {meter[0]}/{meter[1]} needs {tune.bar_beats}"
            )
    return tune


def load_melodies():
    """All tunes of the course corpus (data/melodies.txt), in file order."""
    return parse_melodies(DATA_FILE.read_text(encoding="utf-8"))


def major_scale(key):
    """The pitch classes of a major key: major_scale(7) (G) -> {7, 9, 11, 0, 2, 4, 6}."""
    key = parse_key(key) if isinstance(key, str) else int(key) % 12
    return {(key + step) % 12 for step in MAJOR_STEPS}


def in_key_fraction(notes, key):
    """The fraction of the pitched notes (rests skipped) that lie in `key`'s major scale.

    notes: Notes, MIDI numbers or None (rests); key: 0-11 or a name like 'G major'.
    Returns nan for a melody of rests only.
    """
    scale = major_scale(key)
    pitches = [n.pitch if isinstance(n, Note) else n for n in notes]
    pitches = [p for p in pitches if p is not None]
    if not pitches:
        return float("nan")
    return sum(p % 12 in scale for p in pitches) / len(pitches)


def transpose(tune, key):
    """The tune moved into another major key (0-11 or a name), by the smallest
    shift: between 6 semitones down and 5 up.  Durations stay the same."""
    key = parse_key(key) if isinstance(key, str) else int(key) % 12
    shift = (key - tune.key + 6) % 12 - 6
    notes = [n if n.is_rest else Note(n.pitch + shift, n.beats) for n in tune.notes]
    return replace(tune, key=key, notes=notes)


START = "<start>"
# every duration the notation can write, shortest first: /16, /16., /8, ... /1.
DURATION_TOKENS = tuple(
    f"/{d}{dot}" for d in ("16", "8", "4", "2", "1") for dot in ("", ".")
)


def split_token(token):
    """'F#4/8.' -> ('F#4', '/8.'): a note token as its pitch and duration parts."""
    pitch, _, duration = token.partition("/")
    return pitch, "/" + duration


@dataclass
class MelodyDataset:
    """The melodies as token sequences, from `make_melody_dataset`.

    Every tune is in `key` (C major by default).  Two encodings of the
    same notes:

    - for the RNN (`train`, `test`, `vocab`): each note is *two* tokens, its
      pitch ("E4", or "R" for a rest) and then its duration ("/4"), after a
      "<start>" token:  <start> E4 /4 D4 /4 C4 /2 …
      The vocabulary is closed: every pitch from `low` to `high` and every
      duration the notation can write, whether a tune uses it or not.
    - for the count baselines (`train_notes`, `test_notes`, `note_vocab`):
      each note is *one* token, "E4/4", after "<start>".

    Both predict the same events: the RNN's log-probability of a note is
    log p(pitch) + log p(duration | pitch), so its cross-entropy per note is
    the sum over the note's two tokens.
    """

    train_tunes: list
    test_tunes: list
    key: int
    low: int
    high: int

    def __post_init__(self):
        pitches = ["R"] + [pitch_name(p) for p in range(self.low, self.high + 1)]
        self.vocab = [START] + pitches + list(DURATION_TOKENS)
        self.index = {tok: i for i, tok in enumerate(self.vocab)}
        self.note_vocab = [START] + [p + d for p in pitches for d in DURATION_TOKENS]
        self.note_index = {tok: i for i, tok in enumerate(self.note_vocab)}
        self.train = [self.encode(t.notes) for t in self.train_tunes]
        self.test = [self.encode(t.notes) for t in self.test_tunes]
        self.train_notes = [self.encode_notes(t.notes) for t in self.train_tunes]
        self.test_notes = [self.encode_notes(t.notes) for t in self.test_tunes]

    @property
    def vocab_size(self):
        return len(self.vocab)

    @property
    def note_vocab_size(self):
        return len(self.note_vocab)

    def _lookup(self, index, token):
        if token not in index:
            raise ValueError(
                f"token {token!r} is not in the vocabulary (pitches "
                f"{pitch_name(self.low)}-{pitch_name(self.high)}, durations "
                f"{DURATION_TOKENS[0]} to {DURATION_TOKENS[-1]})"
            )
        return index[token]

    def encode(self, notes):
        """Notes -> RNN ids: <start>, then pitch and duration of each note."""
        ids = [self.index[START]]
        for note in notes:
            for part in split_token(note_to_token(note)):
                ids.append(self._lookup(self.index, part))
        return np.array(ids, dtype=np.int64)

    def encode_notes(self, notes):
        """Notes -> baseline ids: <start>, then one token per note."""
        ids = [self.note_index[START]]
        ids += [self._lookup(self.note_index, note_to_token(n)) for n in notes]
        return np.array(ids, dtype=np.int64)

    def decode(self, ids):
        """RNN ids -> Notes.  A pitch token followed by a duration token makes a
        note; anything else (<start>, a pitch without a duration, …) is skipped."""
        notes, pitch = [], None
        for i in np.asarray(ids).ravel():
            tok = self.vocab[int(i)]
            if tok.startswith("/"):
                if pitch is not None:
                    notes.append(parse_note(pitch + tok))
                pitch = None
            else:
                pitch = None if tok == START else tok
        return notes

    def decode_notes(self, ids):
        """Baseline ids -> Notes (the <start> token is skipped)."""
        toks = (self.note_vocab[int(i)] for i in np.asarray(ids).ravel())
        return [parse_note(t) for t in toks if t != START]

    def start(self, note=None):
        """A prompt for generation: <start>, and optionally a first note ("C4/4")."""
        notes = (
            []
            if note is None
            else [parse_note(note) if isinstance(note, str) else note]
        )
        return self.encode(notes)

    def start_notes(self, note=None):
        """The same prompt for the count baselines."""
        notes = (
            []
            if note is None
            else [parse_note(note) if isinstance(note, str) else note]
        )
        return self.encode_notes(notes)


def make_melody_dataset(n_test=7, key="C", seed=0, tunes=None):
    """Move every tune into `key` and hold out `n_test` whole tunes (seeded).

    Transposing to one key (as folk-music models usually do) lets a small
    corpus teach one scale well instead of twelve scales badly; it keeps
    every interval and rhythm.  The pitch range of the vocabulary spans
    whole octaves, from the C at or below the lowest note to the B at or
    above the highest, so a model can also write notes the tunes never use
    (and an untrained one does).  Same seed, same split.
    """
    tunes = load_melodies() if tunes is None else list(tunes)
    if not 0 < n_test < len(tunes):
        raise ValueError(f"n_test must be between 1 and {len(tunes) - 1}; got {n_test}")
    key = parse_key(key) if isinstance(key, str) else int(key) % 12
    moved = [transpose(t, key) for t in tunes]
    pitches = [n.pitch for t in moved for n in t.notes if not n.is_rest]
    low, high = min(pitches) // 12 * 12, max(pitches) // 12 * 12 + 11
    order = as_rng(seed).permutation(len(moved))
    test = [moved[i] for i in sorted(order[:n_test])]
    train = [moved[i] for i in sorted(order[n_test:])]
    return MelodyDataset(train, test, key, low, high)
