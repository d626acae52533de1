"""MODEL_CARD.md: what a trained model is, what it was trained on, how well it did on dev, how to use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.calibration import Calibration
from models.labels import LabelSpace

CARD_FILE = "MODEL_CARD.md"


def render_model_card(
    *, meta: dict[str, Any], metrics: dict[str, float], labels: LabelSpace, calibration: Calibration
) -> str:
    counts = ", ".join(f"{n} {origin}" for origin, n in meta["n_train"].items())
    standardised = ", ".join(meta.get("colloquial") or ())
    colloquial = f", colloquial spellings standardised in {standardised}" if standardised else ""
    threads = f", {meta['threads']} threads" if meta.get("threads") else ""  # not recorded before 2026-11
    priors = (
        "; ".join(
            f"{lang} {' / '.join(f'{p:.3f}' for p in values)}" for lang, values in calibration.sentiment_priors.items()
        )
        or "none stored"
    )
    thresholds = ", ".join(
        f"{kind} {cut:.2f}" for kind, cut in zip(labels.service, calibration.service_thresholds, strict=True)
    )
    lines = [
        f"# {meta['version']}",
        "",
        "vocmine sentence classifier: one shared encoder (mean-pooled) with three heads —",
        f"service kinds (multi-label: {', '.join(labels.service)}), sentiment ({', '.join(labels.sentiment)}) and",
        f"sharp edges (one of: {', '.join(labels.sharp_edge)}).",
        "",
        "## Training",
        "",
        f"- Base: `{meta['base_model']}` (text prefix {meta['text_prefix']!r}, max {meta['max_length']} tokens"
        f"{', shouting lower-cased' if meta.get('unshout') else ''}"
        f"{colloquial})",
        f"- Examples: {counts}; dev: {meta['n_dev']} (gold/user only, split by text hash)",
        f"- Epoch losses: {', '.join(f'{x:.4f}' for x in meta['epoch_losses'])}",
        f"- Device: {meta['device']} ({meta.get('precision', 'fp32')}{threads}); {meta['seconds']:.0f} s; "
        f"data+settings fingerprint `{meta['fingerprint'][:16]}`",
        f"- Libraries: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}",
        "- Settings: `settings.json`; label map: `labels.json`.",
        "",
        "## Calibration (fitted on dev)",
        "",
        f"- Temperatures: service {calibration.temperature_service:.3f}, sentiment "
        f"{calibration.temperature_sentiment:.3f}, sharp edge {calibration.temperature_sharp_edge:.3f}",
        f"- Service thresholds (best dev F1): {thresholds}",
        f"- Sharp edge: the likeliest category when its probability ≥ {calibration.sharp_edge_threshold:.2f}, "
        "else none",
        f"- Sentiment priors its outputs carry (mean dev probability, negative / neutral / positive): {priors}; "
        "inference adapts them to the texts it labels when `classifier.adapt_sentiment_priors` is set",
        "",
        "## Dev metrics",
        "",
    ]
    if metrics:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {name} | {value:.4f} |" for name, value in sorted(metrics.items())]
    else:
        lines.append("No dev data: calibration defaults (T = 1, thresholds 0.5) and no metrics.")
    lines += [
        "",
        "Dev metrics come from the training distribution; `vocmine evaluate` measures held-out and real data.",
        "",
        "## Use",
        "",
        "```",
        f"vocmine tag input.jsonl -o tagged.jsonl --set classifier.model_version={meta['version']}",
        "vocmine export   # ONNX + int8 for fast CPU inference",
        "```",
        "",
        "Scores are calibrated probabilities; labels are associations learned from examples, not judgements.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(
    model_dir: Path, *, meta: dict[str, Any], metrics: dict[str, float], labels: LabelSpace, calibration: Calibration
) -> Path:
    path = model_dir / CARD_FILE
    path.write_text(render_model_card(meta=meta, metrics=metrics, labels=labels, calibration=calibration), "utf-8")
    return path
