"""The model card of a release: which models classified it, on what training set, how well.

Markdown, so it reads on GitHub and in a terminal. The evaluation section is the latest
``muwclass evaluate`` of the work directory, when there is one.
"""

from __future__ import annotations


def model_card(
    training_set: str, classes: list[str], provenance: dict[int, dict], metrics: dict | None
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
        lines += [
            f"## Evaluation ({metrics.get('folds')})",
            "",
            f"accuracy {metrics['accuracy']:.3f}, balanced accuracy {metrics['balanced_accuracy']:.3f}",
            "",
        ]
        lines += ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for c, v in metrics["per_class"].items():
            lines.append(
                f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
            )
    else:
        lines += ["## Evaluation", "", "No evaluation found in the work directory: run `muwclass evaluate`."]
    lines += [
        "",
        "Confidence: CT = (P1 - 2 e1) / (P2 + 2 e2) over Monte-Carlo draws; confident when CT >= 2.",
        "",
    ]
    return "\n".join(lines)
