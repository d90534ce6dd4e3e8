"""coursekit.sandbox: what a grading kernel sees, planned and entered.

The plan (`make_plan`, `mounts`) is pure and tested everywhere.  Entering it
needs root on Linux: those tests run a fresh Python that enters a sandbox
and reports what it can reach.  Elsewhere they skip, saying why, unless
COURSEKIT_REQUIRE_ISOLATION is set (as CI sets it).  The grader's own attack
tests are in tests/test_grade_tampering.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit import grade, sandbox

NOBODY = (65534, 65534)  # uid, gid that own nothing in a test folder


def covered(folder: str, covers) -> bool:
    return any(sandbox._inside(folder, c) for c, _ in covers)


def test_outside_system_lists_every_top_folder_but_the_systems(tmp_path):
    for name in ("usr", "etc", "home", "data", "opt"):
        (tmp_path / name).mkdir()
    (tmp_path / "bin").symlink_to("usr")  # a merged /usr: /bin -> usr/bin
    (tmp_path / "notes.txt").write_text("a file is not a folder")
    found = sandbox.outside_system(str(tmp_path))
    assert found == [str(tmp_path / n) for n in ("data", "home", "opt")]


def test_the_plan_hides_everything_but_the_system_python_and_its_folder(tmp_path):
    workdir, secret = tmp_path / "work", tmp_path / "class" / "alice"
    workdir.mkdir()
    secret.mkdir(parents=True)
    plan = sandbox.make_plan(workdir, [secret / "01.ipynb"], 2**20)
    assert plan["size"] == 16 * 2**20  # never smaller than 16 MiB
    assert str(secret) in plan["hide"]  # a file's folder
    covers, binds, late = sandbox.mounts(plan, *NOBODY)
    everything = [c for c, _ in [*covers, *late]]
    assert "/" not in everything
    for folder in everything:  # no system folder, nor one that holds one
        assert not any(sandbox._inside(s, folder) for s in sandbox.SYSTEM), folder
    for folder in sandbox.outside_system():
        assert covered(os.path.realpath(folder), covers), folder
    assert ("/tmp", True) in covers  # scratch: empty and writable
    assert covered(str(secret), covers)
    # what it keeps comes back at its own path, whole
    for kept in plan["keep"]:
        inside = covered(kept, covers)
        assert not inside or any(sandbox._inside(kept, b) for b in binds), kept
    assert os.path.realpath(workdir) in binds
    if os.path.isdir("/var/tmp") and os.path.isdir("/var"):
        assert ("/var/tmp", True) in late  # a scratch folder inside a cover


def test_a_hidden_folder_inside_a_kept_one_is_covered_after_the_bind(tmp_path):
    workdir = tmp_path / "work"
    (workdir / "private").mkdir(parents=True)
    plan = sandbox.make_plan(workdir, [workdir / "private"], 2**24)
    covers, binds, late = sandbox.mounts(plan, *NOBODY)
    private = os.path.realpath(workdir / "private")
    assert (private, False) in late
    assert not covered(private, [(b, False) for b in binds if b != plan["workdir"]])


def test_a_cover_shows_only_the_way_to_each_kept_folder(tmp_path):
    keep = [tmp_path / "ci" / ".venv", tmp_path / "run" / "w1", tmp_path / "run"]
    assert sandbox.ways_in(str(tmp_path), keep) == ["ci", "run"]
    assert sandbox.ways_in(str(tmp_path / "ci"), keep) == [".venv"]
    assert sandbox.ways_in(str(tmp_path / "elsewhere"), keep) == []


def test_folders_nobody_may_enter_are_found_on_the_way(tmp_path):
    locked = tmp_path / "locked"
    (locked / "python").mkdir(parents=True)
    locked.chmod(0o700)
    try:
        found = sandbox._locked_ancestors(str(locked / "python"), *NOBODY)
    finally:
        locked.chmod(0o755)
    owner = locked.stat().st_uid
    if owner == NOBODY[0]:
        assert str(locked) not in found  # its owner may enter it
    else:
        assert str(locked) in found
    assert "/" not in found and str(locked / "python") not in found


# --------------------------------------------------------------------------
# entering a sandbox (root on Linux)

ENTER = """
import json, os, sys
from pathlib import Path
import coursekit.sandbox as sandbox
plan = json.loads(sys.argv[1])
workdir = Path(plan["workdir"])
os.chdir(workdir / "run")
sandbox.enter(plan)

def can_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
    except OSError:
        return False
    os.remove(path)
    return True

with open("/proc/self/status") as f:
    status = dict(line.split(":", 1) for line in f if ":" in line)
print(json.dumps({
    "uid": os.getuid(), "euid": os.geteuid(), "groups": os.getgroups(),
    "no_new_privs": status["NoNewPrivs"].strip(),
    "cwd": os.getcwd(),
    "secret": os.path.exists(sys.argv[2]),
    "class": os.path.exists(os.path.dirname(sys.argv[2])),
    "tmp": sorted(os.listdir("/tmp")),
    "home": sorted(os.listdir("/home")) if os.path.isdir("/home") else [],
    "write_run": can_write(workdir / "run" / "out.txt"),
    "write_lib": can_write(workdir / "lib" / "patched.py"),
    "read_lib": (workdir / "lib" / "mod.py").read_text(),
    "write_prefix": can_write(os.path.join(sys.prefix, "planted.txt")),
    "write_scratch": can_write("/tmp/scratch.txt"),
    "python": os.path.isfile(sys.executable),
}))
"""


@pytest.fixture(scope="module")
def inside(tmp_path_factory):
    """What a process in a sandbox reports, and the folders it was given."""
    reason = sandbox.unavailable_reason()
    if reason:
        if os.environ.get("COURSEKIT_REQUIRE_ISOLATION"):
            pytest.fail(f"{reason} (COURSEKIT_REQUIRE_ISOLATION is set)")
        pytest.skip(f"no isolation here: {reason}")
    base = tmp_path_factory.mktemp("sandbox")
    workdir = base / "work"
    (workdir / "lib").mkdir(parents=True)
    (workdir / "lib" / "mod.py").write_text("VALUE = 1\n")
    (workdir / "run").mkdir()
    sandbox.prepare(workdir)
    secret = base / "class" / "bob" / "answers.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text("bob's work")
    plan = sandbox.make_plan(workdir, [secret.parent.parent], 2**26)
    run = subprocess.run(
        [sys.executable, "-c", ENTER, json.dumps(plan), str(secret)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(sandbox.__file__).parents[1])},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    return {"seen": seen, "workdir": workdir, "secret": secret, "plan": plan}


def test_inside_it_runs_as_nobody_who_cannot_regain_root(inside):
    seen = inside["seen"]
    nobody = sandbox.pwd.getpwnam(sandbox.USER).pw_uid
    assert (seen["uid"], seen["euid"], seen["groups"]) == (nobody, nobody, [])
    assert seen["no_new_privs"] == "1"
    assert seen["cwd"] == str(inside["workdir"] / "run")  # where it started


def test_inside_it_sees_no_other_work(inside):
    seen = inside["seen"]
    assert (seen["secret"], seen["class"]) == (False, False)
    # the way to its own folder and to Python (a venv may live in /tmp)
    assert seen["tmp"] == sandbox.ways_in("/tmp", inside["plan"]["keep"])
    assert seen["home"] == []
    assert inside["secret"].read_text() == "bob's work"  # outside, untouched


def test_inside_it_writes_only_its_own_folders_and_scratch(inside):
    seen = inside["seen"]
    assert (seen["write_run"], seen["write_scratch"]) == (True, True)
    assert (seen["write_lib"], seen["write_prefix"]) == (False, False)
    assert seen["read_lib"] == "VALUE = 1\n" and seen["python"]
    assert not (inside["workdir"] / "lib" / "patched.py").exists()
    assert not Path("/tmp/scratch.txt").exists()  # it was a private /tmp


# --------------------------------------------------------------------------
# the grader's choice


def class_folder(tmp_path: Path) -> Path:
    solutions = Path(grade.__file__).resolve().parents[1] / "solutions"
    folder = tmp_path / "class" / "alice"
    folder.mkdir(parents=True)
    name = "01_forward_propagation_exercises.ipynb"
    (folder / name).write_bytes((solutions / name).read_bytes())
    return tmp_path / "class"


def test_without_isolation_auto_warns_and_required_refuses(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "no root here")
    root = class_folder(tmp_path)
    out = tmp_path / "gradebook.csv"
    args = [str(root), "--out", str(out), "--isolation", "required"]
    assert grade.main(args) == 2
    assert "cannot grade in isolation: no root here" in capsys.readouterr().err
    assert not out.exists()  # nothing ran

    parsed = type("Args", (), {"isolation": "auto"})()
    assert grade._isolation(parsed, [], root) is None
    warning = capsys.readouterr().err
    assert "unisolated" in warning and "no root here" in warning
