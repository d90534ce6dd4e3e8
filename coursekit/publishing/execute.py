"""Run a notebook top to bottom: the one notebook executor of the course.

The slides, the book and `nbrefresh` all run notebooks here, each in a fresh
kernel of this Python (its ipykernel, whichever kernels Jupyter has
installed), in the notebook's own folder, so its relative paths and figures
work as in JupyterLab.
"""

import re
from pathlib import Path


def current_kernel(transport="tcp", ip=None):
    """A KernelManager for this Python's ipykernel (not Jupyter's "python3"
    kernel spec, which may name another environment), over `transport`
    ("tcp" or "ipc"; for ipc, `ip` names the socket files' path prefix)."""
    import ipykernel.kernelspec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class CurrentEnv(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(
                resource_dir=ipykernel.kernelspec.RESOURCES,
                **ipykernel.kernelspec.get_kernel_dict(),
            )

    options = {"kernel_name": "python3", "kernel_spec_manager": CurrentEnv()}
    if transport != "tcp":
        options.update(transport=transport, ip=ip)
    return KernelManager(**options)


def execute_notebook(nb, path, timeout=600, startup_timeout=60, km=None):
    """Run `nb` (read from, or to be written at, `path`) in place and return it.

    `timeout` is the seconds allowed for one cell, `startup_timeout` for the
    kernel to start; `km` a KernelManager (default: `current_kernel()`).
    Raises nbclient's CellExecutionError when a cell fails, CellTimeoutError
    when one runs out of time.
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        km=km or current_kernel(),
        timeout=timeout,
        startup_timeout=startup_timeout,
        resources={"metadata": {"path": str(Path(path).parent.resolve())}},
    )
    client.execute()
    return nb


def last_line(err):
    """The line of an error that says what went wrong (for a failed cell, the
    exception itself, after the traceback), without terminal colours."""
    lines = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip().splitlines()
    return lines[-1] if lines else repr(err)
