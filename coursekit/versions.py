"""Print the versions the checks run with: `python -m coursekit.versions`."""

import importlib.metadata
import platform

PACKAGES = [
    "numpy",
    "matplotlib",
    "jupyterlab",
    "ipywidgets",
    "nbval",
    "nbclient",
    "nbformat",
    "pytest",
    "ruff",
    "torch",
    "keras",
]


def versions():
    """Return {name: version or "not installed"} for the course's packages."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


if __name__ == "__main__":
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
