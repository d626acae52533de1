"""Training data: gold + user-labelled files + weak labels + distant labels, split deterministically.

Splits are decided by a hash of the normalised, case-folded text, so a sentence and its duplicates always land in
the same split (no leakage), whatever order the files are read in. Weak and distant examples are used for training
only: those whose hash falls in dev or test are dropped, and dev/test hold gold (and user) labels alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from models.examples import LabelledExample
from pipeline.errors import UserError

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.taxonomy import Taxonomy

log = logging.getLogger(__name__)

Split = Literal["train", "dev", "test"]
DEV_FRACTION = 0.1
TEST_FRACTION = 0.1
AUXILIARY = ("weak", "distant")  # lower-trust origins: training only, never dev or test


def text_key(text: str) -> str:
    """Hash of the normalised, case-folded, whitespace-collapsed text: the unit of deduplication and splitting."""
    from pipeline.text import normalise

    canonical = " ".join(normalise(text).casefold().split())
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


def hash_fraction(text: str, *, part: int = 0) -> float:
    """A number in [0, 1) fixed by the text (its ``text_key``); each ``part`` reads other digits of the hash, so
    fractions of different parts are independent of each other."""
    start = 8 * part
    return int(text_key(text)[start : start + 8], 16) / 0x1_0000_0000


def split_of(text: str) -> Split:
    """train / dev / test (80 / 10 / 10) by text hash (``hash_fraction`` part 0) — stable across runs, machines and
    file orders."""
    bucket = hash_fraction(text)
    if bucket < TEST_FRACTION:
        return "test"
    if bucket < TEST_FRACTION + DEV_FRACTION:
        return "dev"
    return "train"


@dataclass(frozen=True)
class TrainingData:
    train: list[LabelledExample]
    dev: list[LabelledExample]
    test: list[LabelledExample]

    def counts(self) -> dict[str, dict[str, int]]:
        """Examples per split and origin, e.g. {'train': {'gold': 2400, 'weak': 900}, ...}."""
        return {
            name: dict(sorted(Counter(ex.origin for ex in part).items()))
            for name, part in (("train", self.train), ("dev", self.dev), ("test", self.test))
        }


def read_gold_dir(gold_dir: Path, *, taxonomy: Taxonomy) -> list[LabelledExample]:
    """Every ``*.jsonl`` under ``gold_dir`` (sorted by name). Gold must be clean: any bad line raises UserError
    naming ``file:line``. A missing directory gives no examples, with a warning."""
    from models.readers import read_labelled

    if not gold_dir.is_dir():
        log.warning("gold directory %s not found: training without gold labels", gold_dir)
        return []
    examples: list[LabelledExample] = []
    for path in sorted(gold_dir.glob("*.jsonl")):
        result = read_labelled(path, origin="gold", taxonomy=taxonomy)
        if result.rejects:
            first = result.rejects[0]
            more = f" (and {len(result.rejects) - 1} more)" if len(result.rejects) > 1 else ""
            raise UserError(f"{gold_dir / first.location}: {first.reason}{more}")
        examples.extend(result.examples)
    return examples


def read_extra(paths: Sequence[Path], *, taxonomy: Taxonomy) -> list[LabelledExample]:
    """User-labelled files in any format ``models.readers`` knows; bad rows are skipped and logged there."""
    from models.readers import read_examples

    out: list[LabelledExample] = []
    for path in paths:
        result = read_examples(path, origin="user", taxonomy=taxonomy)
        out.extend(ex if ex.origin == "user" else ex.model_copy(update={"origin": "user"}) for ex in result.examples)
    return out


def dedupe(examples: Iterable[LabelledExample]) -> list[LabelledExample]:
    """One example per text key; callers pass higher-trust origins first.

    A gold or user example wins outright. Between weak and distant examples of the same text, heads the first one
    leaves unlabelled are filled from the later one (rules know the service, a cons section knows the sentiment).
    """
    kept: dict[str, LabelledExample] = {}
    for ex in examples:
        key = text_key(ex.text)
        first = kept.get(key)
        if first is None:
            kept[key] = ex
        elif first.origin in AUXILIARY and ex.origin in AUXILIARY:
            fill = {h: getattr(ex, h) for h in ("service", "sentiment", "sharp_edge") if getattr(first, h) is None}
            kept[key] = first.model_copy(update={h: v for h, v in fill.items() if v is not None})
    return list(kept.values())


def assemble(
    trusted: Sequence[LabelledExample],
    auxiliary: Sequence[LabelledExample] = (),
    *,
    max_train_examples: int | None = None,
) -> TrainingData:
    """Split ``trusted`` (gold, user) three ways; ``auxiliary`` (weak, distant) joins train only.

    Duplicates collapse to the first seen (trusted before auxiliary). ``max_train_examples`` keeps trusted examples
    first, then auxiliary ones, each in hash order (deterministic).
    """
    parts: dict[Split, list[LabelledExample]] = {"train": [], "dev": [], "test": []}
    aux_train: list[LabelledExample] = []
    for ex in dedupe([*trusted, *auxiliary]):
        split = split_of(ex.text)
        if ex.origin in AUXILIARY:
            if split == "train":
                aux_train.append(ex)
        else:
            parts[split].append(ex)
    train = parts["train"] + aux_train
    if max_train_examples is not None and len(train) > max_train_examples:
        trusted_part = sorted(parts["train"], key=lambda e: text_key(e.text))
        aux_part = sorted(aux_train, key=lambda e: text_key(e.text))
        train = (trusted_part + aux_part)[:max_train_examples]
    return TrainingData(train=train, dev=parts["dev"], test=parts["test"])


def gather_examples(settings: Settings, taxonomy: Taxonomy) -> list[LabelledExample]:
    """Everything a configuration names: gold, user-labelled files, weak labels and distant labels (in that order,
    which is also the order of trust when texts repeat)."""
    from models.distant import distant_examples

    cfg = settings.classifier
    labelled = [*cfg.extra_labelled, *sorted(cfg.labelled_dir.glob("*.jsonl"))]  # + `vocmine label import` output
    trusted = read_gold_dir(cfg.gold_dir, taxonomy=taxonomy) + read_extra(labelled, taxonomy=taxonomy)
    if not trusted:
        raise UserError(
            f"no labelled examples: {cfg.gold_dir} has no *.jsonl files and classifier.extra_labelled is empty"
        )
    weak: list[LabelledExample] = []
    if cfg.use_weak_labels and cfg.weak_weight > 0 and cfg.max_weak_examples > 0:
        weak = _weak_examples(settings, taxonomy)
    distant: list[LabelledExample] = []
    if cfg.use_distant_labels and cfg.distant_weight > 0:
        distant = distant_examples(settings.paths.store_path, weight=cfg.distant_weight, limit=cfg.max_distant_examples)
    log.info("examples: %d labelled, %d weak, %d distant", len(trusted), len(weak), len(distant))
    return [*trusted, *weak, *distant]


def _weak_examples(settings: Settings, taxonomy: Taxonomy) -> list[LabelledExample]:
    """Weak labels from the taxonomy's rules over the stored sentences (the user's own corpus)."""
    from models.distant import stored_sentence_count

    try:
        from models.weak import weak_examples_from_store
    except ImportError:
        log.warning("models.weak is not available: training without weak labels")
        return []
    cfg = settings.classifier
    if stored_sentence_count(settings.paths.store_path) == 0:
        log.info("no stored sentences to weak-label (run `vocmine process` first)")
        return []
    found = weak_examples_from_store(
        settings.paths.store_path,
        taxonomy=taxonomy,
        weight=cfg.weak_weight,
        max_examples=cfg.max_weak_examples,
        seed=cfg.seed,
    )
    return list(found.examples)
