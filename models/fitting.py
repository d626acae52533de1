"""The training loop and the dev pass: AdamW with warm-up and linear decay, length-bucketed batches, bf16 autocast
where the hardware does bf16 natively."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from models.batching import InputFormat, tokenize
from models.calibration import Calibration, fit_calibration
from models.config import ClassifierSettings
from models.examples import LabelledExample
from models.labels import IGNORE, LabelSpace, Targets
from pipeline.errors import UserError

if TYPE_CHECKING:
    from models.predict import Logits

log = logging.getLogger(__name__)

HEAD_LR_FACTOR = 20.0  # fresh heads learn faster than the pretrained encoder (a common fine-tuning recipe)
WARMUP_FRACTION = 0.06
MAX_GRAD_NORM = 1.0
LOG_EVERY = 50
MAX_BALANCE = 5.0  # at most 5x weight for a rare class (imbalance up to 25:1 is balanced fully)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Job:
    """What the loop needs: the model, how to turn text into ids, the label map and the settings."""

    model: Any  # models.network.MultiTaskModel
    tokenizer: Any  # tokenizers.Tokenizer, truncating
    labels: LabelSpace
    settings: ClassifierSettings
    input_format: InputFormat
    pad_id: int
    device: str
    bf16: bool = False  # bf16 autocast in the training steps (``use_bf16``)

    def ids(self, examples: Sequence[LabelledExample]) -> list[list[int]]:
        texts = [ex.text for ex in examples]
        return tokenize(self.tokenizer, texts, fmt=self.input_format, langs=[ex.lang for ex in examples])


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(setting: str) -> str:
    import torch

    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "cuda" and not torch.cuda.is_available():
        raise UserError("classifier.device is 'cuda' but no CUDA device is available")
    return setting


def use_bf16(setting: str, device: str) -> bool:
    """Whether training runs under bf16 autocast: always on a GPU under 'auto'; on a CPU only with native bf16
    instructions, since emulated bf16 is slower than fp32."""
    import torch

    if setting != "auto":
        return setting == "bf16"
    if device.startswith("cuda"):
        return True
    native = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(check is not None and check() for check in native)


def fit(job: Job, examples: Sequence[LabelledExample], *, progress: Progress | None = None) -> list[float]:
    """Train ``job.model`` in place; returns the mean loss of each epoch."""
    import torch

    from models.batching import length_sorted_batches, pad
    from models.network import HeadLogits, multitask_loss

    cfg = job.settings
    ids = job.ids(examples)
    targets = job.labels.encode(examples)
    lengths = [len(r) for r in ids]
    total_steps = len(length_sorted_batches(lengths, batch_size=cfg.batch_size, seed=0)) * cfg.epochs
    optimizer = _optimizer(job.model, cfg.learning_rate, fused=cfg.fused_optimizer)
    warmup = max(1, int(WARMUP_FRACTION * total_steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    trainable = [p for p in job.model.parameters() if p.requires_grad]
    balance = {
        k: torch.from_numpy(v).to(job.device)
        for k, v in balance_weights(targets, n_sharp_edge=len(job.labels.sharp_edge)).items()
    }
    device_type = "cuda" if job.device.startswith("cuda") else "cpu"
    log.info("training in %s on %s", "bf16 autocast" if job.bf16 else "fp32", job.device)
    average = [p.detach().clone() for p in trainable] if cfg.ema_decay else None
    job.model.train()
    step, epoch_losses, started = 0, [], time.monotonic()
    for epoch in range(cfg.epochs):
        running, seen = 0.0, 0
        for index in length_sorted_batches(lengths, batch_size=cfg.batch_size, seed=cfg.seed + epoch):
            input_ids, mask = pad(ids, index, pad_id=job.pad_id)
            with torch.autocast(device_type, dtype=torch.bfloat16, enabled=job.bf16):
                out = job.model(torch.from_numpy(input_ids).to(job.device), torch.from_numpy(mask).to(job.device))
            logits = HeadLogits(*(x.float() for x in out))
            loss, _ = multitask_loss(logits, **_tensors(targets.subset(index), job.device), **balance)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
            optimizer.step()
            schedule.step()
            if average is not None:
                with torch.no_grad():
                    torch._foreach_lerp_(average, [p.detach() for p in trainable], 1.0 - cfg.ema_decay)
            running += float(loss.detach()) * len(index)
            seen += len(index)
            step += 1
            if progress is not None:
                progress(step, total_steps)
            if step % LOG_EVERY == 0:
                rate = step / (time.monotonic() - started)
                log.info("step %d/%d: loss %.4f, %.2f steps/s", step, total_steps, float(loss.detach()), rate)
        epoch_losses.append(round(running / max(seen, 1), 6))
        log.info("epoch %d/%d: loss %.4f", epoch + 1, cfg.epochs, epoch_losses[-1])
    if average is not None:
        with torch.no_grad():
            for weight, mean in zip(trainable, average, strict=True):
                weight.copy_(mean)
        log.info("finished on the moving average of the weights (decay %s)", cfg.ema_decay)
    job.model.eval()
    return epoch_losses


def calibrate(job: Job, dev: Sequence[LabelledExample]) -> tuple[Calibration, dict[str, float], Logits | None]:
    """Temperatures and thresholds fitted on ``dev``, then dev metrics under them, and the dev logits (kept so that
    a routed model's dev pass need not compute them again). Defaults and no logits without dev data."""
    from models.devset import dev_metrics
    from models.label_shift import training_priors
    from models.network import torch_runner
    from models.predict import calibrated, decide, run_logits

    if not dev:
        log.warning("no dev examples: default calibration (T=1, thresholds 0.5) and no dev metrics")
        return Calibration(service_thresholds=(0.5,) * len(job.labels.service)), {}, None
    batch_size = job.settings.inference_batch_size
    logits = run_logits(torch_runner(job.model), job.ids(dev), batch_size=batch_size, pad_id=job.pad_id)
    t = job.labels.encode(dev)
    calibration = fit_calibration(
        *logits, service=t.service, service_mask=t.service_mask, sentiment=t.sentiment, sharp_edge=t.sharp_edge
    )
    probs = calibrated(logits, calibration)
    rated = np.flatnonzero(t.sentiment != IGNORE)
    priors = training_priors(probs.sentiment[rated], [dev[int(i)].lang for i in rated])
    calibration = replace(calibration, sentiment_priors=priors)
    service, sentiment, sharp_edge = decide(probs, labels=job.labels, calibration=calibration)
    return calibration, dev_metrics(service, sentiment, sharp_edge, t, labels=job.labels), logits


def balance_weights(targets: Targets, *, n_sharp_edge: int, cap: float = MAX_BALANCE) -> dict[str, np.ndarray]:
    """Loss weights for rare classes: sqrt of the imbalance, between 1 and ``cap``.

    ``service_pos_weight[k]`` = sqrt(negatives / positives) of kind k; ``sharp_edge_class_weight[c]`` =
    sqrt(count of the commonest class / count of c). The square root up-weights rare classes without the full
    inverse-frequency swing that inflates their probabilities (temperature scaling and thresholds then fit on dev).
    """
    labelled = targets.service[targets.service_mask]
    pos = labelled.sum(axis=0)
    pos_weight = np.sqrt(np.clip((len(labelled) - pos) / np.maximum(pos, 1), 1.0, cap**2))
    classes = targets.sharp_edge[targets.sharp_edge != IGNORE]
    counts = np.bincount(classes, minlength=n_sharp_edge).astype(np.float64)
    class_weight = np.ones_like(counts)
    seen = counts > 0
    if seen.any():
        class_weight[seen] = np.sqrt(np.clip(counts.max() / counts[seen], 1.0, cap**2))
    return {
        "service_pos_weight": pos_weight.astype(np.float32),
        "sharp_edge_class_weight": class_weight.astype(np.float32),
    }


def _tensors(t: Targets, device: str) -> dict[str, Any]:
    import torch

    return {
        "service": torch.from_numpy(t.service).to(device),
        "service_mask": torch.from_numpy(t.service_mask).to(device),
        "sentiment": torch.from_numpy(t.sentiment).to(device),
        "sharp_edge": torch.from_numpy(t.sharp_edge).to(device),
        "weight": torch.from_numpy(t.weight).to(device),
    }


def _optimizer(model: Any, lr: float, *, fused: bool = False) -> Any:
    """AdamW over the trainable encoder weights and the heads. ``fused``: one pass over each parameter per step
    instead of one per operation (``classifier.fused_optimizer``)."""
    import torch

    heads = model.head_parameters()
    head_ids = {id(p) for p in heads}
    encoder = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    groups = [{"params": encoder, "lr": lr}, {"params": heads, "lr": lr * HEAD_LR_FACTOR}]
    return torch.optim.AdamW(groups, lr=lr, weight_decay=0.01, fused=fused or None)
