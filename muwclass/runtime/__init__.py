"""Engines and feedback: Dask and Spark ``sessions`` built from the run configuration (with the
process-environment settings they need), and rich ``progress`` bars shared by every stage.
"""
