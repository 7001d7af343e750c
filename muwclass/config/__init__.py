"""What a run is told: the run configuration (``run``), catalog definitions
(``catalog_definition``), the internal schema's columns and bands (``schema``), and
``run_show`` behind ``muwclass config``. Pure pydantic/yaml: importing it starts no engine.
"""
