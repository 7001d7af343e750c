"""Data in and out: table ``readers`` and ``writers``, ``remote`` sources (TAP, HATS over HTTP),
``atomic`` publication of files and directories, content ``hashing``, ``figures`` (PNG plots)
and the work directory's ``layout`` (every built path, named once).
"""
