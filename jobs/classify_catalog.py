"""Classify every crossmatched source on Spark and write a versioned release.

``muwclass classify-catalog`` as a script: ``python -m jobs.classify_catalog [--conf FILE ...]`` or
``spark-submit jobs/classify_catalog.py [--conf FILE ...]``; the arguments are those of ``muwclass classify-catalog --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("classify-catalog"))
