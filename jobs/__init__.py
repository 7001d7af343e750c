"""Thin entry points, one per pipeline stage (runnable with ``python -m jobs.<name>``)."""
