"""The first names of the US Census 1990 lists (package `names`): loading,
splits, vocabulary, encoding and batches."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rnnlib.datasets import names as names_module
from rnnlib.datasets.names import (
    VOCAB,
    decode_name,
    encode_name,
    load_names,
    make_name_dataset,
)


def raw_names(filename):
    """The names column of one of the package's files, read independently."""
    folder = Path(importlib.util.find_spec("names").origin).parent
    lines = (folder / filename).read_text().splitlines()
    return [line.split()[0].lower() for line in lines if line.strip()]


def test_load_names_counts_the_distinct_census_first_names():
    male, female = raw_names("dist.male.first"), raw_names("dist.female.first")
    assert (len(male), len(female)) == (1219, 4275)
    assert len(load_names("male")) == 1219
    assert len(load_names("female")) == 4275
    # 331 names are on both lists, so 1219 + 4275 - 331 distinct ones
    assert len(set(male) & set(female)) == 331
    assert len(load_names()) == 1219 + 4275 - 331 == 5163


def test_load_names_is_sorted_lower_case_letters():
    everyone = load_names()
    assert everyone == sorted(everyone)
    assert all(n.isalpha() and n.islower() and n.isascii() for n in everyone)
    assert {"mary", "james", "emma", "zoe"} <= set(everyone)


def test_load_names_refuses_an_unknown_list():
    with pytest.raises(ValueError, match="lists must be a non-empty subset"):
        load_names(("male", "dogs"))


def test_missing_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(names_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="pip install names"):
        load_names()


def test_splits_have_the_requested_sizes_and_cover_every_name():
    data = make_name_dataset(n_valid=400, n_test=300, seed=0)
    assert (len(data.train), len(data.valid), len(data.test)) == (4463, 400, 300)
    assert sorted(data.train + data.valid + data.test) == load_names()


def test_splits_do_not_overlap():
    data = make_name_dataset(seed=0)
    train, valid, test = set(data.train), set(data.valid), set(data.test)
    assert not train & valid and not train & test and not valid & test


def test_split_is_deterministic_per_seed():
    a, b = make_name_dataset(seed=3), make_name_dataset(seed=3)
    assert (a.train, a.valid, a.test) == (b.train, b.valid, b.test)
    c = make_name_dataset(seed=4)
    assert len(set(a.valid) & set(c.valid)) < 100  # 500 of 5163 twice: ~48 shared


def test_split_larger_than_the_names_is_refused():
    with pytest.raises(ValueError, match="n_valid \\+ n_test"):
        make_name_dataset(n_valid=3000, n_test=3000)


def test_vocabulary_is_the_boundary_and_26_letters():
    data = make_name_dataset(seed=0)
    assert (
        data.vocab_size == 27
        and VOCAB[0] == "."
        and "".join(VOCAB[1:]) == ("abcdefghijklmnopqrstuvwxyz")
    )


def test_encode_puts_a_boundary_on_each_side():
    np.testing.assert_array_equal(encode_name("emma"), [0, 5, 13, 13, 1, 0])
    assert encode_name("zoe").dtype == np.int64


def test_encode_then_decode_gives_back_every_name():
    everyone = load_names()
    assert [decode_name(encode_name(n)) for n in everyone] == everyone


def test_decode_stops_at_the_closing_boundary():
    assert decode_name(np.array([0, 1, 2, 0, 3, 4])) == "ab"
    assert decode_name(np.array([1, 2])) == "ab"  # no boundary at all


def test_encode_refuses_characters_outside_a_to_z():
    with pytest.raises(ValueError, match="only the letters a-z; 'Anne-Marie'"):
        encode_name("Anne-Marie")
    with pytest.raises(TypeError, match="name must be a str"):
        encode_name(5)


def test_batch_pads_names_and_masks_the_padding():
    data = make_name_dataset(seed=0)
    ids, mask = data.batch(["al", "emma", "bo"])
    assert ids.shape == mask.shape == (3, 6)
    np.testing.assert_array_equal(ids[1], [0, 5, 13, 13, 1, 0])
    np.testing.assert_array_equal(ids[0], [0, 1, 12, 0, 0, 0])
    np.testing.assert_array_equal(mask.sum(axis=1), [4, 6, 4])
    np.testing.assert_array_equal(mask[0], [1, 1, 1, 1, 0, 0])


def test_encoded_split_matches_the_names():
    data = make_name_dataset(seed=0)
    encoded = data.encoded("valid")
    assert len(encoded) == 500
    assert [decode_name(s) for s in encoded] == data.valid
    assert sum(len(s) - 1 for s in encoded) == sum(len(n) + 1 for n in data.valid)
    with pytest.raises(ValueError, match="split must be"):
        data.encoded("dev")
