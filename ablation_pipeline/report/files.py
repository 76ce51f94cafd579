"""The report's files: one forest plot per metric, the insight plots, then report.md (written last,
atomically, so it never points at a missing image); and the report with its images inlined."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd

from ..store.owned import remove_owned, write_owned
from .context import ReportContext, check_columns, direction_for, metrics_in_order
from .forest import forest_plot_png
from .markdown import render_markdown
from .plots import insight_plots


def _safe_name(metric: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(metric)).strip("._") or "metric"
    return name


def write_report(comparison: pd.DataFrame, ctx: ReportContext, out_dir: Path) -> dict[str, Path]:
    """Write `forest_<metric>.png` for every metric and then `report.md` into `out_dir`.

    Every file is written atomically; the plots go first so the report never points at a
    missing image. Returns {"report": path, "forest_<metric>": path, ...}.
    """
    check_columns(comparison)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = metrics_in_order(comparison, ctx.primary_metric)

    paths: dict[str, Path] = {}
    plot_files: dict[str, str] = {}
    used: set[str] = {"report"}
    for m in metrics:
        stem = f"forest_{_safe_name(m)}"
        k = 2
        while stem.lower() in used:  # two metric names that sanitise alike
            stem = f"forest_{_safe_name(m)}_{k}"
            k += 1
        used.add(stem.lower())
        png = forest_plot_png(comparison, m, direction_for(ctx, m).higher_is_better, ctx.margins.get(m))
        path = out_dir / f"{stem}.png"
        write_owned(path, png)
        paths[f"forest_{m}"] = path
        plot_files[m] = path.name

    if not comparison.empty:
        for name, png in insight_plots(comparison, ctx.primary_metric, ctx.factors, ctx.costs, ctx.alpha,
                                                simplified=ctx.simplified).items():
            paths[f"plot_{name.removesuffix('.png')}"] = write_owned(out_dir / name, png)

    _remove_stale_figures(out_dir, {path.name for path in paths.values()})
    report = out_dir / "report.md"
    write_owned(report, render_markdown(comparison, ctx, plot_files).encode("utf-8"))
    return {"report": report, **paths}


FIGURES = ("forest_*.png", "dose_*.png", "costs.png")  # what write_report draws; interactions.png is its own step's


def _remove_stale_figures(out_dir: Path, written: set[str]) -> None:
    """A figure of ours that an earlier run drew and this report does not draw (a metric, a dose curve or a
    cost plot the study no longer has) is removed: the folder shows this study's results only. A file we
    did not write is left alone (`remove_owned`)."""
    for pattern in FIGURES:
        for path in out_dir.glob(pattern):
            if path.name not in written:
                remove_owned(path)


# --------------------------------------------------------------------------------------------
# inline images

_IMAGE_REF = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(\s*(?P<target><[^>\n]*>|[^)\s]+)(?P<title>\s+\"[^\"\n]*\")?\s*\)")


def _mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or data.lstrip().startswith(b"<svg"):
        return "image/svg+xml"
    return "image/png"


def markdown_with_inline_images(markdown: str, images: dict[str, bytes]) -> str:
    """Replace `![alt](name)` references to names in `images` with base64 data URIs.

    References to names not in `images` are left untouched. A name also matches as
    `./name`.
    """

    def sub(match: re.Match[str]) -> str:
        target = match.group("target")
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1]
        key = target if target in images else (target[2:] if target.startswith("./") else None)
        if key is None or key not in images:
            return match.group(0)
        data = images[key]
        uri = f"data:{_mime(data)};base64,{base64.b64encode(data).decode('ascii')}"
        return f"![{match.group('alt')}]({uri}{match.group('title') or ''})"

    return _IMAGE_REF.sub(sub, markdown)
