"""Synthesising melodies into waveforms."""

import numpy as np
import pytest

from rnnlib.audio import duration_seconds, midi_to_hz, synthesize, wav_bytes
from rnnlib.datasets.melodies import Note


def test_midi_to_hz_is_equal_temperament():
    assert midi_to_hz(69) == pytest.approx(440.0)
    assert midi_to_hz(81) == pytest.approx(880.0)
    assert midi_to_hz(60) == pytest.approx(261.6256, abs=1e-4)


def test_synthesize_has_the_melodys_length_and_range():
    notes = [Note(60, 1.0), Note(64, 0.5), Note(None, 0.5), Note(67, 2.0)]
    wave = synthesize(notes, tempo=120, sample_rate=8000, volume=0.5)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert len(wave) == 8000 * 2  # 4 beats at 120 per minute = 2 s
    assert duration_seconds(notes, tempo=120) == pytest.approx(2.0)
    assert np.abs(wave).max() == pytest.approx(0.5, abs=1e-6)


def test_a_rest_is_silent():
    wave = synthesize([(69, 1.0), (None, 1.0), (69, 1.0)], tempo=60, sample_rate=8000)
    assert np.abs(wave[8000:16000]).max() == 0
    assert np.abs(wave[:8000]).max() > 0.1


def test_the_loudest_frequency_is_the_notes_pitch():
    wave = synthesize([(69, 2.0)], tempo=60, sample_rate=8000, decay=0.5)
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(len(wave), 1 / 8000)
    assert freqs[spectrum.argmax()] == pytest.approx(440.0, abs=1.0)


def test_overtones_above_nyquist_are_left_out():
    # C7 = 2093 Hz: its 2nd harmonic (4186 Hz) lies above 4000 Hz, and would
    # fold back to 3814 Hz if it were synthesised
    wave = synthesize([(96, 4.0)], tempo=60, sample_rate=8000, harmonics=(1.0, 1.0))
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(len(wave), 1 / 8000)
    alias = spectrum[np.abs(freqs - 3814) < 20].max()
    assert alias < 0.01 * spectrum.max()


def test_notes_start_and_end_without_clicks():
    wave = synthesize([(60, 1.0), (72, 1.0)], tempo=120, sample_rate=8000)
    assert abs(wave[0]) < 1e-3 and abs(wave[3999]) < 0.05 and abs(wave[-1]) < 0.05


def test_max_seconds_keeps_whole_notes_only():
    notes = [(60, 1.0)] * 10
    wave = synthesize(notes, tempo=60, sample_rate=8000, max_seconds=3.5)
    assert len(wave) == 3 * 8000


def test_synthesize_rejects_bad_arguments():
    with pytest.raises(ValueError, match="tempo must be > 0"):
        synthesize([(60, 1.0)], tempo=0)
    with pytest.raises(ValueError, match=r"notes\[1\] must last > 0 beats"):
        synthesize([(60, 1.0), (62, 0.0)])
    with pytest.raises(ValueError, match="sample_rate must be an int >= 1000"):
        synthesize([(60, 1.0)], sample_rate=100)


def test_wav_bytes_is_a_16_bit_mono_wav_file():
    import io
    import wave

    samples = np.array([0.0, 0.5, -1.0, 2.0])
    data = wav_bytes(samples, sample_rate=8000)
    with wave.open(io.BytesIO(data)) as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, 8000)
        pcm = np.frombuffer(f.readframes(4), dtype="<i2")
    assert pcm.tolist() == [0, 16383, -32767, 32767]  # clipped to [-1, 1]
