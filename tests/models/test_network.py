"""The multi-task network: shapes, padding-invariant pooling, masked losses, frozen embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.base import resolve_base
from models.labels import IGNORE, LabelSpace
from models.network import HeadLogits, MultiTaskModel, multitask_loss


@pytest.fixture(scope="module")
def model(base_cache, taxonomy) -> MultiTaskModel:
    base = resolve_base("tiny-random", cache_dir=base_cache)
    return MultiTaskModel.from_base(base, LabelSpace.from_taxonomy(taxonomy), seed=0).eval()


def test_heads_have_the_taxonomy_shapes(model) -> None:
    ids = torch.tensor([[2, 10, 11, 3], [2, 12, 3, 0]])
    logits = model.logits(ids, (ids != 0).long())
    assert logits.service.shape == (2, 3) and logits.sentiment.shape == (2, 3) and logits.sharp_edge.shape == (2, 9)


def test_mean_pooling_ignores_padding(model) -> None:
    ids = torch.tensor([[2, 10, 11, 3]])
    padded = torch.tensor([[2, 10, 11, 3, 0, 0, 0]])
    with torch.no_grad():
        a = model(ids, torch.ones_like(ids))
        b = model(padded, (padded != 0).long())
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, atol=1e-5, rtol=1e-5)


def _targets(n: int, *, service_mask, sentiment, sharp_edge):
    return {
        "service": torch.zeros(n, 3),
        "service_mask": torch.tensor(service_mask),
        "sentiment": torch.tensor(sentiment),
        "sharp_edge": torch.tensor(sharp_edge),
        "weight": torch.ones(n),
    }


def test_unlabelled_heads_do_not_count() -> None:
    torch.manual_seed(0)
    logits = HeadLogits(torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 9))
    base = _targets(2, service_mask=[True, False], sentiment=[0, IGNORE], sharp_edge=[IGNORE, IGNORE])
    loss, parts = multitask_loss(logits, **base)
    changed = base | {"service": torch.tensor([[0.0, 0, 0], [1.0, 1, 1]])}  # row 1's service is masked
    assert multitask_loss(logits, **changed)[0] == loss
    assert set(parts) == {"service", "sentiment"}
    nothing = _targets(2, service_mask=[False, False], sentiment=[IGNORE, IGNORE], sharp_edge=[IGNORE, IGNORE])
    zero, parts = multitask_loss(HeadLogits(*(t.requires_grad_() for t in logits.__dict__.values())), **nothing)
    assert float(zero.detach()) == 0.0 and parts == {}
    zero.backward()  # still differentiable


def test_weights_scale_examples() -> None:
    logits = HeadLogits(torch.zeros(2, 3), torch.tensor([[5.0, 0, 0], [0, 0, 5.0]]), torch.zeros(2, 9))
    t = _targets(2, service_mask=[False, False], sentiment=[0, 0], sharp_edge=[IGNORE, IGNORE])
    even = multitask_loss(logits, **t)[1]["sentiment"]
    skewed = multitask_loss(logits, **(t | {"weight": torch.tensor([1.0, 0.1])}))[1]["sentiment"]
    assert skewed < even  # the badly predicted second row counts less


def test_labels_encode_partial_examples(taxonomy) -> None:
    from models.examples import LabelledExample

    labels = LabelSpace.from_taxonomy(taxonomy)
    t = labels.encode([
        LabelledExample(text="a", service=["support", "onboarding"], sentiment="positive", sharp_edge="none"),
        LabelledExample(text="b", sentiment="negative", weight=0.3, origin="distant"),
    ])  # fmt: skip
    assert t.service.tolist() == [[1, 0, 1], [0, 0, 0]] and t.service_mask.tolist() == [True, False]
    assert t.sentiment.tolist() == [2, 0] and t.sharp_edge.tolist() == [0, IGNORE]
    assert np.allclose(t.weight, [1.0, 0.3])
    with pytest.raises(ValueError, match="unknown sharp_edge label 'refund'"):
        labels.encode([LabelledExample(text="c", sharp_edge="refund")])


def test_freezing_word_embeddings_keeps_them_fixed(base_cache, taxonomy) -> None:
    base = resolve_base("tiny-random", cache_dir=base_cache)
    model = MultiTaskModel.from_base(base, LabelSpace.from_taxonomy(taxonomy), seed=0)
    assert model.freeze_word_embeddings() == model.encoder.get_input_embeddings().weight.numel()
    before = model.encoder.get_input_embeddings().weight.clone()
    head_before = model.sentiment.weight.detach().clone()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.1)
    ids = torch.tensor([[2, 10, 11, 3]])
    sum(x.sum() for x in model(ids, torch.ones_like(ids))).backward()
    optimizer.step()
    assert torch.equal(before, model.encoder.get_input_embeddings().weight)
    assert not torch.equal(head_before, model.sentiment.weight)  # the rest does train


def test_rare_classes_get_more_weight(taxonomy) -> None:
    from models.examples import LabelledExample
    from models.fitting import balance_weights

    labels = LabelSpace.from_taxonomy(taxonomy)
    examples = [
        LabelledExample(text=f"s{i}", service=["support"] if i < 50 else [], sharp_edge="none") for i in range(96)
    ]
    examples += [LabelledExample(text="o", service=["onboarding"], sharp_edge="billing")] * 4
    w = balance_weights(labels.encode(examples), n_sharp_edge=len(labels.sharp_edge))
    support, success, onboarding = w["service_pos_weight"].tolist()
    assert support == 1.0 and success == 5.0 and onboarding == pytest.approx(np.sqrt(96 / 4))  # no positives: cap
    assert w["sharp_edge_class_weight"][0] == 1.0 and w["sharp_edge_class_weight"][1] == pytest.approx(np.sqrt(96 / 4))
    assert w["sharp_edge_class_weight"][2] == 1.0  # a class never seen keeps weight 1


def test_freezing_bottom_layers_keeps_them_fixed_and_trains_the_rest(base_cache, taxonomy) -> None:
    base = resolve_base("tiny-random", cache_dir=base_cache)
    model = MultiTaskModel.from_base(base, LabelSpace.from_taxonomy(taxonomy), seed=0)
    layers = model.encoder.encoder.layer
    frozen = [model.encoder.embeddings, layers[0]]
    expected = sum(p.numel() for m in frozen for p in m.parameters())
    assert model.freeze_bottom_layers(1) == expected
    assert model.freeze_bottom_layers(1) == 0  # already frozen: nothing more
    before = [p.detach().clone() for m in frozen for p in m.parameters()]
    top_before = [p.detach().clone() for p in layers[-1].parameters()]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.1)
    ids = torch.tensor([[2, 10, 11, 3]])
    sum(x.sum() for x in model(ids, torch.ones_like(ids))).backward()
    optimizer.step()
    assert all(torch.equal(a, p) for a, p in zip(before, (p for m in frozen for p in m.parameters()), strict=True))
    assert any(not torch.equal(a, p) for a, p in zip(top_before, layers[-1].parameters(), strict=True))
    with pytest.raises(ValueError, match="cannot freeze"):
        model.freeze_bottom_layers(len(layers) + 1)
