"""Open a run folder's inventory.nc with primap2 and run its ensure_valid() (issue 15).

primap2 pins numpy < 2 and other versions openmrv does not use, so it runs in its own
environment, not in the test run:

    python3 -m venv /tmp/pvenv && /tmp/pvenv/bin/pip install primap2==0.13.0
    /tmp/pvenv/bin/python bench/check_primap2.py RUN_FOLDER

Exit 0 when ensure_valid() passes, 1 otherwise (the error printed). The CI-safe part of
the check (every variable carries an entity) is in tests/test_cf_outputs.py.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import primap2

    path = Path(argv[0]) / "inventory.nc"
    ds = primap2.open_dataset(path)
    try:
        ds.pr.ensure_valid()
    except Exception as exc:  # primap2 raises ValueError and its own errors
        print(f"{path}: primap2 {primap2.__version__} ensure_valid() failed: {exc}")
        return 1
    print(f"{path}: primap2 {primap2.__version__} ensure_valid() passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
