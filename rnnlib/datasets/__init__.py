"""Synthetic, seeded, offline datasets for the course.

Every generator takes `seed=` (int or np.random.Generator) and returns NumPy
arrays; nothing is downloaded.  Small text data the course wrote itself
lives in `rnnlib/datasets/data/`.
"""

from .dna import CpGHMM, decode_accuracy, one_hot
from .long_gap import long_gap
from .melodies import Note, Tune, in_key_fraction, load_melodies, make_melody_dataset
from .names import NameData, load_names, make_name_dataset
from .numbers import make_number_translation, number_to_words
from .padding import lengths_from_mask, pad_sequences, unpad
from .segmentation import make_segmentation
from .sentiment import make_reviews
from .toy import (
    MotifData,
    count_occurrences,
    decode_dna,
    echo_task,
    encode_dna,
    motif_dataset,
    random_dna,
    running_count,
    running_parity,
)

__all__ = [
    "CpGHMM",
    "decode_accuracy",
    "long_gap",
    "NameData",
    "load_names",
    "make_name_dataset",
    "Note",
    "Tune",
    "in_key_fraction",
    "load_melodies",
    "make_melody_dataset",
    "make_number_translation",
    "number_to_words",
    "lengths_from_mask",
    "make_reviews",
    "make_segmentation",
    "one_hot",
    "pad_sequences",
    "unpad",
    "MotifData",
    "count_occurrences",
    "decode_dna",
    "echo_task",
    "encode_dna",
    "motif_dataset",
    "random_dna",
    "running_count",
    "running_parity",
]
