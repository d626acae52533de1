"""Labels from people: the Label Studio labelling config, its task and export formats, and the import into
``<classifier.labelled_dir>/*.jsonl`` (our gold format) that training reads.

Label Studio choices: ``service`` (multiple; ``none`` = labelled, not about service), ``sentiment`` (single),
``sharp_edge`` (single, ``none`` first). A head left blank stays unlabelled for that sentence.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from models.examples import LabelledExample
from models.readers import ReadResult, RowReject, error_reason, read_labelled
from pipeline.errors import UserError
from pipeline.taxonomy import NO_SHARP_EDGE, Taxonomy

log = logging.getLogger(__name__)

NO_SERVICE = "none"
HEAD_NAMES = ("service", "sentiment", "sharp_edge")


def label_config(taxonomy: Taxonomy) -> str:
    """Label Studio labelling-interface XML for the three heads, with the taxonomy's descriptions as hints."""

    def choices(name: str, title: str, items: list[tuple[str, str]], *, multiple: bool) -> list[str]:
        kind = "multiple" if multiple else "single"
        lines = [f"  <Header value={quoteattr(title)}/>",
                 f'  <Choices name="{name}" toName="text" choice="{kind}" showInline="true">']  # fmt: skip
        lines += [f"    <Choice value={quoteattr(v)} hint={quoteattr(' '.join(h.split()))}/>" for v, h in items]
        return [*lines, "  </Choices>"]

    service = [(k, d.description) for k, d in taxonomy.service.items()]
    service.append((NO_SERVICE, "Not about the vendor's service people (features, price, the product itself)."))
    edges = [(NO_SHARP_EDGE, "Not a complaint about a rule the company made.")]
    edges += [(k, d.description) for k, d in taxonomy.sharp_edge.items()]
    lines = ["<View>", '  <Text name="text" value="$text"/>']
    lines += choices("service", "Service: who helped? (all that apply, or none)", service, multiple=True)
    lines += choices("sentiment", "Sentiment of the sentence", [(s, s) for s in taxonomy.sentiment], multiple=False)
    lines += choices("sharp_edge", "Sharp edge: a complaint about a company rule?", edges, multiple=False)
    return "\n".join([*lines, "</View>", ""])


def prediction_result(service: Sequence[str], sentiment: str, sharp_edge: str | None) -> list[dict[str, Any]]:
    """A Label Studio ``predictions[].result`` list (pre-filled choices) for one sentence."""
    values = {
        "service": list(service) or [NO_SERVICE],
        "sentiment": [sentiment],
        "sharp_edge": [sharp_edge or NO_SHARP_EDGE],
    }
    return [{"from_name": head, "to_name": "text", "type": "choices", "value": {"choices": choices}}
            for head, choices in values.items()]  # fmt: skip


def _choices(value: Any) -> list[str] | None:
    """JSON-MIN stores a single choice as a string and several as {"choices": [...]}."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("choices")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return None


def _annotation_choices(task: dict[str, Any]) -> dict[str, list[str]] | None:
    """Choices of the task's latest annotation that was not cancelled; None when it has none."""
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return None
    latest = max(enumerate(annotations), key=lambda p: (str(p[1].get("updated_at") or p[1].get("created_at") or ""),
                                                        p[0]))[1]  # fmt: skip
    out: dict[str, list[str]] = {}
    for item in latest.get("result") or []:
        name, value = item.get("from_name"), item.get("value") or {}
        if name in HEAD_NAMES and isinstance(value.get("choices"), list):
            out[name] = [str(v) for v in value["choices"]]
    return out


def _example(text: Any, lang: Any, chosen: dict[str, list[str] | None], source: str) -> LabelledExample:
    service = chosen.get("service")
    sentiment, sharp = chosen.get("sentiment"), chosen.get("sharp_edge")
    if service is None and not sentiment and not sharp:
        raise ValueError("no labels chosen")
    return LabelledExample(
        text=str(text or "").strip(),
        lang=str(lang) if lang else None,
        service=None if service is None else [k for k in service if k != NO_SERVICE],
        sentiment=sentiment[0] if sentiment else None,
        sharp_edge=sharp[0] if sharp else None,
        origin="user",
        source=source,
    )


def parse_label_studio(tasks: Sequence[Any], *, taxonomy: Taxonomy, name: str) -> ReadResult:
    """Examples from a Label Studio JSON export (tasks with ``annotations``) or JSON-MIN export (flat rows)."""
    examples, rejects = [], []
    for i, task in enumerate(tasks, start=1):
        where = f"{name}:task {i}"
        if not isinstance(task, dict):
            rejects.append(RowReject(where, "expected a JSON object"))
            continue
        if "data" in task:
            data = task.get("data") or {}
            chosen: dict[str, list[str] | None] | None = _annotation_choices(task)  # type: ignore[assignment]
            text, lang = data.get("text"), data.get("lang")
        else:
            chosen = {head: _choices(task.get(head)) for head in HEAD_NAMES}
            text, lang = task.get("text"), task.get("lang")
        if chosen is None:
            rejects.append(RowReject(where, "not annotated"))
            continue
        problem = _unknown(chosen, taxonomy)
        if problem:
            rejects.append(RowReject(where, problem))
            continue
        try:
            examples.append(_example(text, lang, chosen, source="label-studio"))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            rejects.append(RowReject(where, error_reason(exc)))
    return ReadResult(tuple(examples), tuple(rejects))


def _unknown(chosen: dict[str, list[str] | None], taxonomy: Taxonomy) -> str | None:
    known = {"service": [*taxonomy.service_kinds, NO_SERVICE], "sentiment": taxonomy.sentiment,
             "sharp_edge": taxonomy.sharp_edge_labels}  # fmt: skip
    for head, values in chosen.items():
        bad = [v for v in values or [] if v not in known[head]]
        if bad:
            return f"unknown {head} choice(s) {bad} (known: {', '.join(known[head])})"
    return None


def read_label_file(path: Path, *, taxonomy: Taxonomy) -> ReadResult:
    """Label Studio JSON / JSONL, our JSONL, or our CSV (kinds ``support;onboarding``, ``none`` = no service)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        return parse_label_studio(data if isinstance(data, list) else [data], taxonomy=taxonomy, name=path.name)
    if suffix in (".jsonl", ".ndjson"):
        lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
        if lines and '"data"' in lines[0] and '"text"' in lines[0] and lines[0].lstrip().startswith("{"):
            first = json.loads(lines[0])
            if isinstance(first, dict) and "data" in first:
                return parse_label_studio([json.loads(ln) for ln in lines], taxonomy=taxonomy, name=path.name)
    if suffix in (".jsonl", ".ndjson", ".csv"):
        result = read_labelled(path, origin="user", taxonomy=taxonomy)
        keep = [ex for ex in result.examples if not _blank(ex)]
        empty = [RowReject(f"{path.name}", f"no labels: {ex.text[:40]!r}") for ex in result.examples if _blank(ex)]
        return ReadResult(tuple(keep), (*result.rejects, *empty))
    raise UserError(f"{path}: expected Label Studio .json / .jsonl, or our .jsonl / .csv")


def _blank(ex: LabelledExample) -> bool:
    return ex.service is None and ex.sentiment is None and ex.sharp_edge is None


@dataclass(frozen=True)
class ImportResult:
    path: Path
    added: int
    updated: int
    total: int
    rejects: tuple[RowReject, ...]

    def summary(self) -> str:
        lines = [f"imported {self.added} new and {self.updated} changed labels -> {self.path} ({self.total} in all)"]
        lines += [f"  rejected {r.location}: {r.reason}" for r in self.rejects[:10]]
        if len(self.rejects) > 10:
            lines.append(f"  … and {len(self.rejects) - 10} more rejected")
        return "\n".join(lines)


def to_gold_row(ex: LabelledExample) -> dict[str, Any]:
    return {"text": ex.text, "lang": ex.lang, "service": None if ex.service is None else list(ex.service),
            "sentiment": ex.sentiment, "sharp_edge": ex.sharp_edge, "source": ex.source}  # fmt: skip


def import_labels(path: Path, *, taxonomy: Taxonomy, out_dir: Path, name: str | None = None) -> ImportResult:
    """Merge the labels in ``path`` into ``out_dir/<name>.jsonl``: a re-labelled sentence replaces its old row."""
    from models.data import text_key

    result = read_label_file(path, taxonomy=taxonomy)
    target = out_dir / f"{name or Path(path).stem}.jsonl"
    existing = list(read_labelled(target, origin="user").examples) if target.is_file() else []
    rows = {text_key(ex.text): ex for ex in existing}
    added = updated = 0
    for ex in result.examples:
        key = text_key(ex.text)
        if key not in rows:
            added += 1
        elif rows[key] != ex:
            updated += 1
        rows[key] = ex
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(to_gold_row(ex), ensure_ascii=False) + "\n" for ex in rows.values()),
                   encoding="utf-8")  # fmt: skip
    tmp.replace(target)
    return ImportResult(target, added, updated, len(rows), result.rejects)
