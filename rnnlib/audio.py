"""Listen to a melody: synthesise notes into a NumPy waveform.

Each note becomes a few sine waves (the fundamental and its overtones, an
*additive* tone) shaped by an envelope: a quick attack, an exponential
decay like a plucked or struck string, and a short release so that notes
do not click.  Play the result in a notebook with

    from IPython.display import Audio
    Audio(synthesize(notes), rate=8000)

A low sample rate (8000 samples per second) keeps notebooks small; overtones
above half the sample rate (the Nyquist frequency) are left out, since they
would fold back as wrong pitches (aliasing).
"""

import numpy as np


def midi_to_hz(pitch):
    """Frequency of a MIDI pitch in equal temperament: 440 * 2 ** ((p - 69) / 12).

    69 is A4 (440 Hz); 60 is middle C (261.6 Hz); +12 doubles the frequency.
    """
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=np.float64) - 69) / 12)


def _as_pairs(notes):
    """Notes (objects with .pitch and .beats) or (pitch, beats) pairs -> a list of pairs."""
    pairs = []
    for i, n in enumerate(notes):
        pitch, beats = (n.pitch, n.beats) if hasattr(n, "beats") else n
        if not np.isfinite(beats) or beats <= 0:
            raise ValueError(f"notes[{i}] must last > 0 beats; got {beats!r}")
        pairs.append((pitch, float(beats)))
    return pairs


def synthesize(
    notes,
    tempo=120,
    sample_rate=8000,
    harmonics=(1.0, 0.5, 0.25, 0.125),
    decay=3.0,
    attack=0.01,
    release=0.04,
    volume=0.5,
    max_seconds=None,
):
    """The melody as a float32 waveform in [-volume, volume].

    notes: a list of Notes (pitch = MIDI number or None for a rest, beats =
    length in quarter notes) or of (pitch, beats) pairs.  tempo: quarter
    notes per minute.  harmonics: the amplitude of the 1st, 2nd, 3rd …
    multiple of the note's frequency.  decay: how fast a note fades (1/s);
    attack and release: the seconds of the fade in and out.  max_seconds
    cuts the melody short (whole notes only).  Returns a 1-D array with
    sample_rate samples per second.
    """
    if not tempo > 0:
        raise ValueError(f"tempo must be > 0 quarter notes per minute; got {tempo!r}")
    if not (isinstance(sample_rate, (int, np.integer)) and sample_rate >= 1000):
        raise ValueError(f"sample_rate must be an int >= 1000; got {sample_rate!r}")
    harmonics = np.asarray(harmonics, dtype=np.float64)
    if harmonics.ndim != 1 or harmonics.size == 0:
        raise ValueError(
            f"harmonics must be a 1-D list of amplitudes; got {harmonics!r}"
        )
    seconds_per_beat = 60.0 / tempo
    pieces, elapsed = [], 0.0
    for pitch, beats in _as_pairs(notes):
        seconds = beats * seconds_per_beat
        if max_seconds is not None and elapsed + seconds > max_seconds + 1e-9:
            break
        elapsed += seconds
        n = int(round(seconds * sample_rate))
        if pitch is None or n == 0:
            pieces.append(np.zeros(n))
            continue
        t = np.arange(n) / sample_rate
        f0 = float(midi_to_hz(pitch))
        tone = np.zeros(n)
        for k, amp in enumerate(harmonics, start=1):
            if k * f0 < sample_rate / 2:  # keep below the Nyquist frequency
                tone += amp * np.sin(2 * np.pi * k * f0 * t)
        env = np.exp(-decay * t)
        env *= np.clip(t / attack, 0, 1) if attack > 0 else 1
        if release > 0:
            env *= np.clip((seconds - t) / release, 0, 1)
        pieces.append(tone * env)
    wave = np.concatenate(pieces) if pieces else np.zeros(0)
    peak = np.abs(wave).max() if wave.size else 0.0
    if peak > 0:
        wave = wave * (volume / peak)
    return wave.astype(np.float32)


def duration_seconds(notes, tempo=120):
    """How long the melody lasts at `tempo` quarter notes per minute."""
    return sum(beats for _, beats in _as_pairs(notes)) * 60.0 / tempo


def wav_bytes(wave, sample_rate=8000):
    """A waveform in [-1, 1] as the bytes of a 16-bit mono WAV file.

    For players that take a file's bytes, such as ipywidgets.Audio(value=...).
    """
    import io
    import wave as wavfile

    samples = np.clip(np.asarray(wave, dtype=np.float64), -1, 1)
    pcm = (samples * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wavfile.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(int(sample_rate))
        f.writeframes(pcm)
    return buffer.getvalue()
