"""Dev-set metrics saved with every model (metrics.json, the model card). Full evaluation lives elsewhere."""

from __future__ import annotations

import numpy as np

from models.labels import IGNORE, LabelSpace, Targets


def _f1(tp: float, n_pred: float, n_true: float) -> tuple[float, float, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def dev_metrics(
    service_pred: np.ndarray,
    sentiment_pred: np.ndarray,
    sharp_edge_pred: np.ndarray,
    targets: Targets,
    *,
    labels: LabelSpace,
) -> dict[str, float]:
    """Precision / recall / F1 per service kind and for 'any service'; sentiment accuracy and macro-F1;
    sharp-edge accuracy, macro-F1 over the categories present and F1 of 'any sharp edge'. Rounded to 4 places."""
    out: dict[str, float] = {}
    mask = targets.service_mask
    if mask.any():
        pred, true = service_pred[mask].astype(bool), targets.service[mask].astype(bool)
        for k, kind in enumerate(labels.service):
            p, r, f = _f1(float((pred[:, k] & true[:, k]).sum()), pred[:, k].sum(), true[:, k].sum())
            out |= {f"service.{kind}.precision": p, f"service.{kind}.recall": r, f"service.{kind}.f1": f}
        any_pred, any_true = pred.any(axis=1), true.any(axis=1)
        p, r, f = _f1(float((any_pred & any_true).sum()), any_pred.sum(), any_true.sum())
        out |= {"service.any.precision": p, "service.any.recall": r, "service.any.f1": f}
        out["service.n"] = float(mask.sum())
    out |= _classes("sentiment", sentiment_pred, targets.sentiment, labels.sentiment, skip_none=False)
    out |= _classes("sharp_edge", sharp_edge_pred, targets.sharp_edge, labels.sharp_edge, skip_none=True)
    keep = targets.sharp_edge != IGNORE
    if keep.any():
        pred, true = sharp_edge_pred[keep] > 0, targets.sharp_edge[keep] > 0
        p, r, f = _f1(float((pred & true).sum()), pred.sum(), true.sum())
        out |= {"sharp_edge.any.precision": p, "sharp_edge.any.recall": r, "sharp_edge.any.f1": f}
    return {k: round(float(v), 4) for k, v in out.items()}


def _classes(
    head: str, pred: np.ndarray, true: np.ndarray, classes: tuple[str, ...], *, skip_none: bool
) -> dict[str, float]:
    keep = true != IGNORE
    if not keep.any():
        return {}
    pred, true = pred[keep], true[keep]
    out = {f"{head}.accuracy": float((pred == true).mean()), f"{head}.n": float(keep.sum())}
    f1s = []
    for c, name in enumerate(classes):
        if skip_none and c == 0:
            continue
        if not (true == c).any():
            continue
        _, _, f = _f1(float(((pred == c) & (true == c)).sum()), (pred == c).sum(), (true == c).sum())
        out[f"{head}.{name}.f1"] = f
        f1s.append(f)
    if f1s:
        out[f"{head}.macro_f1"] = float(np.mean(f1s))
    return out
