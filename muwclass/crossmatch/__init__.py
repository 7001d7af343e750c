"""Probabilistic (NWAY-style) crossmatch: pure-numpy statistics + an lsdb algorithm class."""
