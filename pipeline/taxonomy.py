"""The label taxonomy (configs/taxonomy.yaml): service kinds, sentiments, sharp-edge policy categories."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.config import ConfigError

NO_SHARP_EDGE = "none"


class LabelDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    patterns: dict[str, list[str]] = Field(default_factory=dict, description="Seed phrases per language.")
    token_patterns: dict[str, list[list[dict[str, Any]]]] = Field(
        default_factory=dict, description="spaCy Matcher token patterns per language (inflections, context)."
    )
    exclude: dict[str, list[str]] = Field(
        default_factory=dict, description="Phrases per language that veto this label in a sentence."
    )


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    service: dict[str, LabelDef]
    sentiment: list[str]
    sharp_edge: dict[str, LabelDef]
    sentiment_lexicon: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="Rule sentiment: label (positive/negative) -> language -> phrases."
    )
    negations: dict[str, list[str]] = Field(
        default_factory=dict, description="Negation words per language; they flip a nearby lexicon hit."
    )

    @cached_property
    def service_kinds(self) -> list[str]:
        return list(self.service)

    @cached_property
    def sharp_edge_labels(self) -> list[str]:
        """Class list of the sharp-edge head: 'none' first, then the policy categories."""
        return [NO_SHARP_EDGE, *self.sharp_edge]


def load_taxonomy(path: Path | str = Path("configs/taxonomy.yaml")) -> Taxonomy:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: taxonomy file not found")
    try:
        return Taxonomy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
