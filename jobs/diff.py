"""What changed between two releases, and why.

``muwclass diff`` as a script: ``python -m jobs.diff A B [--conf FILE ...]``; the arguments are
those of ``muwclass diff --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("diff"))
