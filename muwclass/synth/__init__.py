"""Deterministic synthetic CSC-like sky for full-scale work (``muwclass synth``)."""

from muwclass.synth.sky import generate_sky

__all__ = ["generate_sky"]
