"""The set-up files agree with each other."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyproject = {_name(r) for r in project["dependencies"]}
    pyproject |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    conda -= {"python", "pip"}
    # what conda-forge lacks comes from PyPI, before the course itself
    pip_part = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert pip_part[-1] == "-e .", pip_part
    from_pip = {_name(r) for r in pip_part[:-1]}
    assert not conda & from_pip, f"listed twice: {sorted(conda & from_pip)}"
    listed = conda | from_pip
    assert listed == pyproject, (
        f"only in environment.yml: {sorted(listed - pyproject)}; "
        f"only in pyproject.toml: {sorted(pyproject - listed)}"
    )


def test_dependencies_have_floors_not_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    everything = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    for requirement in everything:
        assert ">=" in requirement and "==" not in requirement, requirement


def test_every_public_name_is_importable_from_rnnlib():
    import rnnlib

    for name in rnnlib.__all__:
        assert hasattr(rnnlib, name), name
    for name in (
        "rnn_step_forward",
        "rnn_step_backward",
        "rnn_forward",
        "rnn_backward",
        "RNN",
        "bce_with_logits",
        "softmax_cross_entropy",
        "Dense",
        "Embedding",
        "clip_grad_norm",
    ):
        assert name in rnnlib.__all__, name


def test_import_rnnlib_leaves_matplotlib_unloaded_until_viz_is_used():
    import subprocess
    import sys

    code = (
        "import sys, rnnlib; before = 'matplotlib' in sys.modules; "
        "rnnlib.viz.plots; print(before, 'matplotlib' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == ["False", "True"], run.stdout + run.stderr
