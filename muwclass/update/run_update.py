"""``muwclass update``: fold new observations into a release and publish the next version.

The steps, each apart from the engines:

1. plan: the parent release (``--from-release``, default ``latest``) and its lineage of
   observations; an observation already in it (same ObsID, same file digest) is skipped, so
   applying the same files twice is a no-op; the same ObsID from a different file is an error;
2. read each observation (:mod:`.observations`, quarantine and accounting), tie it to Gaia
   (:mod:`.astrometry`), match its detections to the parent's master sources and recompute the
   affected ones (:mod:`.masters`);
3. the touched HEALPix pixels of the release (the pixels holding an affected or new source; a
   source's crossmatch and classification depend on nothing but itself and the MW catalogs, so
   no neighbouring pixel changes), re-crossmatched on Dask with the parent's magnitude priors
   and re-classified on Spark with the parent's model family (draws are seeded per source);
4. the new release: touched pixels written, every other partition hard-linked from the parent
   (:class:`muwclass.release.writer.ReleasePartitions`), the diff against the parent inside it
   (``diff.csv``, ``diff.parquet``) and in the manifest, with the observations, astrometric
   solutions, match classes and touched pixels.

Nothing is published until the whole version is written (the release writer's atomic publish);
a crash leaves the parent and ``latest`` as they were, and a rerun starts again from the parent.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
from hats.pixel_math import HealpixPixel

from muwclass.errors import InputError, ModelError, ReleaseError
from muwclass.io.atomic import current, read_json, remove_tree, write_parquet
from muwclass.io.hats_pixels import HEALPIX, catalog_files, write_pixel_catalog
from muwclass.io.storage import location, parquet_rows, read_parquet
from muwclass.release.diff import find_release, print_summary, release_diff, summarize
from muwclass.runtime.progress import console
from muwclass.update.fold import fold, master_names, touched_rows
from muwclass.update.observations import Observation, read_observations

#: at most this many recomputed X-ray rows are crossmatched on Dask's threaded scheduler in
#: this process instead of a LocalCluster (no scheduler configured): see ``dask_client``
IN_PROCESS_MAX_ROWS = 100_000


def _crossmatch_pixels(
    cfg,
    rows: pd.DataFrame,
    pixels: list[HealpixPixel],
    priors: dict,
    work: Path,
    out: Path,
    progress: bool = True,
) -> None:
    """The touched pixels' X-ray rows crossmatched on Dask with the parent's magnitude priors,
    written as the crossmatch job writes ``hats/xmatch_<xray>`` (one Parquet file here).

    The rows go through a HATS catalog of the touched pixels in ``work`` (partitioned as the
    full run's X-ray catalog), not ``lsdb.from_dataframe``: that builds a margin cache the
    crossmatch does not use (3.7 of its 4.1 s for one pixel's 4,300 rows) and puts the data
    into the task graph, where a cluster's workers would receive it from the client."""
    import lsdb

    from muwclass.crossmatch.chain import crossmatch_chain
    from muwclass.crossmatch.mag_prior import MagPrior
    from muwclass.runtime.sessions import dask_client

    kept = {t: MagPrior.from_dict(d) if d else None for t, d in priors.items()}
    x = cfg.crossmatch
    write_pixel_catalog(work, "xray", pixels, rows)
    in_process = len(rows) <= IN_PROCESS_MAX_ROWS
    with dask_client(cfg.dask, local_directory=cfg.layout.dask, in_process=in_process):
        xray = lsdb.read_hats(work)
        mws = {t: lsdb.read_hats(current(cfg.layout.catalog(t))) for t in x.targets}
        best = crossmatch_chain(x, xray, mws, cache_dir=cfg.layout.cache, priors=kept).best.compute(
            progress_bar=progress
        )
    best = pd.DataFrame(best).reset_index()
    best = best.drop(columns=[c for c in ("index",) if c in best])
    out.mkdir(parents=True, exist_ok=True)
    # plain strings, as the crossmatch job writes them (Spark's Arrow reader takes no large_string)
    table = pa.Table.from_pandas(best, preserve_index=False)
    plain = [pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema]
    write_parquet(table.cast(pa.schema(plain)), out / "part-0.parquet")


def plan_observations(
    parent_manifest: dict, observations: list[Observation], parent: str
) -> list[Observation]:
    """The observations not yet in the parent release (same ObsID and digest: skipped)."""
    applied = {int(o["obsid"]): o for o in parent_manifest.get("observations", [])}
    fresh = []
    for o in observations:
        before = applied.get(o.obsid)
        if before is None:
            fresh.append(o)
        elif before["sha256"] == o.sha256:
            console.print(
                f"ObsID {o.obsid}: already in release {parent} (applied by {before['release']}); skipped"
            )
        else:
            raise InputError(
                f"ObsID {o.obsid}: release {parent} already holds it from another file ({before['file']}, "
                f"sha256 {before['sha256'][:12]}); an observation is applied once"
            )
    return fresh


def run_update(
    cfg,
    observations: list[str],
    from_release: str | None = None,
    release_version: str | None = None,
    definition: str | None = None,
    no_astrometry: bool = False,
    model: str = "default",
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Apply ``observations`` to a release and publish the next version; returns its path (the
    parent's when every observation is already in it)."""
    import lsdb

    from muwclass.classification.family import load_family
    from muwclass.classification.predict import resolve_draws
    from muwclass.classification.spark_job import classify_on_spark, output_columns, read_outputs, warm_up
    from muwclass.release.manifest import row_counts
    from muwclass.release.model_card import find_evaluation, model_card
    from muwclass.release.run_classify_catalog import CATALOG_COLUMN, check_release_target, of_catalog
    from muwclass.release.writer import OtherCatalog, ReleasePartitions, write_release
    from muwclass.release.xray_links import PAIR_COLUMNS, links_file
    from muwclass.runtime.sessions import spark_session_started_early

    t_start = time.perf_counter()
    layout = cfg.layout
    release_dir = find_release(layout.releases, from_release or "latest")
    parent = current(release_dir)  # its content (a generation on an object store)
    manifest = read_json(parent / "manifest.json") or {}
    if not (parent / "sources").is_dir() or "crossmatch" not in manifest:
        raise ReleaseError(
            f"release {release_dir.name} was written before incremental updates (no sources/ or crossmatch "
            "priors); run `muwclass classify-catalog` once to make a release that can be updated"
        )
    read = read_observations(
        [location(p, cfg.storage_options) for p in observations], definition or cfg.observations.definition
    )
    fresh = plan_observations(manifest, read, release_dir.name)
    if not fresh:
        console.print(f"nothing to do: every observation is already in release {release_dir.name}")
        return parent
    version = check_release_target(layout.releases, release_version, force)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    family = load_family(cfg, model)
    parent_models = manifest.get("models", {})
    now_models = {str(i): prov for i, prov in family.provenance.items()}
    if json.loads(json.dumps(now_models, default=str)) != parent_models:
        raise ModelError(
            f"the model family '{model}' differs from the one release {release_dir.name} was classified with; "
            "an update must classify with the same models (run `muwclass classify-catalog` for a new release)"
        )

    timings["plan_seconds"] = round(time.perf_counter() - t_start, 2)
    with contextlib.ExitStack() as engines:
        # the JVM starts while the observations are matched and the pixels crossmatched
        spark_ready = spark_session_started_early(
            engines, cfg.spark, app_name="muwclass-update", then=warm_up
        )
        # -- 2. astrometry, master matching, recomputation ------------------------------------
        t0 = time.perf_counter()
        sources_files = catalog_files(parent / "sources")
        pixels = list(sources_files)
        sources = lsdb.read_hats(parent / "sources")
        gaia = (
            None
            if no_astrometry or not cfg.observations.astrometry
            else lsdb.read_hats(current(layout.catalog("gaia")))
        )
        folded = fold(cfg.observations, sources, gaia, fresh, pixels, master_names(sources))
        touched = folded.pixels
        timings["match_seconds"] = round(time.perf_counter() - t0, 2)

        # -- 3. the touched pixels: X-ray rows, crossmatch, classification -------------------
        columns = [n for n, _ in output_columns(family.classes)]
        work = layout.update_work
        remove_tree(work)
        work.mkdir(parents=True, exist_ok=True)
        if touched:
            rows = touched_rows(sources_files, folded)
            t0 = time.perf_counter()
            _crossmatch_pixels(
                cfg,
                rows,
                touched,
                manifest["crossmatch"]["mag_priors"],
                work / "xray",
                work / "xmatch",
                progress,
            )
            timings["crossmatch_seconds"] = round(time.perf_counter() - t0, 2)
            draws = resolve_draws(cfg.confidence.draws, manifest.get("draws"))
            t0 = time.perf_counter()
            spark = spark_ready.result()
            timings["spark_start_wait_seconds"] = round(time.perf_counter() - t0, 2)
            counts = classify_on_spark(
                spark,
                work / "xmatch",
                family,
                draws,
                cfg.confidence.seed,
                work / "classified",
                progress=progress,
            )
            timings["spark_classify_seconds"] = round(time.perf_counter() - t0, 2)
            timings["spark_job_seconds"] = counts["job_seconds"]
        else:  # every detection confused or outside the partitions: the release as it was, plus the record
            rows = pd.DataFrame(columns=["source_id"])
            counts = {"rows_in": 0}
    main = manifest.get("xray_catalogs", [cfg.crossmatch.main_xray])[0]
    classified, quarantine_new = (of_catalog(t, main) for t in read_outputs(work / "classified", columns))

    # -- 4. the new version ----------------------------------------------------------------
    t0 = time.perf_counter()
    with (parent / "quarantine.csv").open("rb") as csv:
        parent_quarantine = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if len(parent_quarantine) and "source_id" in parent_quarantine:
        parent_quarantine = parent_quarantine.loc[
            ~parent_quarantine["source_id"].isin(rows["source_id"].astype(str))
        ]
    quarantine = pd.concat([parent_quarantine, quarantine_new], ignore_index=True)
    classified_files = catalog_files(parent / "hats")
    shared = {p: f for p, f in classified_files.items() if p not in touched}
    n_shared = sum(parquet_rows(f) for f in shared.values())
    # only the touched pixels can differ: every other partition is the parent's own file
    if touched:
        old = pd.concat([read_parquet(classified_files[p]).to_pandas() for p in touched], ignore_index=True)
        diff = release_diff(old.drop(columns=[HEALPIX]), classified.drop(columns=[HEALPIX], errors="ignore"))
    else:
        diff = pd.DataFrame(columns=["source_id", "ra", "dec", "change", "reason"])
    summary = summarize(diff)
    timings["diff_seconds"] = round(time.perf_counter() - t0, 2)
    # the other X-ray catalogs (3XMM) are the parent's, file for file; their links get the
    # updated classes of the main catalog's side
    others = {}
    for name in manifest.get("xray_catalogs", [])[1:]:
        files = catalog_files(parent / f"hats_{name}")
        links = read_parquet(parent / links_file(main, name)).to_pandas()[[main, name, *PAIR_COLUMNS]]
        others[name] = OtherCatalog(list(files), pd.DataFrame(), main, links, shared=files)
    by_catalog = dict(manifest.get("rows", {}).get("by_catalog", {}))
    n_quarantined = (
        int((quarantine[CATALOG_COLUMN].astype(str) == main).sum())
        if CATALOG_COLUMN in quarantine
        else len(quarantine)
    )
    by_catalog[main] = {
        "in": n_shared + len(classified) + n_quarantined,
        "classified": n_shared + len(classified),
        "quarantined": n_quarantined,
    }
    lineage = [
        *manifest.get("observations", []),
        *({**o.summary(), "release": version} for o in fresh),
    ]
    evaluation, metrics, note = find_evaluation(cfg, model)
    new_manifest = {
        **{
            k: manifest[k] for k in ("config", "models", "crossmatch", "evaluation", "draws") if k in manifest
        },
        "version": version,
        "parent": release_dir.name,
        "code": manifest.get("code"),
        "observations": lineage,
        "update": {
            "observations": [o.summary() for o in fresh],
            **folded.summary(),
            "pixels_total": len(pixels),
            "rows_recomputed": counts["rows_in"],
            "rows_shared": n_shared,
        },
        "diff": summary,
        **({"xray_catalogs": manifest["xray_catalogs"]} if "xray_catalogs" in manifest else {}),
        "rows": row_counts(by_catalog),
        "timings": timings,
    }
    card = model_card(cfg.training_set, family.classes, family.provenance, metrics, note)
    partitions = ReleasePartitions(
        pixels,
        rows,
        shared_sources={p: f for p, f in sources_files.items() if p not in touched},
        shared_classified=shared,
        parent=parent,
        others=others,
    )
    t_write = time.perf_counter()
    path = write_release(
        layout.releases,
        version,
        classified,
        quarantine,
        new_manifest,
        card,
        force=force,
        evaluation=evaluation,
        partitions=partitions,
        extras={"diff.csv": diff, "diff.parquet": diff, "update_matches.csv": folded.matches},
    )
    remove_tree(work)
    console.print(f"release written in {time.perf_counter() - t_write:.1f} s")
    print_summary({"first": release_dir.name, "second": version, **summary}, path / "diff.csv")
    console.print(
        f"release {path} (parent {release_dir.name}): {len(fresh)} observations, {len(touched)} of {len(pixels)} "
        f"pixels recomputed ({counts['rows_in']} sources), {summary.get('listed', len(diff))} sources changed, "
        f"{time.perf_counter() - t_start:.0f} s"
    )
    return path
