"""Execute notebooks and keep only the outputs that nbval should compare.

    python -m coursekit.publishing.nbrefresh notebooks/01_forward_propagation.ipynb ...

Outputs are stripped in git, except for cells whose first line is
`# NBVAL_CHECK_OUTPUT`: their printed numbers teach something, so nbval
re-runs them and compares.  This command runs each notebook top to bottom in
a fresh kernel of this Python (`coursekit.publishing.execute`), marks those
cells `keep_output` (which nbstripout honours), and strips everything else
with nbstripout.  Run it after editing a
notebook whose checked numbers changed; `make test` then verifies both.

The rule for a checked cell: it prints only what no floating-point rounding
can change — shapes, counts from seeded integer draws, exact results, values
far from a rounding boundary.  Learners' CPUs and BLAS kernels differ in the
last bits, and training amplifies them, so a trained accuracy, a loss, a
gradient norm or anything else downstream of many float operations is
printed in an unchecked cell and `assert`ed with an honest margin instead.
`make test-numerics` re-runs the notebooks under another rounding to prove it.
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbstripout import strip_output

from coursekit.publishing.execute import execute_notebook

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell):
    """True for a code cell whose first line is the NBVAL_CHECK_OUTPUT mark."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def refresh(path, timeout=300):
    """Execute `path` in place of its old outputs; keep checked cells' outputs."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            cell.metadata["keep_output"] = True
        else:
            cell.metadata.pop("keep_output", None)
    execute_notebook(nb, path, timeout=timeout)
    strip_output(
        nb,
        keep_output=False,
        keep_count=False,
        keep_id=False,
        extra_keys=["cell.metadata.execution", "metadata.widgets"],
    )
    nbformat.write(nb, path)
    return sum(is_checked(c) for c in nb.cells)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no such notebook: {path}")
        kept = refresh(path, args.timeout)
        print(f"{path}: executed; outputs kept for {kept} NBVAL_CHECK_OUTPUT cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
