"""Classify a user's table in process, with Monte-Carlo confidence.

``muwclass classify`` as a script: ``python -m jobs.classify [--conf FILE ...]`` or
``spark-submit jobs/classify.py [--conf FILE ...]``; the arguments are those of ``muwclass classify --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("classify"))
