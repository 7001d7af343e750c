"""Probabilistic crossmatch of the X-ray catalog with Gaia, 2MASS and WISE, on Dask.

``muwclass crossmatch`` as a script: ``python -m jobs.crossmatch [--conf FILE ...]`` or
``spark-submit jobs/crossmatch.py [--conf FILE ...]``; the arguments are those of ``muwclass crossmatch --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("crossmatch"))
