"""``build_report``: store → tables → report.html, summary.md, tables/*.csv|parquet and settings.json."""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import UserError
from pipeline.store import Store
from pipeline.taxonomy import load_taxonomy
from reports.aggregate import Period
from reports.analysis import Analysis, KeyFigures, analyse
from reports.attribution import Resampling
from reports.exports import write_tables
from reports.load import load_inputs
from reports.markdown import render_markdown
from reports.present import num, pct, pretty
from reports.render import ReportMeta, render_html
from reports.sections import build_sections, cards

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportResult:
    directory: Path
    html: Path | None
    markdown: Path | None
    tables_dir: Path
    key: KeyFigures
    findings: tuple[str, ...]

    def summary(self) -> str:
        """A few terminal lines with the headline numbers and where the report is."""
        k = self.key
        window = f"{k.periods[0]} … {k.periods[-1]}" if k.periods else "no periods"
        lines = [f"Report: {self.html or self.markdown or self.tables_dir}", f"  {k.records:,} records, {window}"]
        if k.nps is not None:
            lines.append(
                f"  NPS {num(k.nps.value, '+.0f')} (95% CI {num(k.nps.low, '+.0f')} … {num(k.nps.high, '+.0f')})"
            )
        if k.cs_points is not None:
            lines.append(
                f"  Customer service carries {num(k.cs_points.value, '+.1f')} NPS points "
                f"(95% CI {num(k.cs_points.low, '+.1f')} … {num(k.cs_points.high, '+.1f')})"
            )
        if k.stars is not None:
            lines.append(f"  Mean rating {k.stars.value:.2f}★")
        if k.service_mention is not None:
            lines.append(f"  Service mentioned in {pct(k.service_mention.value)} of records with text")
        lines.append(f"  {k.advocates:,} advocate candidates")
        if k.top_sharp_edge:
            lines.append(f"  Top sharp edge: {pretty(k.top_sharp_edge)} ({k.top_sharp_edge_records:,} records)")
        lines += [f"  • {f}" for f in self.findings[:6]]
        return "\n".join(lines)


def build_report(
    settings: Settings,
    *,
    model_version: str | None = None,
    period: Period | None = None,
    since: date | None = None,
    until: date | None = None,
    segment: str | None = None,
) -> ReportResult:
    """Write the report under ``settings.paths.reports_dir/<timestamp>`` (and point ``latest`` at it).

    The model version is the one given, else ``classifier.model_version``, else the one with most predictions.
    Options left as None come from ``settings.report``; the resolved settings are saved beside the report.
    """
    options = settings.report.model_copy(
        update={
            "period": period or settings.report.period,
            "since": since or settings.report.since,
            "until": until or settings.report.until,
            "segments": [segment] if segment else settings.report.segments,
        }
    )
    settings = settings.model_copy(update={"report": options})
    store_path = settings.paths.store_path
    if not store_path.exists():
        raise UserError(f"no store at {store_path}; collect and process feedback first (`vocmine run`)")
    with Store(store_path, read_only=True) as store:
        wanted = model_version or settings.classifier.model_version
        inputs = load_inputs(store, model_version=wanted, since=options.since, until=options.until)
    if inputs.tags.empty:
        raise UserError(
            f"no feedback tagged by model {inputs.model_version} between {options.since or 'the start'} and "
            f"{options.until or 'now'}; run `vocmine process` or widen --since/--until"
        )
    taxonomy = load_taxonomy(settings.paths.taxonomy)
    opts = Resampling(samples=options.bootstrap_samples, seed=options.seed, min_sample=options.min_sample)
    analysis = analyse(
        inputs.feedback,
        inputs.tags,
        inputs.sentences,
        model_version=inputs.model_version,
        service_kinds=taxonomy.service_kinds,
        sharp_edge_categories=list(taxonomy.sharp_edge),
        period=options.period,
        dimensions=options.segments,
        opts=opts,
        max_quotes=options.max_quotes,
    )
    directory = _new_directory(settings.paths.reports_dir)
    result = _write(analysis, directory, settings=settings)
    _point_latest(settings.paths.reports_dir, directory)
    log.info("report written to %s", directory)
    return result


def _write(analysis: Analysis, directory: Path, *, settings: Settings) -> ReportResult:
    options = settings.report
    meta = _meta(analysis, settings)
    tables_dir = directory / "tables"
    write_tables(analysis.tables, tables_dir, formats=[f for f in options.formats if f in ("csv", "parquet")])
    headline = cards(analysis)
    html = markdown = None
    if "html" in options.formats:
        html = directory / "report.html"
        html.write_text(
            render_html(
                build_sections(analysis),
                headline,
                findings=analysis.findings,
                notes=analysis.notes,
                meta=meta,
                downloads=sorted(analysis.tables),
            ),
            encoding="utf-8",
        )
    if "md" in options.formats:
        markdown = directory / "summary.md"
        markdown.write_text(render_markdown(analysis, headline, meta=meta), encoding="utf-8")
    (directory / "settings.json").write_text(json.dumps(settings.resolved(), indent=2, default=str), encoding="utf-8")
    return ReportResult(directory, html, markdown, tables_dir, analysis.key, analysis.findings)


def _meta(analysis: Analysis, settings: Settings) -> ReportMeta:
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("vocmine")
    except PackageNotFoundError:
        release = "dev"
    key, options = analysis.key, settings.report
    window = f"{key.periods[0]} … {key.periods[-1]} ({options.period}ly)" if key.periods else "no data"
    facts = (
        ("model version", key.model_version),
        ("period", options.period),
        ("since / until", f"{options.since or 'start'} / {options.until or 'end'}"),
        ("segments", ", ".join(options.segments)),
        ("bootstrap resamples", str(options.bootstrap_samples)),
        ("seed", str(options.seed)),
        ("minimum sample", str(options.min_sample)),
        ("compared periods", " → ".join(analysis.compare) if analysis.compare else "–"),
        ("sentiment priors", _priors_fact(settings)),
    )
    return ReportMeta(
        title=options.title,
        product=settings.product,
        window=window,
        records=f"{key.records:,} records",
        model_version=key.model_version,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=release,
        min_sample=options.min_sample,
        facts=facts,
    )


def _priors_fact(settings: Settings) -> str:
    """How tagging reads sentiment under the current settings (``models.label_shift``)."""
    n = settings.classifier.adapt_sentiment_priors
    if n is None:
        return "as the model was trained (classifier.adapt_sentiment_priors: null)"
    return (f"estimated per language from each tagging batch of {settings.nlp.tag_batch:,} sentences (at least {n} "
            "of the language), without labels, and the model's probabilities re-weighted to them")  # fmt: skip


def _new_directory(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate, n = root / stamp, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{n}"
    candidate.mkdir(parents=True)
    return candidate


def _point_latest(root: Path, directory: Path) -> None:
    """``latest`` is a symlink to the newest report, or a copy where symlinks are not allowed."""
    latest = root / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        os.symlink(directory.name, latest, target_is_directory=True)
    except OSError:
        shutil.copytree(directory, latest)
