"""Where the student's process runs: a bubblewrap sandbox, root or not.

`command(...)` is the argv that starts `coursekit.grading.student` in a
sandbox made by bubblewrap (`bwrap`, packaged by Debian, Ubuntu and
Fedora; it needs no root where user namespaces are allowed):

- its own user, PID, network, IPC, UTS and cgroup namespaces
  (`--unshare-all`): no network, not even loopback; it sees no process
  but its own and can signal none outside; the user inside is 65534 and,
  as root grades, no capability survives (`--cap-drop ALL`), and no new
  user namespace can be made inside (`--disable-userns`);
- a file system of its own: the system's programs and libraries
  read-only (/usr and the links to it, the few files of /etc the dynamic
  linker needs), Python and its packages read-only, the student's library
  read-only (rnnlib without the graded references, coursekit's checks as
  stand-ins, the frameworks the exercise does not use as modules that
  refuse to import; it is laid over the real packages where they lie
  inside a bound folder, so no change of sys.path reaches them), a fresh
  /proc and /dev, and two writable, size-limited tmpfs: /tmp, whose folder
  /tmp/work is its working folder, and a small /dev/shm.  The course
  checkout, the sources and their hidden tests, the class folder with
  every other submission, the gradebook, /home and /root are not there;
- everything it starts dies with it (`--die-with-parent`, the PID
  namespace), and nothing it wrote survives it.

`unavailable_reason()` says why a sandbox cannot be had here (no bwrap,
user namespaces refused), or None.  Without one the student's process runs
as a plain child process with the grader's rights (a warning says so).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

LIBRARY = "/opt/coursekit-student"  # the student's library inside
WORKDIR = "/tmp/work"  # the student's working folder inside
USER_ID = 65534  # the user inside the sandbox ("nobody")
SHM_BYTES = 16 * 2**20  # the size of its /dev/shm
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf")
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt install bubblewrap`, "
    "Fedora: `sudo dnf install bubblewrap`; macOS: grade in the container "
    "described in docs/instructor_guide.md)"
)


def package_folders() -> list[str]:
    """Folders of packages on this Python's path outside its prefixes (a
    PYTHONPATH to a virtual environment's site-packages): the student's
    Python searches them after its library."""
    return [
        os.path.realpath(p)
        for p in sys.path
        if p and os.path.isdir(p) and ("site-packages" in p or "dist-packages" in p)
    ]


def python_roots() -> list[str]:
    """The folders Python and its packages live in (bound read-only)."""
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    roots.add(os.path.realpath(sys.exec_prefix))
    roots |= {p for p in package_folders() if not any(_inside(p, r) for r in roots)}
    return sorted(roots)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _binds_for_system() -> list[str]:
    args = []
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC:
        path = f"/etc/{name}"
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    cpu = "/sys/devices/system/cpu"  # BLAS libraries read the CPU's topology
    if os.path.isdir(cpu):
        args += ["--ro-bind", cpu, cpu]
    return args


def _real_packages(roots: list[str], names) -> list[str]:
    """(package, folder) of each of `names` that a bound root holds (rnnlib
    and coursekit in a non-editable install, the frameworks absent while an
    exercise is graded): the student's library is laid over them, so no
    change of sys.path finds the real one.  Found without importing."""
    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        places = list(getattr(spec, "submodule_search_locations", None) or [])
        for place in places:
            folder = os.path.realpath(place)
            if any(_inside(folder, root) for root in roots):
                found += [name, folder]
    return found


def environment(library: str) -> dict[str, str]:
    """The student's process's whole environment."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": WORKDIR,
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([library, *package_folders()]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{WORKDIR}/.matplotlib",
        "IPYTHONDIR": f"{WORKDIR}/.ipython",
        # one BLAS thread: jobs run side by side
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }


def command(library: Path, fd: int, scratch_bytes: int) -> list[str]:
    """The argv of a sandboxed student's process talking on `fd`."""
    roots = python_roots()
    args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent"]
    args += ["--new-session"]
    args += ["--uid", str(USER_ID), "--gid", str(USER_ID), "--hostname", "grading"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    if _supports("--disable-userns"):
        args += ["--disable-userns"]
    args += _binds_for_system()
    for root in roots:
        args += ["--ro-bind", root, root]
    args += ["--ro-bind", str(library), LIBRARY]
    names = [p.name for p in sorted(library.iterdir()) if p.is_dir()]
    packages = _real_packages(roots, names)
    for name, folder in zip(packages[::2], packages[1::2], strict=True):
        args += ["--ro-bind", str(library / name), folder]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(scratch_bytes), "--tmpfs", "/tmp"]
    # /dev/shm is the only other place it can write: POSIX semaphores need
    # it, nothing needs it large (a file there is memory no RSS counts)
    args += ["--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
    args += ["--dir", WORKDIR, "--chdir", WORKDIR, "--clearenv"]
    for key, value in environment(LIBRARY).items():
        args += ["--setenv", key, value]
    args += ["--", sys.executable, "-m", "coursekit.grading.student", str(fd)]
    return args


def plain_command(fd: int) -> list[str]:
    """The argv of an unsandboxed student's process (its environment:
    `environment(library)`, its folder: a temporary one)."""
    return [sys.executable, "-m", "coursekit.grading.student", str(fd)]


@functools.cache
def _supports(option: str) -> bool:
    try:
        text = subprocess.run(
            ["bwrap", "--help"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return option in text


@functools.cache
def unavailable_reason() -> str | None:
    """None if a sandbox can be made here, else why not (one line)."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux, this is {sys.platform}; {INSTALL_HINT}"
    if shutil.which("bwrap") is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    probe = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        *_binds_for_system(),
        *[a for root in python_roots() for a in ("--ro-bind", root, root)],
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--",
        sys.executable,
        "-c",
        "import numpy, IPython",
    ]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not run: {exc}"
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        return (
            f"bubblewrap could not make a sandbox here ({said[-1][:200]}); "
            "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone"
            " or user.max_user_namespaces), or run the grader as root"
        )
    return None
