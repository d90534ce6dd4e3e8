"""Run a grading kernel where it reaches nothing but its own folder.

`coursekit.grade` calls `enter(plan)` first thing in each kernel's process,
before ipykernel starts, when it grades as root on Linux.  The kernel then:

1. gets its own mount table, an empty network (not even loopback is up) and
   its own System V IPC (`unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)`),
   and makes every mount private, so nothing it mounts shows outside;
2. sees an empty read-only folder (a tmpfs) in place of each folder to hide:
   the course checkout, the `--source` folder, the class folder and each
   submission's folder, the gradebook's and the feedback's folders, and any
   folder on the way to Python that the user `nobody` could not enter (such
   as `/root` above a pyenv Python);
3. sees a fresh, empty, writable tmpfs in place of each shared scratch folder
   (`/tmp`, `/var/tmp`, `/dev/shm`, `/run/lock`, the temporary folder): what
   it writes there vanishes with it, and it sees no other grading run;
4. finds its own folder (the grader's temporary folder for this notebook)
   and Python (`sys.prefix`, `sys.base_prefix`, read-only) bound back at
   their own paths, so the paths it was given still work;
5. drops to the user `nobody`, with no supplementary groups, no way to gain
   privileges again (`PR_SET_NO_NEW_PRIVS`), and not dumpable (other kernels,
   also `nobody`, cannot read its memory or its /proc entries).

With no network, the kernel talks to the grader over Unix sockets in its
folder (jupyter's `ipc` transport); `grade` sets that up.

Everything else keeps its file permissions, read as `nobody`: system files
are readable, nothing outside the kernel's folder and scratch folders is
writable.  Limits: kernels of one run share the user `nobody`, so a
process that a kernel starts (dumpable again after `exec`) can be reached
by another kernel; CPU time is bounded by the grader's timeouts only.  Without
root (or on another system) there is no isolation: `unavailable_reason`
says why, and the instructor guide says how to grade in a container then.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import pwd
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ENV = "COURSEKIT_SANDBOX"  # the plan, as JSON, in the kernel's environment
USER = "nobody"
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
# never hidden, nor any folder that holds one of them
SYSTEM = (
    "/bin", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
    "/sbin", "/sys", "/usr",
)  # fmt: skip
WRITABLE = ("run", "runtime", "ipython")  # the kernel's own, below its folder

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 1, 2, 4, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38


class SandboxError(OSError):
    """A step of `enter` failed: the kernel must not run."""


def _inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or below it (both absolute, normalised)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _coverable(folder: str, keep) -> bool:
    """A folder may be covered unless it is "/", kept, a system folder or
    holds one (a folder inside one, such as /dev/shm, may be)."""
    if folder == "/" or folder in keep:
        return False
    return not any(_inside(system, folder) for system in SYSTEM)


def _locked_ancestors(path: str, uid: int, gid: int) -> list[str]:
    """The folders above `path` (and itself) that `uid` may not enter."""
    locked, current = [], Path(path)
    for folder in [*reversed(current.parents), current]:
        try:
            st = folder.stat()
        except OSError:
            break
        if st.st_uid == uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid == gid:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            locked.append(str(folder))
    return locked


def ways_in(folder: str, keep) -> list[str]:
    """The names that a cover of `folder` shows: the first step on the way
    to each kept folder inside it (a venv in /tmp/ci shows "ci")."""
    folder = os.path.realpath(folder)
    names = {
        Path(k).relative_to(folder).parts[0]
        for k in map(os.path.realpath, keep)
        if _inside(k, folder) and k != folder
    }
    return sorted(names)


def outside_system(root: str = "/") -> list[str]:
    """The folders at the top of `root` that are not system folders (such as
    /home, /root, /opt, /srv, /var, /run, /tmp): all of them are covered."""
    folders = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        path = os.path.join(root, entry.name)
        # /bin -> usr/bin and the like are the system's; never follow them
        if entry.is_dir(follow_symlinks=False) and "/" + entry.name not in SYSTEM:
            folders.append(path)
    return folders


def make_plan(workdir, hide, memory_bytes: int) -> dict:
    """What `enter` does for one kernel, as a JSON-able dict.

    workdir: the kernel's folder (kept, writable below WRITABLE);
    hide: folders (or files: their folder) that must look empty, besides
    every folder outside the system's (`outside_system`);
    memory_bytes: the size of each scratch tmpfs (it counts as memory)."""
    folders = []
    for path in [*hide, *outside_system()]:
        path = Path(path).absolute()
        folder = path if path.is_dir() else path.parent
        folders.append(os.path.realpath(folder))
    keep = [os.path.realpath(p) for p in (workdir, sys.prefix, sys.base_prefix)]
    return {
        "workdir": keep[0],
        "keep": list(dict.fromkeys(keep)),
        "hide": list(dict.fromkeys(folders)),
        "scratch": list(dict.fromkeys([*SCRATCH, tempfile.gettempdir()])),
        "size": max(int(memory_bytes), 16 * 2**20),
        "user": USER,
    }


def mounts(plan: dict, uid: int, gid: int) -> tuple[list, list, list]:
    """(covers, binds, late covers) for `plan`, in the order to mount them.

    A cover is (folder, scratch?): a tmpfs over the folder.  A bind puts a
    kept folder back inside a cover.  Late covers lie inside a kept folder,
    or are scratch folders inside a cover (/var/tmp in /var): they are
    mounted after the binds.  Folders that do not exist, that may not be
    covered (`_coverable`), or hidden folders inside an earlier cover
    (hidden already) are left out."""
    keep = plan["keep"]
    locked = [a for k in keep for a in _locked_ancestors(k, uid, gid)]
    wanted = [(f, True) for f in plan["scratch"]]
    wanted += [(f, False) for f in [*plan["hide"], *locked]]
    wanted = [
        (os.path.realpath(f), s)
        for f, s in wanted
        if os.path.isdir(f) and _coverable(os.path.realpath(f), keep)
    ]
    wanted.sort(key=lambda w: w[0].count("/"))
    covers, late = [], []
    for folder, scratch in wanted:
        # a kept folder comes back whole: what is hidden inside it, later
        inside_keep = any(_inside(folder, k) for k in keep)
        covered = any(_inside(folder, c) for c, _ in covers)
        if not inside_keep and not covered:
            covers.append((folder, scratch))
        elif (inside_keep or scratch) and not any(_inside(folder, c) for c, _ in late):
            late.append((folder, scratch))
    binds = [
        k
        for k in sorted(keep, key=lambda k: k.count("/"))
        if any(_inside(k, c) for c, _ in covers)
    ]
    # a kept folder inside another kept folder comes back with it (MS_REC)
    binds = [k for k in binds if not any(_inside(k, o) and k != o for o in binds)]
    return covers, binds, late


# --------------------------------------------------------------------------
# in the kernel's process

_libc = None


def _call(name: str, *args) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{name}{args[:2]}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    def c(text):
        return None if text is None else str(text).encode()

    _call("mount", c(source), c(target), c(fstype), flags, c(data))


def _cover(folder: str, scratch: bool, size: int) -> None:
    mode = "1777" if scratch else "0755"
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size={size}")


def _read_only(folder: str, bind: bool = False) -> None:
    flags = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | (MS_BIND if bind else 0)
    _mount(None, folder, None, flags)


def enter(plan: dict | str) -> None:
    """Isolate this process as `plan` (`make_plan`, or its JSON) says.

    Raises SandboxError (nothing runs unisolated) if any step fails."""
    if isinstance(plan, str):
        plan = json.loads(plan)
    user = pwd.getpwnam(plan["user"])
    uid, gid = user.pw_uid, user.pw_gid
    cwd = os.getcwd()
    covers, binds, late = mounts(plan, uid, gid)
    _call("unshare", CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # handles on the kept folders, taken before they are covered
    handles = {k: os.open(k, os.O_RDONLY | os.O_DIRECTORY) for k in binds}
    try:
        for folder, scratch in covers:
            _cover(folder, scratch, plan["size"])
        umask = os.umask(0o022)  # mount points `nobody` can pass through
        for kept in binds:
            os.makedirs(kept, exist_ok=True)
            _mount(f"/proc/self/fd/{handles[kept]}", kept, None, MS_BIND | MS_REC)
            if kept != plan["workdir"]:
                _read_only(kept, bind=True)
        os.umask(umask)
        for folder, scratch in late:
            os.makedirs(folder, exist_ok=True)  # a scratch folder in a cover
            _cover(folder, scratch, plan["size"])
        for folder, scratch in [*covers, *late]:
            if not scratch:
                _read_only(folder)
    finally:
        for fd in handles.values():
            os.close(fd)
    _drop_privileges(uid, gid, plan)
    os.chdir(cwd)  # through the new mounts: the old one reached the hidden tree
    if os.geteuid() == 0 or os.getuid() == 0:
        raise SandboxError(1, "still root after dropping privileges")


def _drop_privileges(uid: int, gid: int, plan: dict) -> None:
    if "-f" in sys.argv:  # the kernel reads, then rewrites, its connection file
        os.chown(sys.argv[sys.argv.index("-f") + 1], uid, gid)
    os.environ.update(
        HOME=str(Path(plan["workdir"]) / "run"), USER=plan["user"], LOGNAME=plan["user"]
    )
    _call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _call("prctl", PR_SET_DUMPABLE, 0, 0, 0, 0)


# --------------------------------------------------------------------------
# in the grader


def prepare(workdir: Path) -> None:
    """Let the user `nobody` into `workdir` and own its WRITABLE folders; the
    rest (the library copy, the kernel spec) stays the grader's, read-only."""
    user = pwd.getpwnam(USER)
    workdir.chmod(0o755)
    for name in WRITABLE:
        folder = workdir / name
        folder.mkdir(exist_ok=True)
        os.chown(folder, user.pw_uid, user.pw_gid)


@functools.cache
def unavailable_reason() -> str | None:
    """None if kernels can be isolated here, else why not (one line)."""
    if not sys.platform.startswith("linux"):
        return f"isolation needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return (
            f"isolation needs root, the grader runs as user id {os.geteuid()} "
            "(grade in a container instead: see docs/instructor_guide.md)"
        )
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return f"isolation needs the user {USER!r}, which this system lacks"
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import coursekit.sandbox as s; s._probe()"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the isolation probe did not run: {exc}"
    if probe.returncode != 0:
        lines = (probe.stderr or probe.stdout).strip().splitlines() or ["no output"]
        return f"the system refused isolation: {lines[-1]}"
    return None


def _probe() -> None:
    """Enter a sandbox in a child process; fail unless a scratch folder looks
    empty there, the network is gone, the child is no longer root and its
    Python still imports what a kernel needs."""
    import socket

    with tempfile.TemporaryDirectory(dir="/var/tmp") as hidden:
        (Path(hidden) / "secret").write_text("s")
        with tempfile.TemporaryDirectory() as workdir:
            prepare(Path(workdir))
            child = os.fork()
            if child == 0:
                try:
                    os.chdir(workdir)  # as a kernel starts in its folder
                    plan = make_plan(workdir, [hidden], 16 * 2**20)
                    enter(plan)
                    assert not os.path.exists(hidden), "a hidden folder is visible"
                    tmp = tempfile.gettempdir()
                    seen, kept = sorted(os.listdir(tmp)), ways_in(tmp, plan["keep"])
                    assert seen == kept, f"{tmp} shows {seen}, not only {kept}"
                    try:
                        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
                    except OSError:
                        pass
                    else:
                        raise AssertionError("the network is reachable")
                    # a kernel's Python still finds what it needs
                    kernel = "import numpy, zmq, ipykernel.kernelapp"
                    subprocess.run([sys.executable, "-c", kernel], check=True)
                except BaseException as exc:
                    print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                    os._exit(1)
                os._exit(0)
            _, status = os.waitpid(child, 0)
    if status != 0:
        sys.exit(1)
