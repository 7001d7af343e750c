"""Thin entry points, one per pipeline stage: parse the stage's arguments, call its library ``run_*``.

They exist for ``spark-submit jobs/<stage>.py`` and ``python -m jobs.<stage>`` from a checkout;
they are not installed with the package (the ``muwclass`` console script does the same).
"""
