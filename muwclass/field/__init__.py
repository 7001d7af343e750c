"""One Chandra field in one command (``muwclass field``): its catalogs (``data``), crossmatch and
classification in memory (``pipeline``), DS9 ``regions``, sky-map ``plots``, an offline HTML
``page`` and ``run_field`` that writes them all.
"""
