"""Remote inputs (a TAP service or a remote HATS catalog) downloaded once into Parquet.

After the download the import treats them like local files, so the same mapping,
quarantine and hashing apply; the download is named by the query so a rerun reuses it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.config.run import RunConfig
from muwclass.errors import ConfigError
from muwclass.ingest.arguments import ImportArguments, plan_import
from muwclass.io.atomic import atomic_path
from muwclass.runtime.progress import console


def fetch_remote_inputs(cfg: RunConfig, key: str) -> list[Path] | None:
    """Download the catalog's rows when the run asks for a TAP or HATS source, else None."""
    sel = cfg.catalogs[key]
    if sel.source is None or not (sel.source.tap or sel.source.hats):
        return None
    from muwclass.io import remote

    d = load_catalog_definition(sel.definition, cfg.catalogs_dir)
    where = f"{cfg.source_file}: catalogs.{key}.source"
    if sel.source.tap:
        tap = d.source.tap
        if tap is None:
            raise ConfigError(f"{where}: {d.definition_file} has no 'tap' block (table, ra/dec columns)")
        if tap.query:
            adql = tap.query
        elif sel.source.cone:
            ra, dec, radius = sel.source.cone
            adql = remote.cone_adql(tap.table, tap.ra_column, tap.dec_column, ra, dec, radius, tap.columns)
        else:
            raise ConfigError(
                f"{where}: a TAP import needs 'cone: [ra, dec, radius_deg]' or a query in the definition"
            )
        ident = json.dumps(["tap", sel.source.tap, adql])
        fetch = lambda: remote.tap_query(sel.source.tap, adql)  # noqa: E731
    else:
        kwargs = {}
        if sel.source.cone:
            import lsdb

            ra, dec, radius = sel.source.cone
            kwargs["search_filter"] = lsdb.ConeSearch(ra=ra, dec=dec, radius_arcsec=radius * 3600)
        ident = json.dumps(["hats", sel.source.hats, sel.source.cone])
        fetch = lambda: remote.read_remote_hats(sel.source.hats, **kwargs).compute()  # noqa: E731
    name = hashlib.blake2b(ident.encode(), digest_size=8).hexdigest()
    out = cfg.layout.downloads(key) / f"{name}.parquet"
    if not out.exists():
        console.print(f"{key}: fetching {ident}")
        frame = pd.DataFrame(fetch()).reset_index(drop=True)  # plain pandas, no HATS index
        with atomic_path(out) as tmp:
            frame.to_parquet(tmp, index=False)
    return [out]


def plan_catalog(cfg: RunConfig, key: str) -> ImportArguments:
    """The import task of one catalog, its remote rows downloaded first when it has any."""
    remote = fetch_remote_inputs(cfg, key)
    return plan_import(cfg, key, local_files=remote, local_format="parquet" if remote else None)
