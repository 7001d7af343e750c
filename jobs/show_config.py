"""Validate a run configuration and every catalog definition it names; print it resolved.

``muwclass config`` as a script: ``python -m jobs.show_config [--conf FILE ...]`` or
``spark-submit jobs/show_config.py [--conf FILE ...]``; the arguments are those of ``muwclass config --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("config"))
