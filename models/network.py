"""The multi-task network: one shared encoder (mean-pooled), three heads — service, sentiment, sharp edge."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional as F

from models.labels import IGNORE, LabelSpace

if TYPE_CHECKING:
    from models.predict import Runner

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"


def quiet_transformers() -> None:
    """No progress bars or load reports on the console: the CLI prints its own summary."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


@dataclass(frozen=True)
class HeadLogits:
    service: torch.Tensor  # [n, S] (multi-label)
    sentiment: torch.Tensor  # [n, 3]
    sharp_edge: torch.Tensor  # [n, K], class 0 = none


class MultiTaskModel(nn.Module):
    """Shared encoder, mean pooling over real tokens, a dropout, and one linear head per task."""

    def __init__(self, encoder: Any, labels: LabelSpace, *, dropout: float = 0.1) -> None:
        """``encoder``: a Hugging Face ``PreTrainedModel`` returning ``last_hidden_state``."""
        super().__init__()
        self.encoder: Any = encoder
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # unused: we mean-pool the token states
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.service = nn.Linear(hidden, len(labels.service))
        self.sentiment = nn.Linear(hidden, len(labels.sentiment))
        self.sharp_edge = nn.Linear(hidden, len(labels.sharp_edge))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Logits (service, sentiment, sharp_edge). A plain tuple so the module exports to ONNX as is."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        return self.service(pooled), self.sentiment(pooled), self.sharp_edge(pooled)

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> HeadLogits:
        return HeadLogits(*self(input_ids, attention_mask))

    def freeze_word_embeddings(self) -> int:
        """Stop training the token-embedding table (96M of e5-small's 118M parameters); returns how many froze."""
        weight = self.encoder.get_input_embeddings().weight
        weight.requires_grad_(False)
        return int(weight.numel())

    def keep_bottom_layers(self, n: int) -> int:
        """Drop every transformer layer above the first ``n`` (before fine-tuning: the heads then read layer ``n``);
        returns how many were dropped. The saved config records ``n``, so the model reloads and exports as it trained.
        """
        layers = _encoder_layers(self.encoder)
        if not 1 <= n <= len(layers):
            raise ValueError(f"cannot keep {n} layers: the encoder has {len(layers)}")
        dropped = len(layers) - n
        del layers[n:]
        self.encoder.config.num_hidden_layers = n
        return dropped

    def freeze_bottom_layers(self, n: int) -> int:
        """Stop training the embeddings and the first ``n`` transformer layers; returns how many parameters froze.

        Their backward pass is skipped, and the pretrained lower layers are kept as they are.
        """
        layers = _encoder_layers(self.encoder)
        if n > len(layers):
            raise ValueError(f"cannot freeze {n} layers: the encoder has {len(layers)}")
        modules = [self.encoder.embeddings, *layers[:n]]
        frozen = 0
        for module in modules:
            for weight in module.parameters():
                if weight.requires_grad:
                    weight.requires_grad_(False)
                    frozen += weight.numel()
        return frozen

    def head_parameters(self) -> list[nn.Parameter]:
        return [*self.service.parameters(), *self.sentiment.parameters(), *self.sharp_edge.parameters()]

    @classmethod
    def from_base(cls, base_dir: Path, labels: LabelSpace, *, seed: int) -> MultiTaskModel:
        """Pretrained encoder from ``base_dir``; heads initialised from ``seed``."""
        from transformers import AutoModel

        quiet_transformers()
        encoder = AutoModel.from_pretrained(base_dir)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(encoder, labels)

    def save(self, model_dir: Path) -> None:
        """Weights (one safetensors file) and the encoder's config."""
        from safetensors.torch import save_file

        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(model_dir / WEIGHTS_FILE), metadata={"format": "pt"})
        self.encoder.config.save_pretrained(model_dir)

    @classmethod
    def load(cls, model_dir: Path, labels: LabelSpace) -> MultiTaskModel:
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel

        quiet_transformers()
        config = AutoConfig.from_pretrained(model_dir)
        model = cls(AutoModel.from_config(config), labels)
        model.load_state_dict(load_file(str(model_dir / WEIGHTS_FILE)), strict=True)
        return model.eval()


def _encoder_layers(encoder: Any) -> nn.ModuleList:
    """The transformer layers of a BERT-style encoder (``encoder.encoder.layer``) or a DistilBERT one."""
    for path in ("encoder.layer", "transformer.layer", "layers"):
        module = encoder
        for name in path.split("."):
            module = getattr(module, name, None)
        if isinstance(module, nn.ModuleList):
            return module
    raise ValueError(f"{type(encoder).__name__}: cannot find its transformer layers")


def multitask_loss(
    logits: HeadLogits,
    *,
    service: torch.Tensor,
    service_mask: torch.Tensor,
    sentiment: torch.Tensor,
    sharp_edge: torch.Tensor,
    weight: torch.Tensor,
    service_pos_weight: torch.Tensor | None = None,
    sharp_edge_class_weight: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum of the heads' weighted mean losses; each head averages only over the examples labelled for it.

    The service loss sums the kinds' binary losses (a rare kind is not diluted by the others); ``service_pos_weight``
    and ``sharp_edge_class_weight`` up-weight rare positives and rare categories.
    """
    parts: dict[str, torch.Tensor] = {}
    if service_mask.any():
        bce = F.binary_cross_entropy_with_logits(
            logits.service, service, reduction="none", pos_weight=service_pos_weight
        ).sum(dim=1)
        w = weight * service_mask.to(weight.dtype)
        parts["service"] = (bce * w).sum() / w.sum()
    for name, target, head, class_weight in (
        ("sentiment", sentiment, logits.sentiment, None),
        ("sharp_edge", sharp_edge, logits.sharp_edge, sharp_edge_class_weight),
    ):
        labelled = target != IGNORE
        if labelled.any():
            ce = F.cross_entropy(head, target.clamp(min=0), weight=class_weight, reduction="none")
            w = weight * labelled.to(weight.dtype)
            parts[name] = (ce * w).sum() / w.sum()
    # A batch with no labels at all gives a zero loss that is still differentiable.
    total = torch.stack(list(parts.values())).sum() if parts else logits.service.sum() * 0.0
    return total, {k: float(v.detach()) for k, v in parts.items()}


def torch_runner(model: MultiTaskModel) -> Runner:
    """numpy (input_ids, attention_mask) -> numpy logits of the three heads, on the model's device (bf16 on GPU)."""
    device = next(model.parameters()).device

    @torch.inference_mode()
    def run(input_ids, mask):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out = model(torch.from_numpy(input_ids).to(device), torch.from_numpy(mask).to(device))
        service, sentiment, sharp_edge = (x.float().cpu().numpy() for x in out)
        return service, sentiment, sharp_edge

    return run
