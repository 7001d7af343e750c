"""Write the deterministic synthetic CSC-like sky, and with ``--xmm`` the 3XMM-like catalog
beside it (same seed, same bytes; ``muwclass synth``).

Output goes to ``<work_dir>/<synth.out>`` (build/synthetic/synth with conf/synthetic-sky.yaml),
which conf/synthetic-sky.yaml imports with ``muwclass import --conf conf/synthetic-sky.yaml``.
"""

from __future__ import annotations

from pathlib import Path

from muwclass.config.run import RunConfig
from muwclass.errors import ConfigError
from muwclass.io.products import check_output_directory
from muwclass.runtime.progress import console
from muwclass.synth.sky import generate_sky


def run_synth(
    cfg: RunConfig,
    scale: float | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    new_observations: int = 0,
    xmm: bool | None = None,
    progress: bool = True,
) -> dict:
    """Generate the sky at ``scale`` with ``seed`` (default: the ``synth`` block) into ``out``."""
    if new_observations < 0:
        raise ConfigError(f"--new-observations must be >= 0, got {new_observations}")
    scale = scale if scale is not None else cfg.synth.scale
    seed = seed if seed is not None else cfg.synth.seed
    out = Path(out) if out else cfg.layout.synth
    check_output_directory(out, "synth", "--out")
    summary = generate_sky(
        out,
        scale=scale,
        seed=seed,
        data_dir=cfg.data_dir,
        progress=progress,
        new_observations=new_observations,
        xmm=cfg.synth.xmm if xmm is None else xmm,
    )
    console.print(f"synthetic sky (scale {scale}, seed {seed}) written to {out}")
    console.print({k: v for k, v in summary.items() if k != "files"})
    return summary
