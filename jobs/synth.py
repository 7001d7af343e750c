"""Write the deterministic synthetic CSC-like sky (X-ray + Gaia/2MASS/WISE-like, with truth).

``muwclass synth`` as a script: ``python -m jobs.synth [--conf FILE ...]`` or
``spark-submit jobs/synth.py [--conf FILE ...]``; the arguments are those of ``muwclass synth --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("synth"))
