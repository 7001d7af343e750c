"""One Chandra field in one command (``muwclass field``): its catalogs (``data``), crossmatch and
classification in memory (``pipeline``), DS9 ``regions``, sky-map ``plots``, an offline HTML
``page``, the ``products`` writer, and ``run_field``.
"""
