"""k-fold or leave-one-out evaluation of the configured models on Spark.

``muwclass evaluate`` as a script: ``python -m jobs.evaluate [--conf FILE ...]`` or
``spark-submit jobs/evaluate.py [--conf FILE ...]``; the arguments are those of ``muwclass evaluate --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("evaluate"))
