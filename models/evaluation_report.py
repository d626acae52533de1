"""The evaluation report as text: a console table, Markdown, and the JSON + Markdown files on disk."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from models.bootstrap import RESAMPLES

if TYPE_CHECKING:
    from models.bootstrap import Interval
    from models.evaluate import EvaluationReport, SuiteResult, SystemScores
    from models.metrics import BinaryMetrics, ClassificationMetrics

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def _systems(report: EvaluationReport) -> list[str]:
    names: list[str] = []
    for suite in report.suites:
        names += [n for n in suite.scores if n not in names]
    return names


def headline_rows(report: EvaluationReport) -> list[tuple[str, str, dict[str, float]]]:
    """(suite, metric, {system: value}) for every headline number."""
    rows = []
    for suite in report.suites:
        metrics: list[str] = []
        for scores in suite.scores.values():
            metrics += [m for m in scores.headline() if m not in metrics]
        for metric in metrics:
            values = {name: s.headline()[metric] for name, s in suite.scores.items() if metric in s.headline()}
            rows.append((suite.suite, metric, values))
    return rows


def headline_table(report: EvaluationReport) -> str:
    """Plain-text table for the console."""
    systems = _systems(report)
    header = f"{'suite':<28} {'metric':<20} " + " ".join(f"{s:>9}" for s in systems)
    lines = [header, "-" * len(header)]
    for suite, metric, values in headline_rows(report):
        cells = " ".join(f"{values[s]:>9.3f}" if s in values else f"{'':>9}" for s in systems)
        lines.append(f"{suite:<28} {metric:<20} {cells}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def _binary_row(name: str, m: BinaryMetrics) -> list[str]:
    return [
        name,
        f"{m.precision:.3f}",
        f"{m.recall:.3f}",
        f"{m.f1:.3f}",
        str(m.support),
        f"{m.tp}/{m.fp}/{m.fn}/{m.tn}",
    ]


def _classification(title: str, m: ClassificationMetrics) -> list[str]:
    lines = [f"**{title}** — macro-F1 {m.macro_f1:.3f} (over {', '.join(m.macro_labels)}), accuracy {m.accuracy:.3f}",
             ""]  # fmt: skip
    rows = [[s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support), str(s.predicted)]
            for s in m.per_label if s.support or s.predicted]  # fmt: skip
    lines += _table(["label", "precision", "recall", "F1", "gold", "predicted"], rows)
    shown = [i for i, s in enumerate(m.per_label) if s.support or s.predicted]
    lines += ["", "Confusion (rows gold, columns predicted):", ""]
    lines += _table(["gold \\ pred", *(m.labels[i] for i in shown)],
                    [[m.labels[r], *(str(m.confusion[r][c]) for c in shown)] for r in shown])  # fmt: skip
    return [*lines, ""]


def _system_section(scores: SystemScores) -> list[str]:
    lines = [f"#### {scores.system}", ""]
    binary = []
    if scores.service_any is not None:
        binary.append(_binary_row("service (any)", scores.service_any))
    if scores.service_kinds is not None:
        binary += [_binary_row(f"service.{m.label}", m) for m in scores.service_kinds.per_label]
    if scores.sharp_edge_any is not None:
        binary.append(_binary_row("sharp edge (any)", scores.sharp_edge_any))
    if binary:
        lines += [*_table(["decision", "precision", "recall", "F1", "gold", "tp/fp/fn/tn"], binary), ""]
    if scores.sentiment is not None:
        lines += _classification("sentiment", scores.sentiment)
    if scores.sharp_edge is not None:
        lines += _classification("sharp edge", scores.sharp_edge)
    if scores.calibration:
        ece = ", ".join(f"{head} {c.ece:.3f} (n={c.n})" for head, c in scores.calibration.items())
        lines += [f"Calibration, expected calibration error (10 bins): {ece}", ""]
    return lines


def _suite_section(suite: SuiteResult) -> list[str]:
    lines = [f"### {suite.suite} (n = {suite.n})", "", suite.description, ""]
    for scores in suite.scores.values():
        lines += _system_section(scores)
    if suite.errors:
        lines += ["#### Error samples (most confident first)", ""]
        rows = [[e.system, e.head, _cell(e.gold), _cell(e.predicted),
                 f"{e.confidence:.2f}" if e.confidence is not None else "", _cell(e.text[:200])]
                for e in suite.errors]  # fmt: skip
        lines += [*_table(["system", "head", "gold", "predicted", "confidence", "text"], rows), ""]
    return lines


def render_markdown(report: EvaluationReport) -> str:
    systems = _systems(report)
    counts = ", ".join(f"{n} {origin}" for origin, n in sorted(report.train_counts.items())) or "none"
    lines = [
        f"# Evaluation — {report.model_version or 'baselines only'}",
        "",
        f"Created {report.created_at}. Systems: {', '.join(systems)} — each labels the same examples in the same "
        f"run. The TF-IDF + logistic-regression baseline trained on the model's training split ({counts})."
        + (f" The model ran on {report.runtime}." if report.runtime else ""),
        "On suites of whole reviews, `<system>_by_sentence` is the same system applied as the pipeline labels a "
        "record: split into sentences, tag each, aggregate (service when any sentence mentions it; the majority "
        "sentiment of the polar sentences).",
        "",
        "## Headline",
        "",
    ]
    intervals = {suite.suite: suite.intervals for suite in report.suites}
    rows = [[suite, metric, *(_with_interval(values[s], intervals[suite].get(s, {}).get(metric)) if s in values else ""
                              for s in systems)]
            for suite, metric, values in headline_rows(report)]  # fmt: skip
    lines += [*_table(["suite", "metric", *systems], rows), ""]
    lines += [f"In brackets: 95 % intervals from {RESAMPLES:,} bootstrap resamples of each suite's examples, the same "
              "resamples for every system. They show sampling noise only; retraining with another seed moves the "
              "figures as well.", ""]  # fmt: skip
    lines += _leads_section(report)
    if report.skipped:
        lines += ["Skipped: " + "; ".join(report.skipped), ""]
    lines += [
        "Service is scored as one decision — the sentence mentions the vendor's service (any kind) or not — and per "
        "kind where the gold names kinds. Macro-F1 averages the classes present in gold or predictions. ECE: "
        "Σ over 10 confidence bins of (bin share) × |accuracy − mean confidence|.",
        "",
        "## Suites",
        "",
    ]
    for suite in report.suites:
        lines += _suite_section(suite)
    return "\n".join(lines)


def _with_interval(value: float, interval: Interval | None) -> str:
    return f"{value:.3f}" if interval is None else f"{value:.3f} [{interval.low:.3f}, {interval.high:.3f}]"


def _leads_section(report: EvaluationReport) -> list[str]:
    rows = [[suite.suite, lead.metric, lead.system, lead.versus, f"{lead.difference:+.3f}",
             f"[{lead.low:+.3f}, {lead.high:+.3f}]", f"{lead.share_ahead:.1%}"]
            for suite in report.suites for lead in suite.leads]  # fmt: skip
    if not rows:
        return []
    header = ["suite", "metric", "system", "versus", "lead", "95 % interval", "ahead in"]
    return ["## The model's leads (paired bootstrap)", "", lead_summary(report), "", *_table(header, rows), ""]


def lead_summary(report: EvaluationReport) -> str:
    """One line: in how many F1 comparisons the model's lead over a baseline has its whole interval above zero."""
    leads = [lead for suite in report.suites for lead in suite.leads]
    if not leads:
        return ""
    clear = sum(lead.low > 0 for lead in leads)
    behind = sum(lead.high < 0 for lead in leads)
    return (f"The model's F1 lead over a baseline has its 95 % interval above zero in {clear} of {len(leads)} "
            f"comparisons; below zero (the baseline ahead) in {behind}.")  # fmt: skip


def write_report(report: EvaluationReport, out_dir: Path) -> EvaluationReport:
    """Write ``report.json`` and ``report.md`` into ``out_dir``; returns the report with their paths."""
    from models.evaluate import report_json

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / REPORT_JSON, out_dir / REPORT_MD
    json_path.write_text(report_json(report), encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return dataclasses.replace(report, json_path=json_path, markdown_path=md_path)


def read_report(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
