"""Compiled HEALPix kernels of hats kept on disk between processes.

hats compiles its pixel-tree kernels (tree alignment for every crossmatch, MOC filtering for
every cone search) with numba's ``@njit`` without ``cache=True``, so every new process pays the
compilation again: measured 2.8 s for the first inner alignment and 3.0 s more for the first
left alignment in a fresh process, against 0.4 ms once compiled. A one-observation update of
the scale-1.0 synthetic sky needs both, and its whole budget is about 20 s. Turning numba's
own on-disk cache on for these dispatchers (numba's public ``Dispatcher.enable_caching``, the
same thing ``cache=True`` does) makes the second and later processes load the machine code
instead; numba keys the cache by the source file and the signature, so a hats upgrade
recompiles. The cache lives next to the hats sources (``__pycache__``) or, where that is not
writable, in numba's user-wide cache directory.
"""

from __future__ import annotations

_done = False


def cache_hats_kernels() -> None:
    """Enable numba's on-disk cache for hats's pixel-tree kernels (idempotent; call before
    the first crossmatch or cone search of a process)."""
    global _done
    if _done:
        return
    from hats.pixel_tree import moc_filter, pixel_alignment

    for module in (pixel_alignment, moc_filter):
        for value in vars(module).values():
            if hasattr(value, "enable_caching") and hasattr(value, "py_func") and not value.signatures:
                value.enable_caching()
    _done = True
