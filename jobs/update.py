"""Fold new Chandra observations into a release (incremental update).

``muwclass update`` as a script: ``python -m jobs.update --observations FILE [FILE ...] [--conf FILE ...]``; the arguments are
those of ``muwclass update --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("update"))
