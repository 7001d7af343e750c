"""The model card of a release: which models classified it, on what training set, how well.

Markdown, so it reads on GitHub and in a terminal. The evaluation section is the work
directory's ``muwclass evaluate`` of *the same model* (same model block, same training set:
an evaluation of another recipe would describe a model the release did not use), preferring
leave-one-out over k-fold. Its metrics and plots are copied into the release's
``evaluation/`` directory, which the card and the manifest link to.
"""

from __future__ import annotations

import json
from pathlib import Path

from muwclass.classification.estimator import estimator_params
from muwclass.config.run import RunConfig

#: files of an evaluation that travel with the release
EVALUATION_FILES = ("metrics.json", "confusion.png", "reliability.png", "reliability_per_class.png")


def find_evaluation(cfg: RunConfig, model: str) -> tuple[Path | None, dict | None, str]:
    """(evaluation directory, its metrics, a note) of the newest evaluation of ``model`` as
    configured: leave-one-out first, then ``evaluation.folds``. The note says what was found
    when nothing matches (absent, or an evaluation of a different model block)."""
    wanted = json.loads(json.dumps(cfg.model(model).model_dump(), default=str))
    params = json.loads(json.dumps(estimator_params(cfg.model(model)), default=str))
    seen = []
    for folds in dict.fromkeys(["loo", cfg.evaluation.folds]):
        path = cfg.layout.evaluation(folds) / "metrics.json"
        try:
            metrics = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        same_model = metrics.get("model_config") == wanted and metrics.get("estimator_params") == params
        if same_model and metrics.get("training_set") == cfg.training_set:
            return path.parent, metrics, ""
        seen.append(str(path.parent))
    if seen:
        return None, None, f"the evaluations in {', '.join(seen)} are of another model or training set"
    return None, None, "no evaluation in the work directory"


def model_card(
    training_set: str,
    classes: list[str],
    provenance: dict[int, dict],
    metrics: dict | None,
    note: str = "",
) -> str:
    lines = [
        "# muwclass model card",
        "",
        f"Training set: `{training_set}`",
        f"Classes: {', '.join(classes)}",
        "",
    ]
    lines += [
        "## Models (one per nH bin)",
        "",
        "| bin | nH (cm^-2) | model id | trees/params | fit s |",
        "|---|---|---|---|---|",
    ]
    for b, p in sorted(provenance.items()):
        lines.append(
            f"| {b} | {p.get('nh_target') or 0:.3g} | `{p.get('model_id')}` | {p['model_config'].get('params') or 'defaults'} | {p.get('fit_seconds')} |"
        )
    lines += [
        "",
        f"Features ({len(provenance[min(provenance)].get('features') or [])}): {', '.join(provenance[min(provenance)].get('features') or [])}",
        "",
    ]
    if metrics:
        lines += _evaluation(metrics)
    else:
        lines += ["## Evaluation", "", f"No evaluation of this model ({note}): run `muwclass evaluate`."]
    lines += [
        "",
        "Confidence: CT = (P1 - 2 e1) / (P2 + 2 e2) over Monte-Carlo draws; confident when CT >= 2.",
        "",
    ]
    return "\n".join(lines)


def _evaluation(metrics: dict) -> list[str]:
    lines = [
        f"## Evaluation ({metrics.get('folds')}, files in `evaluation/`)",
        "",
        f"accuracy {metrics['accuracy']:.3f}, balanced accuracy {metrics['balanced_accuracy']:.3f}"
        + (
            f", calibration error of the top-class probability {metrics['calibration_error']:.3f}"
            if "calibration_error" in metrics
            else ""
        ),
    ]
    confidence = metrics.get("confidence")
    if confidence:
        lines.append(
            f"Monte-Carlo confidence: {confidence['confident_fraction']:.1%} of the held-out sources reach "
            f"CT >= {confidence['threshold']:g}, {confidence['confident_accuracy']:.3f} of them right"
        )
        precision = confidence.get("per_predicted_class") or {}
        if precision:
            lines.append(
                "Precision of the confident classifications per class (sources): "
                + ", ".join(f"{c} {v['precision']:.2f} ({v['confident']})" for c, v in precision.items())
            )
    lines += ["", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for c, v in metrics["per_class"].items():
        lines.append(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    lines += [
        "",
        "![confusion](evaluation/confusion.png) ![reliability](evaluation/reliability.png)",
        "![reliability per class](evaluation/reliability_per_class.png)",
        "",
    ]
    auc = metrics.get("outlier_auc")
    if auc:
        per_class = ", ".join(f"{c} {v:.2f}" for c, v in auc.items() if c != "mean")
        lines += [f"Outlier score, hold-one-class-out ROC AUC: mean {auc['mean']:.3f} ({per_class})", ""]
    for direction, g in (metrics.get("generalisation") or {}).items():
        moves = ", ".join(
            f"{c} {v['cross_validated']:.2f} -> {v['other_set']:.2f}"
            for c, v in g["classes_that_move"].items()
        )
        lines.append(
            f"Generalisation {direction}: {g['tested']} unseen sources, accuracy {g['accuracy']:.3f}, "
            f"balanced accuracy {g['balanced_accuracy']:.3f}; recall that moves (cross-validated -> other set): {moves or 'none'}"
        )
    return lines
