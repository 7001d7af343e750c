"""Build HATS catalogs (with margin caches) for every configured catalog, on Dask.

``muwclass import`` as a script: ``python -m jobs.import_catalogs [--conf FILE ...]`` or
``spark-submit jobs/import_catalogs.py [--conf FILE ...]``; the arguments are those of ``muwclass import --help``.
"""

import sys

from muwclass.cli import run_stage

if __name__ == "__main__":
    sys.exit(run_stage("import"))
