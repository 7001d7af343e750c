"""Stratified k-fold or exact leave-one-out of the configured models on Spark (``muwclass evaluate``).

Each model of ``evaluation.models`` is scored on the *same* folds (folds are Spark tasks; every
fold refits the whole pipeline, oversampling included, on its training part). Writes to ``--out``:
``metrics.json``, ``confusion.png``, ``importances.png`` + ``importances.csv``,
``oof_probabilities.csv``, ``reliability.png``, ``reliability_per_class.png`` and, with several models,
``comparison.csv``. ``metrics.json`` also holds the Monte-Carlo confidence of the held-out sources
(CT >= 2: how many, how accurate), the outlier score's hold-one-class-out ROC AUC and, with
``evaluation.external_set``, the generalisation test (:mod:`muwclass.evaluation.generalisation`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from muwclass.classification.confidence import CONFIDENT_CT
from muwclass.classification.estimator import build_pipeline, estimator_params
from muwclass.classification.family import training_frame
from muwclass.classification.outliers import holdout_validation
from muwclass.config.run import RunConfig
from muwclass.errors import ConfigError, FoldError
from muwclass.evaluation.folds import LOO, CrossValidation, plan_folds, run_folds
from muwclass.evaluation.generalisation import generalisation
from muwclass.evaluation.metrics import classification_metrics, comparison_table, confidence_metrics
from muwclass.evaluation.reports import write_reports
from muwclass.io.atomic import partial_dir, publish
from muwclass.io.products import check_output_directory
from muwclass.io.storage import location
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import spark_session


def parse_folds(value: str | int | None, default: int | str) -> int | str:
    if value is None:
        return default
    if str(value).lower() == LOO:
        return LOO
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"--folds must be an integer or '{LOO}', got {value!r}") from None


def run_evaluate(
    cfg: RunConfig,
    folds: int | str | None = None,
    models: list[str] | None = None,
    out: Path | None = None,
    permutation_repeats: int | None = None,
    progress: bool = True,
) -> dict:
    """Score every model on the same folds; write the report files; return the metrics.

    Defaults come from the configuration's ``evaluation`` block; ``out`` defaults to
    ``<work_dir>/evaluation/<folds>``.
    """
    folds = parse_folds(folds, cfg.evaluation.folds)
    models = list(models or cfg.evaluation.models)
    for name in models:
        cfg.model(name)
    out = location(out, cfg.storage_options) if out else cfg.layout.evaluation(folds)
    check_output_directory(out, "evaluation", "--out")
    if permutation_repeats is None:
        permutation_repeats = cfg.evaluation.permutation_repeats
    scheme = cfg.model(models[0]).classes
    for name in models:
        if cfg.model(name).classes != scheme:
            raise ConfigError(f"models {models} use different class schemes: they cannot share folds")
    external_set = cfg.evaluation.external_set
    if external_set and not (cfg.data_dir / external_set).is_file():
        raise ConfigError(
            f"{cfg.source_file}: evaluation.external_set: no file {cfg.data_dir / external_set}"
        )
    td = training_frame(cfg, models[0])  # with each source's own column density (nh)
    # read before any work: a bad file is an error now, not after the folds
    external = training_frame(cfg, models[0], external_set) if external_set else None
    y = td["label"].to_numpy(dtype=object)
    classes = sorted(set(y))
    try:
        plan = plan_folds(y, folds, cfg.evaluation.seed)
    except FoldError as exc:
        raise ConfigError(f"{cfg.training_set}: {exc}") from None
    if folds == LOO and permutation_repeats:
        console.print(
            "leave-one-out: permutation importances need more than one test source per fold; impurity only"
        )
        permutation_repeats = 0
    kind = "leave-one-out" if folds == LOO else f"{folds}-fold"
    results: dict[str, dict] = {}
    runs: dict[str, CrossValidation] = {}
    with spark_session(cfg.spark, app_name="muwclass-evaluate") as spark:
        for name in models:
            t0 = time.perf_counter()
            template = build_pipeline(cfg.model(name))
            cv = run_folds(
                spark,
                td,
                y,
                plan,
                template,
                classes,
                kind,
                permutation_repeats,
                cfg.evaluation.seed,
                progress,
                draws=cfg.evaluation.draws,
                draw_seed=cfg.confidence.seed,
            )
            m = classification_metrics(y, cv.proba, classes)
            if cv.ct is not None:
                m["confidence"] = confidence_metrics(y, cv.mc_proba, cv.ct, classes, CONFIDENT_CT)
            m.update(
                folds=kind,
                n_folds=len(plan),
                wall_seconds=round(time.perf_counter() - t0, 2),
                model=name,
                model_config=cfg.model(name).model_dump(),
                estimator_params=estimator_params(cfg.model(name)),
            )
            results[name], runs[name] = m, cv
            console.print(
                f"{name}: {kind} accuracy {m['accuracy']:.3f}, balanced accuracy {m['balanced_accuracy']:.3f} ({m['wall_seconds']:.0f} s)"
            )
    main_name = models[0]
    main = results[main_name]
    template = build_pipeline(cfg.model(main_name))
    try:
        with console.status("outlier score: holding out one class at a time"):
            auc = holdout_validation(td, y, template)
        main["outlier_auc"] = {**auc, "mean": float(sum(auc.values()) / len(auc))}
    except ValueError as exc:  # a class too small to hold out and still fit the others
        console.print(f"[yellow]outlier score not validated: {exc}[/]")
    if external is not None:
        names = (Path(cfg.training_set).stem, Path(cfg.evaluation.external_set).stem)
        recall = {c: v["recall"] for c, v in main["per_class"].items()}
        with console.status(f"generalisation: {names[0]} <-> {names[1]}"):
            main["generalisation"] = generalisation(
                template, td, external, names, seed=cfg.evaluation.seed, first_cv=recall
            )
        for direction, g in main["generalisation"].items():
            console.print(
                f"{direction}: {g['tested']} unseen sources, accuracy {g['accuracy']:.3f}, "
                f"balanced accuracy {g['balanced_accuracy']:.3f}; classes that move: {', '.join(g['classes_that_move']) or 'none'}"
            )
    final, out = out, partial_dir(out)
    write_reports(out, td, y, classes, runs[main_name], results[main_name], kind)
    report = {**results[main_name], "training_set": cfg.training_set}
    if len(models) > 1:
        report["models"] = results
        comparison_table(results).to_csv(out / "comparison.csv", float_format="%.4f")
    (out / "metrics.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    publish(out, final, "evaluation")
    out = final
    console.print(
        f"evaluation written to {out} (accuracy {report['accuracy']:.3f}, balanced accuracy {report['balanced_accuracy']:.3f})"
    )
    return report
