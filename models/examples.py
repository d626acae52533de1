"""Labelled sentences: the one record every training and evaluation source is read into."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Origin = Literal["gold", "weak", "distant", "user", "eval"]


def languages_of(examples: Sequence[LabelledExample]) -> list[str]:
    """The lower-cased language codes of ``examples``, sorted; examples without one are left out."""
    return sorted({ex.lang.lower() for ex in examples if ex.lang})


class LabelledExample(BaseModel):
    """A sentence with (possibly partial) labels.

    ``None`` for a head means "not labelled for this head" (e.g. a distant label knows the sentiment only);
    an empty ``service`` list means "labelled: not about service".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    lang: str | None = None
    service: tuple[str, ...] | None = None
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    sharp_edge: str | None = Field(default=None, description="'none' or a taxonomy category; None = unlabelled.")
    weight: float = Field(default=1.0, gt=0, le=1)
    origin: Origin = "gold"
    source: str | None = Field(default=None, description="review, nps, or the corpus it came from.")
    note: str | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value

    @field_validator("service", mode="before")
    @classmethod
    def _service_tuple(cls, value: object) -> object:
        if isinstance(value, list):
            return tuple(sorted(set(value)))
        return value


def labelled_indices(examples: Sequence[LabelledExample], head: str) -> list[int]:
    """Positions of the examples labelled for ``head`` ('service', 'sentiment' or 'sharp_edge'), in order."""
    return [i for i, ex in enumerate(examples) if getattr(ex, head) is not None]
