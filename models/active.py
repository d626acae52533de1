"""Active learning: pick the sentences worth labelling next, and read the labels back.

``export_for_labelling`` scores unlabelled sentences (the store's ``sentences`` table, or any text file) with the
current model and writes the ``n`` most informative as Label Studio tasks (``.json`` / ``.jsonl``: ``data.text``
plus the model's guess as ``predictions``) or as a CSV to fill in, with ``label_config.xml`` beside it.
``import_labels`` reads a Label Studio export (JSON or JSON-MIN) or our CSV / JSONL back into
``<classifier.labelled_dir>/<name>.jsonl`` in the gold format; training reads that directory.

Strategies (higher score = asked first): ``uncertainty`` — the largest normalised entropy over the heads
(each service kind as yes/no); ``margin`` — one minus the smallest gap between the two likeliest classes of any
head; ``random`` — a seeded shuffle.
"""

from __future__ import annotations

import csv
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from models.baselines import System, SystemOutput
from models.labelling import label_config, prediction_result
from models.readers import csv_reader, csv_rows
from pipeline.errors import UserError
from pipeline.taxonomy import Taxonomy

log = logging.getLogger(__name__)

Strategy = Literal["uncertainty", "margin", "random"]
STRATEGIES: tuple[str, ...] = ("uncertainty", "margin", "random")
EXPORT_FORMATS = (".json", ".jsonl", ".csv")
CSV_COLUMNS = ["text", "lang", "service", "sentiment", "sharp_edge", "suggested_service", "suggested_sentiment",
               "suggested_sharp_edge", "informativeness", "ref"]  # fmt: skip


def _entropy(p: np.ndarray, axis: int) -> np.ndarray:
    p = np.clip(p, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=axis)


def informativeness(output: SystemOutput, *, strategy: Strategy) -> np.ndarray:
    """Score per sentence in [0, 1] (higher = more worth labelling) from a system's probabilities."""
    heads = [output.service_proba, output.sentiment_proba, output.sharp_edge_proba]
    if any(h is None for h in heads):
        raise UserError(f"strategy {strategy!r} needs class probabilities; this system has none")
    service, sentiment, sharp = (np.asarray(h, dtype=np.float64) for h in heads)
    if strategy == "uncertainty":
        binary = np.stack([service, 1 - service], axis=2)
        per_head = [
            (_entropy(binary, axis=2) / np.log(2)).max(axis=1) if service.shape[1] else np.zeros(len(service)),
            _entropy(sentiment, axis=1) / np.log(sentiment.shape[1]),
            _entropy(sharp, axis=1) / np.log(sharp.shape[1]),
        ]
        return np.clip(np.max(per_head, axis=0), 0.0, 1.0)
    if strategy == "margin":
        margins = [np.abs(2 * service - 1).min(axis=1) if service.shape[1] else np.ones(len(service))]
        for probs in (sentiment, sharp):
            top2 = np.sort(probs, axis=1)[:, -2:]
            margins.append(top2[:, 1] - top2[:, 0])
        return np.clip(1.0 - np.min(margins, axis=0), 0.0, 1.0)
    raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")


def select(scores: np.ndarray | None, n: int, *, strategy: Strategy, seed: int = 13) -> list[int]:
    """Indices of the ``n`` sentences to label: highest score first (ties by index), or a seeded sample."""
    if strategy == "random" or scores is None:
        order = list(range(len(scores) if scores is not None else 0))
        random.Random(seed).shuffle(order)
        return order[:n]
    return [int(i) for i in np.lexsort((np.arange(len(scores)), -scores))[:n]]


@dataclass(frozen=True)
class Candidate:
    text: str
    lang: str | None = None
    ref: str | None = None  # where it came from, e.g. "trustpilot/abc123#2" or "file.jsonl:17"


def candidates_from_store(store_path: Path, *, limit: int = 10_000) -> list[Candidate]:
    """Distinct stored sentences (PII-redacted text), up to ``limit`` in a stable hash order."""
    from pipeline.store import Store

    if not Path(store_path).is_file():
        raise UserError(f"no store at {store_path}: run `vocmine process` first, or pass --input FILE")
    with Store(store_path, read_only=True) as store:
        frame = store.frame(
            "SELECT min(source || '/' || external_id || '#' || idx) AS ref, text_redacted AS text, "
            "any_value(language) AS lang FROM sentences WHERE length(trim(text_redacted)) > 0 "
            "GROUP BY text_redacted ORDER BY md5(text_redacted) LIMIT ?", [limit],
        )  # fmt: skip
    return [Candidate(r.text, r.lang, r.ref) for r in frame.itertuples(index=False)]


def candidates_from_file(path: Path) -> list[Candidate]:
    """JSONL (a ``text`` field, optional ``lang``), CSV (a ``text`` column) or plain text (one per line)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    raw = path.read_text(encoding="utf-8-sig")
    out: list[Candidate] = []
    if path.suffix.lower() == ".csv":
        for line, row in csv_rows(csv_reader(raw)):
            if "text" not in row:
                raise UserError(f"{path}: needs a 'text' column")
            if text := (row.get("text") or "").strip():
                out.append(Candidate(text, row.get("lang") or None, f"{path.name}:{line}"))
        return out
    for line, text in enumerate(raw.splitlines(), start=1):
        if not text.strip():
            continue
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}:{line}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not str(obj.get("text") or "").strip():
                log.warning("%s:%d: no 'text' field, skipped", path, line)
                continue
            out.append(Candidate(str(obj["text"]).strip(), obj.get("lang"), f"{path.name}:{line}"))
        else:
            out.append(Candidate(text.strip(), None, f"{path.name}:{line}"))
    return out


@dataclass(frozen=True)
class ExportResult:
    path: Path
    config_path: Path
    n: int
    n_candidates: int
    strategy: str
    scorer: str | None

    def summary(self) -> str:
        by = f" scored by {self.scorer}" if self.scorer else ""
        return (f"wrote {self.n} of {self.n_candidates} candidate sentences ({self.strategy}{by}) -> {self.path}\n"
                f"Label Studio labelling config -> {self.config_path}")  # fmt: skip


def export_for_labelling(
    candidates: Sequence[Candidate],
    out_path: Path,
    *,
    taxonomy: Taxonomy,
    strategy: Strategy = "uncertainty",
    n: int = 200,
    scorer: System | None = None,
    exclude_keys: set[str] | frozenset[str] = frozenset(),
    model_version: str | None = None,
    seed: int = 13,
) -> ExportResult:
    """Score ``candidates`` with ``scorer``, pick ``n`` by ``strategy``, write tasks to ``out_path``.

    ``exclude_keys`` are ``models.data.text_key`` values of sentences already labelled (skipped).
    """
    from models.data import text_key

    suffix = out_path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise UserError(f"{out_path}: export format must be one of {', '.join(EXPORT_FORMATS)}")
    if strategy not in STRATEGIES:
        raise UserError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
    if scorer is None and strategy != "random":
        raise UserError(f"strategy {strategy!r} needs a model to score sentences: train one, or use --strategy random")
    seen: set[str] = set(exclude_keys)
    pool: list[Candidate] = []
    for cand in candidates:
        key = text_key(cand.text)
        if key not in seen:
            seen.add(key)
            pool.append(cand)
    output = scorer.run([c.text for c in pool], [c.lang for c in pool]) if scorer is not None and pool else None
    scores = informativeness(output, strategy=strategy) if output is not None and strategy != "random" else None
    chosen = select(scores if scores is not None else np.zeros(len(pool)), n, strategy=strategy, seed=seed)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    rows = [_task(pool[i], i, output, scores, taxonomy, model_version) for i in chosen]
    if suffix == ".json":
        out_path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".jsonl":
        out_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        _write_csv(out_path, rows)
    config_path = out_path.parent / "label_config.xml"
    config_path.write_text(label_config(taxonomy), encoding="utf-8")
    return ExportResult(out_path, config_path, len(rows), len(pool), strategy, getattr(scorer, "name", None))


def _task(
    cand: Candidate, i: int, output: SystemOutput | None, scores: np.ndarray | None, taxonomy: Taxonomy,
    model_version: str | None,
) -> dict:  # fmt: skip
    task: dict = {"data": {"text": cand.text, "lang": cand.lang or "", "ref": cand.ref or ""}}
    if output is not None:
        score = float(scores[i]) if scores is not None else None
        task["predictions"] = [{
            "model_version": model_version or "",
            "score": round(score, 4) if score is not None else 0.0,
            "result": prediction_result(output.service[i], output.sentiment[i], output.sharp_edge[i]),
        }]  # fmt: skip
    return task


def _write_csv(path: Path, tasks: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for task in tasks:
            guess = {
                r["from_name"]: r["value"]["choices"] for r in (task.get("predictions") or [{}])[0].get("result", [])
            }
            writer.writerow({
                "text": task["data"]["text"], "lang": task["data"]["lang"], "ref": task["data"]["ref"],
                "suggested_service": ";".join(guess.get("service", [])),
                "suggested_sentiment": ";".join(guess.get("sentiment", [])),
                "suggested_sharp_edge": ";".join(guess.get("sharp_edge", [])),
                "informativeness": (task.get("predictions") or [{}])[0].get("score", ""),
            })  # fmt: skip


def _labelled_examples(settings, taxonomy: Taxonomy) -> list:
    from models.data import read_extra, read_gold_dir

    cfg = settings.classifier
    labelled = sorted(cfg.labelled_dir.glob("*.jsonl")) if cfg.labelled_dir.is_dir() else []
    return read_gold_dir(cfg.gold_dir, taxonomy=taxonomy) + read_extra(
        [*cfg.extra_labelled, *labelled], taxonomy=taxonomy
    )


def _scorer(settings, taxonomy: Taxonomy, labelled: list) -> tuple[System | None, str | None]:
    """The trained model; before any model exists, the TF-IDF baseline fitted on the labels at hand."""
    from models.registry import latest_model_dir, resolve_model_dir

    if settings.classifier.model_version or latest_model_dir(settings.paths.models_dir) is not None:
        from models.evaluate import ClassifierSystem
        from models.predict import load_model

        cfg = settings.classifier
        classifier = load_model(resolve_model_dir(settings), runtime=cfg.runtime, device=cfg.device)
        return ClassifierSystem(classifier, batch_size=cfg.inference_batch_size), classifier.version
    if not labelled:
        return None, None
    from models.baselines import TfidfBaseline

    log.warning("no trained model: scoring sentences with the TF-IDF baseline fitted on %d labels", len(labelled))
    return TfidfBaseline.fit(labelled, taxonomy=taxonomy, seed=settings.classifier.seed), "tfidf_lr"


def label_export(
    settings, out_path: Path, *, strategy: Strategy = "uncertainty", n: int = 200, input_path: Path | None = None,
    pool: int = 10_000,
) -> ExportResult:  # fmt: skip
    """``vocmine label export``: candidates from ``input_path`` or the store, minus what is already labelled."""
    from models.data import text_key
    from pipeline.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.paths.taxonomy)
    if input_path is not None:
        candidates = candidates_from_file(input_path)[:pool]
    else:
        candidates = candidates_from_store(settings.paths.store_path, limit=pool)
    labelled = _labelled_examples(settings, taxonomy)
    scorer, version = _scorer(settings, taxonomy, labelled) if strategy != "random" else (None, None)
    return export_for_labelling(
        candidates, out_path, taxonomy=taxonomy, strategy=strategy, n=n, scorer=scorer, model_version=version,
        exclude_keys={text_key(ex.text) for ex in labelled}, seed=settings.classifier.seed,
    )  # fmt: skip
