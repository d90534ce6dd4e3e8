"""Repository-wide pytest hooks.

A notebook folder handed to `make test` must have every notebook collected
by nbval: a notebook that yields no test item (not valid JSON, nbval not
active, a bad path) fails the run instead of passing unseen.  The check runs
on the controller at the end, so it also works under pytest-xdist.
"""

from pathlib import Path

NOTEBOOK_FOLDERS = {"notebooks", "solutions", "exercises"}
# notebooks under tests/ are fixtures for coursekit, not course material
collect_ignore_glob = ["tests/**/*.ipynb"]


def _expected_notebooks(config):
    expected = set()
    for arg in config.args:
        path = Path(arg.split("::")[0])
        if path.is_dir() and path.resolve().name in NOTEBOOK_FOLDERS:
            expected.update(p.resolve() for p in path.glob("*.ipynb"))
        elif path.suffix == ".ipynb":
            expected.add(path.resolve())
    return expected


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)):
        return
    if hasattr(config, "workerinput"):  # an xdist worker: the controller checks
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    seen = set()
    for reports in reporter.stats.values():
        for report in reports:
            nodeid = getattr(report, "nodeid", "")
            if nodeid:
                seen.add((config.rootpath / nodeid.split("::")[0]).resolve())
    missing = sorted(_expected_notebooks(config) - seen)
    if missing:
        names = ", ".join(str(p.relative_to(config.rootpath)) for p in missing)
        reporter.write_line(f"ERROR: nbval collected no cells from: {names}", red=True)
        session.exitstatus = 1


def pytest_collection_modifyitems(items):
    """Let nbval compare the outputs that nbstripout keeps.

    nbstripout keeps the outputs of `keep_output` cells (our NBVAL_CHECK_OUTPUT
    cells, see coursekit/publishing/nbrefresh.py) but always blanks execution counts, and
    nbval treats a cell with outputs and no count as "unrun".  A stored output
    is a reference here, so give such cells a count.
    """
    for item in items:
        cell = getattr(item, "cell", None)
        if (
            cell is not None
            and cell.get("outputs")
            and cell.get("execution_count") is None
        ):
            cell["execution_count"] = 0
