"""Fit the model family (one pipeline per nH bin) and save it with its provenance.

``muwclass train`` as a script: ``python -m jobs.train [--conf FILE ...]`` or
``spark-submit jobs/train.py [--conf FILE ...]``; the arguments are those of ``muwclass train --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("train"))
