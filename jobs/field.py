"""Classify one field in memory: table, DS9 regions, sky maps and an HTML page.

``muwclass field`` as a script: ``python -m jobs.field [--conf FILE ...]`` or
``spark-submit jobs/field.py [--conf FILE ...]``; the arguments are those of ``muwclass field --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("field"))
