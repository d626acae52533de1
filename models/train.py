"""Fine-tune the multi-task classifier: seeded, deterministic, CPU by default, GPU through the same code.

``train`` takes labelled examples and writes a complete model directory; ``train_from_settings`` gathers the
examples a configuration names (gold, user files, weak and distant labels) and calls it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.card import write_model_card
from models.config import ClassifierSettings
from models.data import assemble, text_key
from models.examples import LabelledExample, languages_of
from models.fitting import Progress
from models.labels import LabelSpace
from models.registry import META_FILE
from pipeline.errors import UserError
from pipeline.taxonomy import Taxonomy

if TYPE_CHECKING:
    from models.predict import KnownLogits
    from pipeline.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    version: str
    metrics: dict[str, float]  # on dev, after calibration
    n_examples: dict[str, int]  # training examples per origin
    seconds: float
    epoch_losses: tuple[float, ...] = field(default=())
    dev_logits: KnownLogits | None = field(default=None, repr=False, compare=False)  # in memory only

    def summary(self) -> str:
        counts = ", ".join(f"{n} {origin}" for origin, n in self.n_examples.items())
        keys = ("service.any.f1", "sentiment.macro_f1", "sharp_edge.any.f1")
        shown = ", ".join(f"{k} {self.metrics[k]:.3f}" for k in keys if k in self.metrics) or "no dev data"
        return f"trained {self.version} on {counts} in {self.seconds:.0f}s; dev: {shown}\n-> {self.model_dir}"


def train(
    examples: Sequence[LabelledExample],
    *,
    settings: ClassifierSettings,
    taxonomy: Taxonomy,
    out_root: Path,
    dev: Sequence[LabelledExample] | None = None,
    base_cache: Path | None = None,
    resolved_settings: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on ``examples`` and save ``out_root/<version>/``.

    With ``dev=None`` the examples are split by text hash (gold/user into train/dev/test; weak/distant train only);
    with an explicit ``dev`` every example trains and ``dev`` calibrates.
    """
    import torch

    from models.base import resolve_base, text_prefix
    from models.batching import InputFormat
    from models.fitting import Job, calibrate, fit, resolve_device, seed_everything, use_bf16
    from models.network import MultiTaskModel
    from models.predict import KnownLogits, load_tokenizer
    from models.registry import model_version, publish, start_work_dir

    started = time.monotonic()
    labels = LabelSpace.from_taxonomy(taxonomy)
    data = assemble(examples, max_train_examples=settings.max_train_examples) if dev is None else None
    train_set = data.train if data is not None else list(examples)
    dev_set = data.dev if data is not None else list(dev or [])
    if not train_set:
        raise UserError("no training examples: add gold labels (classifier.gold_dir) or labelled files")
    base_dir = resolve_base(settings.base_model, cache_dir=base_cache or out_root.parent / "base")
    when = datetime.now(UTC)
    fingerprint = _fingerprint(train_set, dev_set, settings, labels)
    version = model_version(settings.base_model, fingerprint, when=when)
    hf_tokenizer = _hf_tokenizer(base_dir)

    seed_everything(settings.seed)
    device = resolve_device(settings.device)
    model = MultiTaskModel.from_base(base_dir, labels, seed=settings.seed).to(device)
    if settings.encoder_layers is not None:
        try:
            dropped = model.keep_bottom_layers(settings.encoder_layers)
        except ValueError as exc:
            raise UserError(f"classifier.encoder_layers: {exc}") from None
        log.info("kept the bottom %d transformer layers, dropped %d", settings.encoder_layers, dropped)
    if settings.freeze_embeddings:
        log.info("froze %d word-embedding parameters", model.freeze_word_embeddings())
    if settings.freeze_layers:
        try:
            frozen = model.freeze_bottom_layers(settings.freeze_layers)
        except ValueError as exc:
            raise UserError(f"classifier.freeze_layers: {exc}") from None
        log.info("froze the embeddings and %d layers: %d more parameters", settings.freeze_layers, frozen)
    work = start_work_dir(out_root, version)  # created once the settings have proved usable
    hf_tokenizer.save_pretrained(work)  # the tokenizer travels with the model
    job = Job(
        model=model,
        tokenizer=load_tokenizer(work, max_length=settings.max_length),
        labels=labels,
        settings=settings,
        input_format=InputFormat(
            prefix=text_prefix(base_dir), unshout=settings.unshout, colloquial=tuple(settings.colloquial)
        ),
        pad_id=int(hf_tokenizer.pad_token_id),
        device=device,
        bf16=use_bf16(settings.mixed_precision, device),
    )
    losses = fit(job, train_set, progress=progress)
    calibration, metrics, dev_logits = calibrate(job, dev_set)

    counts: dict[str, int] = dict(sorted(Counter(str(ex.origin) for ex in train_set).items()))
    seconds = time.monotonic() - started
    meta = {
        "version": version,
        "created_at": when.isoformat(),
        "base_model": settings.base_model,
        "base_dir": str(base_dir),
        "text_prefix": job.input_format.prefix,
        "unshout": job.input_format.unshout,
        "colloquial": list(job.input_format.colloquial),
        "languages": languages_of(train_set),
        "max_length": settings.max_length,
        "pad_id": job.pad_id,
        "fingerprint": fingerprint,
        "n_train": counts,
        "n_dev": len(dev_set),
        "splits": data.counts() if data is not None else None,
        "epoch_losses": losses,
        "seconds": round(seconds, 1),
        "device": device,
        "precision": "bf16 autocast" if job.bf16 else "fp32",
        # on a CPU the kernels sum in another order with another thread count: the same recipe, other last bits
        "threads": torch.get_num_threads() if device == "cpu" else None,
        "versions": _library_versions(),
    }
    model.cpu().save(work)
    labels.save(work)
    calibration.save(work)
    write_json(work / "settings.json", resolved_settings or {"classifier": settings.model_dump(mode="json")})
    write_json(work / "metrics.json", metrics)
    write_model_card(work, meta=meta, metrics=metrics, labels=labels, calibration=calibration)
    write_json(work / META_FILE, meta)  # last: marks the directory complete
    final = out_root / version
    publish(work, final)
    log.info("saved %s", final)
    known = None
    if dev_logits is not None:
        known = KnownLogits.of([ex.text for ex in dev_set], [ex.lang for ex in dev_set], dev_logits)
    return TrainResult(final, version, metrics, counts, seconds, tuple(losses), dev_logits=known)


def _hf_tokenizer(base_dir: Path):
    from transformers import AutoTokenizer

    from models.network import quiet_transformers

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if not getattr(tokenizer, "is_fast", False) or tokenizer.pad_token_id is None:
        raise UserError(f"base model {base_dir} needs a fast tokenizer with a padding token")
    return tokenizer


def _fingerprint(train_set, dev_set, settings: ClassifierSettings, labels: LabelSpace) -> str:
    """Hash of the data (texts, labels, weights) and the settings that shape the weights."""
    h = hashlib.sha256()
    h.update(settings.model_dump_json(exclude={"model_version", "runtime", "device"}).encode())
    h.update(json.dumps([labels.service, labels.sentiment, labels.sharp_edge]).encode())
    for name, part in (("train", train_set), ("dev", dev_set)):
        h.update(name.encode())
        for ex in sorted(part, key=lambda e: text_key(e.text)):
            h.update(ex.model_dump_json(include={"text", "service", "sentiment", "sharp_edge", "weight"}).encode())
    return h.hexdigest()


def _library_versions() -> dict[str, str]:
    import tokenizers
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def train_from_settings(settings: Settings, *, progress: Progress | None = None) -> TrainResult:
    """Gather gold, user-labelled, weak and distant examples as configured, then ``train``."""
    from models.data import gather_examples
    from pipeline.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.paths.taxonomy)
    examples = gather_examples(settings, taxonomy)
    from models.routed_training import train_routed

    trainer = train_routed if settings.classifier.routes else train
    return trainer(
        examples,
        settings=settings.classifier,
        taxonomy=taxonomy,
        out_root=settings.paths.models_dir,
        base_cache=settings.paths.data_dir / "base",
        resolved_settings=settings.resolved(),
        progress=progress,
    )
