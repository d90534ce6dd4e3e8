"""The course's text keeps its promises.

Every "notebook NN" or "exercise NN" in the notebooks, the exercise sources,
the guides and the README names a notebook that exists, and where the
sentence names an idea (attention, the LSTM, the vanishing gradient, …) the
notebook it points to is the one that teaches that idea.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERS = {int(p.name[:2]) for p in NOTEBOOKS}
EXERCISES = {int(p.name[:2]) for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")}

# idea -> (pattern, notebooks that teach it).  Each home must name the idea
# in its title or section headings: test_every_idea_is_taught_where_it_points.
IDEAS = {
    "attention": (r"\battention\b", {12}),
    "beam search": (r"\bbeam search\b", {12}),
    "LSTM": (r"\bLSTMs?\b", {9}),
    "GRU": (r"\bGRUs?\b", {11}),
    "language model": (r"\blanguage models?\b", {11}),
    "vanishing gradient": (r"\bvanish", {8}),
    "exploding gradient": (r"\bexplod", {8}),
    "clipping": (r"\bclipping\b", {8}),
    "bidirectional": (r"\bbidirectional\b", {7}),
    "encoder–decoder": (r"\bencoder[–-]decoder\b", {6}),
    "truncated BPTT": (r"\btruncated\b", {2}),
    "backpropagation through time": (r"\bbackpropagation through time\b", {2}),
    "teacher forcing": (r"\bteacher forcing\b", {5}),
    "padding and masks": (r"\bmasks?\b", {3, 7}),
    "sentiment": (r"\bsentiment\b", {4}),
    "PyTorch and Keras": (r"\b(PyTorch|Keras)\b", {10}),
}
REFERENCE = re.compile(r"\b(notebooks?|exercises?)\s+(\d\d)\b", re.IGNORECASE)
BEFORE, AFTER = 40, 60  # characters around a reference that name its idea
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(])|\n\s*\n|\n\s*[-*#]")


def _texts():
    """(where, text) for every markdown cell and guide of the course."""
    for folder in ("notebooks", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "markdown":
                    yield f"{folder}/{path.name} cell {i}", cell.source
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        yield str(path.relative_to(ROOT)), path.read_text()


def _ideas_in(text):
    return [name for name, (pattern, _) in IDEAS.items() if re.search(pattern, text)]


def _idea_of(sentence, ref, previous_end, next_start):
    """The ideas a reference is attached to: in the parenthesis right after
    it ("notebook 03 (padding and masks)"), else named just before it in the
    same clause ("an LSTM (notebook 09)", "the vanishing gradient in notebook
    08"; closed asides skipped), else, for a reference that opens its sentence, just
    after it ("Notebook 12 removes the bottleneck: with attention ...")."""
    after = sentence[ref.end() : next_start]
    parenthesis = re.match(r"\s*\(([^)]*)\)", after)
    if parenthesis and _ideas_in(parenthesis.group(1)):
        return _ideas_in(parenthesis.group(1))
    before = re.sub(r"\([^()]*\)", "", sentence[previous_end : ref.start()])
    clause = re.split(r"[,;:—]", before)[-1]  # "one bidirectional, as in ..."
    ideas = _ideas_in(clause[-BEFORE:])
    if ideas or sentence[: ref.start()].strip(" *_("):
        return ideas
    return _ideas_in(after[:AFTER])


def _problems(where, text):
    """What is wrong with the references in one text."""
    problems = []
    text = re.sub(r"`[^`]*`", "", text)  # code names ideas in passing
    for sentence in SENTENCE_END.split(text):
        refs = list(REFERENCE.finditer(sentence))
        for k, ref in enumerate(refs):
            kind, number = ref.group(1).lower(), int(ref.group(2))
            known = NUMBERS if kind.startswith("notebook") else EXERCISES
            if number not in known:
                problems.append(f"{where}: {ref.group(0)!r} does not exist")
                continue
            if kind != "notebook":
                continue  # lists ("notebooks 01 and 02") and exercises: existence
            ideas = _idea_of(
                sentence,
                ref,
                refs[k - 1].end() if k else 0,
                refs[k + 1].start() if k + 1 < len(refs) else len(sentence),
            )
            homes = set().union(*(IDEAS[name][1] for name in ideas))
            if ideas and number not in homes:
                problems.append(
                    f"{where}: {ref.group(0)!r} for {', '.join(ideas)}, taught in"
                    f" notebook {', '.join(f'{n:02d}' for n in sorted(homes))}:"
                    f" ...{' '.join(sentence.split())[:160]}..."
                )
    return problems


def test_every_idea_is_taught_where_it_points():
    """The first home of an idea names it in its title, objectives or
    headings; every other home at least discusses it."""
    headings, prose = {}, {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
        number = int(path.name[:2])
        prose[number] = "\n".join(markdown)
        headings[number] = "\n".join(
            [markdown[0]]
            + [
                line
                for m in markdown
                for line in m.splitlines()
                if line.startswith("#")
            ]
        )
    for name, (pattern, homes) in IDEAS.items():
        for number in homes:
            assert number in prose, f"{name}: notebook {number:02d} does not exist"
            assert re.search(pattern, prose[number], re.IGNORECASE), (
                f"notebook {number:02d} is named as a home of {name} but never"
                " mentions it"
            )
        first = min(homes)
        assert re.search(pattern, headings[first], re.IGNORECASE), (
            f"notebook {first:02d} is the home of {name}, but its title,"
            " objectives and headings do not name it"
        )


def test_references_name_the_notebook_that_teaches_the_idea():
    problems = [p for where, text in _texts() for p in _problems(where, text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "sentence",
    [
        "A bigger state or an LSTM (notebook 07 onwards) pushes the limit.",
        "It is the fading we met as the vanishing gradient in notebook 02.",
        "Notebook 08 removes the bottleneck: with attention the decoder looks back.",
    ],
)
def test_a_reference_to_the_wrong_notebook_is_caught(sentence):
    assert _problems("example", sentence), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "**Prerequisites.** Notebook 02 (backpropagation through time) and notebook"
        " 03 (softmax cross-entropy at every step, masks for padding).",
        "Train two taggers, one bidirectional (`SequenceLabeler`), as in notebook 03.",
        "The lesson of notebook 08 in one picture: the LSTM learned.",
        "Exercises 01 (the RNN step) and 09 (the LSTM), notebook 10.",
    ],
)
def test_a_reference_beside_another_idea_is_not_blamed(sentence):
    assert not _problems("example", sentence), sentence


# A decimal or a percentage in prose is either a value the code sets (a
# learning rate, a bound an assert checks) or a fact outside the course.
QUOTED = re.compile(r"(?<![\w.$^_{])(\d+\.\d+|\d+(?:\.\d+)?\s?%)(?![\w.])")
NOT_MEASURED = {"TensorFlow 1.15"}


def _spellings(quoted):
    """How the code may write a quoted number: 0.9 as 0.9; 72 % as 72 or 0.72."""
    value = quoted.replace(" ", "")
    if not value.endswith("%"):
        return {value}
    percent = value[:-1]
    return {percent, repr(float(percent) / 100)}


def _unchecked_numbers(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"\$[^$]*\$|`[^`]*`", "", cell.source)  # math and code
        for m in QUOTED.finditer(text):
            context = " ".join(text[max(0, m.start() - 60) : m.end() + 20].split())
            if any(phrase in context for phrase in NOT_MEASURED):
                continue
            if not any(s in code for s in _spellings(m.group(1))):
                found.append(f"cell {i}: {m.group(1)!r} in ...{context}...")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_set_or_asserted_by_the_code(path):
    """A measured number quoted in the text must stand in the code too, as the
    bound of the assert that checks it (or as the setting that makes it)."""
    found = _unchecked_numbers(nbformat.read(path, as_version=4))
    assert not found, "numbers the code neither sets nor asserts:\n" + "\n".join(found)
