"""Routed models: one member per routed language set, the main member for the rest, one version on disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from models.config import ClassifierSettings, LanguageRoute
from models.data import split_of
from models.examples import LabelledExample
from models.predict import Classifier, load_model
from models.routed import RoutedClassifier, is_routed, member_dirs
from models.routed_training import member_settings, partition, train_routed
from pipeline.config import Settings

JA = [
    ("サポートの返信が早い", ["support"], "positive", "none"),
    ("サポートに何度連絡しても返事がない", ["support"], "negative", "none"),
    ("解約したいのに手続きが見つからない", [], "negative", "cancellation_refunds"),
    ("二重に請求された", [], "negative", "billing"),
    ("担当のカスタマーサクセスがとても親切", ["success"], "positive", "none"),
    ("このアプリはツールです", [], "neutral", "none"),
    ("導入の説明会が分かりやすかった", ["onboarding"], "positive", "none"),
    ("アカウントにログインできなくなった", [], "negative", "account_access"),
]


@pytest.fixture(scope="module")
def examples(eight: list[LabelledExample]) -> list[LabelledExample]:
    english = [ex.model_copy(update={"lang": "en"}) for ex in eight if ex.lang is None]
    japanese = [
        LabelledExample(text=t, lang="ja", service=s, sentiment=p, sharp_edge=e) for t, s, p, e in JA
    ]  # fmt: skip
    return english + japanese


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory, examples, tiny_settings, taxonomy, base_cache):
    """Main member on English (and anything unrouted), a Japanese member with its own seed."""
    import torch

    torch.set_num_threads(2)
    settings = tiny_settings(
        routes=[LanguageRoute(languages=["ja"], base_model="tiny-random", epochs=30)], blend_heads=[]
    )  # each language read by one member (blending: below)
    out = tmp_path_factory.mktemp("routed") / "models"
    return train_routed(
        examples, settings=settings, taxonomy=taxonomy, out_root=out, dev=examples, base_cache=base_cache
    )


def test_partition_gives_each_route_its_languages_and_the_rest_to_main(examples) -> None:
    odd = LabelledExample(text="Sin idioma", lang=None, service=[], sentiment="neutral", sharp_edge="none")
    shares = partition([*examples, odd], [LanguageRoute(languages=["JA"], base_model="tiny-random")])
    (main_route, main), (ja_route, ja) = shares
    assert main_route is None and ja_route is not None
    assert {ex.lang for ex in ja} == {"ja"} and len(ja) == len(JA)
    assert {ex.lang for ex in main} == {"en", None} and odd in main


def test_the_main_model_learns_a_fixed_share_of_the_routed_examples(examples) -> None:
    routed = [
        LabelledExample(text=f"サポートの返信 {i} 回目", lang="ja", service=["support"], sentiment="neutral")
        for i in range(600)
    ]
    route = LanguageRoute(languages=["ja"], base_model="tiny-random")
    everything = [*examples, *routed]
    english = [ex for ex in examples if ex.lang == "en"]

    (_, main), (_, ja) = partition(everything, [route], main_learns_routed=True, main_routed_share=0.5)
    learned = [ex for ex in main if ex.lang == "ja"]
    assert len(ja) == len(JA) + 600 and [ex for ex in main if ex.lang == "en"] == english
    assert 0.4 < len(learned) / len(ja) < 0.6
    for split in ("train", "dev", "test"):  # the sample does not lean on the train / dev / test split
        of_split = [ex for ex in ja if split_of(ex.text) == split]
        assert 0.35 < sum(ex in learned for ex in of_split) / len(of_split) < 0.65
    (_, again), _ = partition(everything[::-1], [route], main_learns_routed=True, main_routed_share=0.5)
    assert sorted(ex.text for ex in again) == sorted(ex.text for ex in main)  # fixed by the texts, not their order
    (_, whole), _ = partition(everything, [route], main_learns_routed=True)
    assert whole == everything


def test_member_settings_take_the_route_base_and_epochs(tiny_settings) -> None:
    settings = tiny_settings(epochs=5, routes=[LanguageRoute(languages=["en"], base_model="minilm-l6", epochs=2)])
    mine = member_settings(settings, settings.routes[0])
    assert (mine.base_model, mine.epochs, mine.routes) == ("minilm-l6", 2, [])
    main = member_settings(settings, None)
    assert (main.base_model, main.epochs, main.routes) == ("tiny-random", 5, [])


def test_member_settings_take_the_route_recipe_or_inherit_it(tiny_settings) -> None:
    routes = [
        LanguageRoute(languages=["en"], base_model="minilm-l6", freeze_layers=0, learning_rate=1e-4,
                      fused_optimizer=False, encoder_layers=6),
        LanguageRoute(languages=["ja"], base_model="minilm-l6"),
    ]  # fmt: skip
    settings = tiny_settings(freeze_layers=1, learning_rate=3e-5, fused_optimizer=True, encoder_layers=2, routes=routes)
    recipe = [
        (s.freeze_layers, s.learning_rate, s.fused_optimizer, s.encoder_layers)
        for s in (member_settings(settings, r) for r in [*routes, None])
    ]
    assert recipe == [(0, 1e-4, False, 6), (1, 3e-5, True, 2), (1, 3e-5, True, 2)]


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_a_routed_share_outside_0_to_1_is_a_config_error(share: float) -> None:
    with pytest.raises(ValidationError, match="main_routed_share"):
        ClassifierSettings(main_routed_share=share)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("freeze_layers", -1),
        ("learning_rate", 0.0),
        ("epochs", 0),
        ("fused_optimizer", "sometimes"),
        ("encoder_layers", 0),
    ],
)
def test_a_route_recipe_out_of_range_is_a_config_error(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        LanguageRoute(languages=["en"], base_model="minilm-l6", **{field: value})


def test_a_repeated_text_falls_in_or_out_of_the_main_share_as_a_whole() -> None:
    twice = [
        LabelledExample(text=f"サポート {i}", lang="ja", service=["support"], sentiment="neutral")
        for i in range(100)
        for _ in range(2)
    ]
    route = LanguageRoute(languages=["ja"], base_model="tiny-random")
    (_, main), (_, ja) = partition(twice, [route], main_learns_routed=True, main_routed_share=0.5)
    assert len(ja) == 200  # the route keeps every copy; the main model both copies of a text or neither
    assert all(sum(ex.text == text for ex in main) in (0, 2) for text in {ex.text for ex in twice})
    assert 0 < len(main) < 200


def test_a_language_routed_twice_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="languages routed twice: en"):
        ClassifierSettings(
            routes=[LanguageRoute(languages=["en"], base_model="a"), LanguageRoute(languages=["EN"], base_model="b")]
        )


def test_routed_model_directory_is_one_version_with_complete_members(routed, examples) -> None:
    assert is_routed(routed.model_dir) and routed.model_dir.name == routed.version
    assert routed.n_examples == {"gold": len(examples)}  # each example once, whichever members it trained
    assert routed.version.startswith("vocmine-tiny-random-tiny-random-")
    meta = json.loads((routed.model_dir / "meta.json").read_text(encoding="utf-8"))
    members = member_dirs(routed.model_dir)
    assert list(members) == ["main", "ja"] and meta["routes"] == {"ja": members["ja"].name}
    assert meta["languages"] == ["en", "ja"]
    for member in members.values():
        assert (member / "meta.json").is_file() and not is_routed(member)
    assert {"service.any.f1", "sentiment.macro_f1"} <= set(routed.metrics)  # dev metrics of the whole
    assert (routed.model_dir / "MODEL_CARD.md").read_text(encoding="utf-8").count("tiny-random") >= 2
    assert not any(p.name.startswith(".") for p in routed.model_dir.parent.iterdir())  # no work dir left


def test_each_sentence_is_labelled_by_its_languages_member(routed) -> None:
    model = load_model(routed.model_dir, runtime="torch")
    assert isinstance(model, RoutedClassifier)
    members = member_dirs(routed.model_dir)
    main = Classifier.load(members["main"], runtime="torch")
    ja = Classifier.load(members["ja"], runtime="torch")
    texts = ["Support answered my ticket fast.", "サポートの返信が早い", "They charged me twice for one plan!"]
    langs = ["en", "ja", "en"]
    got = model.predict_proba(texts, langs=langs).sentiment
    by_main = main.predict_proba(texts).sentiment
    by_ja = ja.predict_proba(texts).sentiment
    assert not np.allclose(by_main, by_ja, atol=1e-3)  # the members differ, so routing is visible
    np.testing.assert_allclose(got[[0, 2]], by_main[[0, 2]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[[1]], by_ja[[1]], rtol=1e-5, atol=1e-6)
    # without languages the model detects them (any kana means Japanese); an unrouted language goes to main
    np.testing.assert_allclose(model.predict_proba(texts).sentiment, got, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        model.predict_proba(texts[1:2], langs=["id"]).sentiment, by_main[[1]], rtol=1e-5, atol=1e-6
    )
    tags = model.predict(texts, langs=langs)
    assert [t.scores for t in tags] == [t.scores for t in (*main.predict(texts[:1]), *ja.predict(texts[1:2]),
                                                           *main.predict(texts[2:]))]  # fmt: skip
    with pytest.raises(ValueError, match="2 languages for 3 texts"):
        model.predict(texts, langs=["en", "ja"])


def test_routed_model_exports_every_member_and_runs_on_onnx(routed, examples, tmp_path: Path) -> None:
    import shutil

    from models.export import export_from_settings, export_variant, is_exported

    data_dir = tmp_path / "data"
    shutil.copytree(routed.model_dir, data_dir / "models" / routed.version)
    gold = tmp_path / "gold"
    gold.mkdir()
    fields = {"text", "lang", "service", "sentiment", "sharp_edge"}
    rows = [ex.model_dump(mode="json", include=fields) for ex in examples]
    (gold / "all.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    settings = Settings.model_validate({"paths": {"data_dir": str(data_dir)}, "classifier": {"gold_dir": str(gold)}})
    model_dir = data_dir / "models" / routed.version
    assert not is_exported(model_dir)
    result = export_from_settings(settings, quantize=False)
    assert list(result.members) == ["main", "ja"]  # type: ignore[union-attr]
    assert result.members["ja"].n_checked == len(JA)  # type: ignore[union-attr]  # checked on its own language
    assert result.members["main"].n_checked == len(examples) - len(JA)  # type: ignore[union-attr]
    assert "ja: " in result.summary() and is_exported(model_dir)
    # the whole is checked too: every language's gold sentences, routed (and blended) as in use
    assert (result.agreement, result.n_checked) == (1.0, len(examples))  # type: ignore[union-attr]
    assert f"agrees with torch on 100.0% of {len(examples)} gold sentences" in result.summary().splitlines()[-1]
    whole = json.loads((model_dir / "onnx.json").read_text(encoding="utf-8"))
    assert whole == {"agreement": 1.0, "n_checked": len(examples)}
    assert export_variant(model_dir) == "main: fp32; ja: fp32"
    onnx = load_model(model_dir)
    assert onnx.runtime == "onnx"
    texts = [ex.text for ex in examples]
    langs = [ex.lang for ex in examples]
    torch_tags = load_model(model_dir, runtime="torch").predict(texts, langs=langs)
    assert [t.sentiment for t in onnx.predict(texts, langs=langs)] == [t.sentiment for t in torch_tags]


def test_the_whole_check_takes_distinct_gold_of_every_language_up_to_its_cap(routed, examples, tmp_path: Path) -> None:
    """No gold: exported unchecked, recorded as such. Repeated gold texts count once (their first language); more
    gold than the cap: the first ``WHOLE_CHECK`` in text-hash order."""
    import shutil

    from models.data import text_key
    from models.export import WHOLE_CHECK, export_from_settings, gold_sentences

    model_dir = tmp_path / "data" / "models" / routed.version
    shutil.copytree(routed.model_dir, model_dir)
    gold = tmp_path / "gold"
    gold.mkdir()
    settings = Settings.model_validate(
        {"paths": {"data_dir": str(tmp_path / "data")}, "classifier": {"gold_dir": str(gold)}}
    )
    result = export_from_settings(settings, quantize=False)
    assert (result.agreement, result.n_checked) == (None, 0)  # type: ignore[union-attr]
    assert "as a whole" not in result.summary()
    assert json.loads((model_dir / "onnx.json").read_text(encoding="utf-8")) == {"agreement": None, "n_checked": 0}

    fields = {"text", "lang", "service", "sentiment", "sharp_edge"}
    rows = [ex.model_dump(mode="json", include=fields) for ex in examples]
    rows.append({**rows[-1], "lang": "en"})  # a Japanese sentence repeated under another language
    rows += [{"text": f"Ticket {i} was answered.", "lang": "en", "service": ["support"], "sentiment": "neutral",
              "sharp_edge": "none"} for i in range(WHOLE_CHECK)]  # fmt: skip
    (gold / "all.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    sentences = gold_sentences(gold, settings.paths.taxonomy)
    assert len(sentences) == len(examples) + WHOLE_CHECK and dict(sentences)[rows[-WHOLE_CHECK - 1]["text"]] == "ja"
    assert [t for t, _ in sentences] == sorted({r["text"] for r in rows}, key=text_key)
    result = export_from_settings(settings, quantize=False)
    assert (result.agreement, result.n_checked) == (1.0, WHOLE_CHECK)  # type: ignore[union-attr]


def test_the_whole_check_sees_a_member_whose_onnx_file_reads_differently(routed, examples, tmp_path: Path) -> None:
    """A member that no longer matches torch is caught on its own language's sentences and no others."""
    import shutil

    from models.export import agreement, export_onnx

    model_dir = tmp_path / routed.version
    shutil.copytree(routed.model_dir, model_dir)
    members = member_dirs(model_dir)
    for member in members.values():
        export_onnx(member, quantize=False)
    texts, langs = [ex.text for ex in examples], [ex.lang for ex in examples]
    assert agreement(model_dir, texts, langs=langs) == 1.0
    shutil.copy(members["main"] / "model.onnx", members["ja"] / "model.onnx")  # the ja member now runs main's weights
    english = [i for i, lang in enumerate(langs) if lang != "ja"]
    assert agreement(model_dir, [texts[i] for i in english], langs=[langs[i] for i in english]) == 1.0
    assert agreement(model_dir, texts, langs=langs) < 1.0


def test_a_route_without_examples_leaves_one_plain_model(examples, tiny_settings, taxonomy, base_cache, tmp_path):
    settings = tiny_settings(epochs=2, routes=[LanguageRoute(languages=["id"], base_model="tiny-random")])
    result = train_routed(examples, settings=settings, taxonomy=taxonomy, out_root=tmp_path, base_cache=base_cache)
    assert not is_routed(result.model_dir) and result.model_dir.parent == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [result.version]


def test_no_examples_for_the_main_model_is_a_user_error(examples, tiny_settings, taxonomy, base_cache, tmp_path):
    from pipeline.errors import UserError

    settings = tiny_settings(routes=[LanguageRoute(languages=["en", "ja"], base_model="tiny-random")])
    with pytest.raises(UserError, match="no labelled examples for the main model"):
        train_routed(examples, settings=settings, taxonomy=taxonomy, out_root=tmp_path, base_cache=base_cache)
    assert list(tmp_path.iterdir()) == []  # no half-trained directory left behind


def test_tag_and_evaluate_pass_languages_to_a_routed_model(routed, tmp_path: Path) -> None:
    import shutil

    from models.evaluate import ClassifierSystem
    from models.tagging import tag_file

    data_dir = tmp_path / "data"
    shutil.copytree(routed.model_dir, data_dir / "models" / routed.version)
    settings = Settings.model_validate({"paths": {"data_dir": str(data_dir)}, "classifier": {"runtime": "torch"}})
    src = tmp_path / "in.jsonl"
    rows = [{"text": "サポートの返信が早い"}, {"text": "サポートの返信が早い", "lang": "en"}]  # the field wins
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert tag_file(settings, src, tmp_path / "out.jsonl") == 2
    got = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    members = member_dirs(routed.model_dir)
    expected = [
        Classifier.load(members[role], runtime="torch").predict([rows[0]["text"]])[0].scores for role in ("ja", "main")
    ]
    assert [r["scores"] for r in got] == expected and got[0]["model_version"] == routed.version

    model = load_model(routed.model_dir, runtime="torch")
    output = ClassifierSystem(model).run([rows[0]["text"]] * 2, ["ja", "en"])
    np.testing.assert_allclose(
        output.sentiment_proba, model.predict_proba([rows[0]["text"]] * 2, langs=["ja", "en"]).sentiment
    )


def test_the_main_model_can_learn_from_every_language(examples) -> None:
    route = LanguageRoute(languages=["ja"], base_model="tiny-random")
    (_, main), (_, ja) = partition(examples, [route], main_learns_routed=True)
    assert main == examples and {ex.lang for ex in ja} == {"ja"}


def test_no_texts_give_no_rows_and_duplicates_the_same_rows(routed) -> None:
    model = load_model(routed.model_dir, runtime="torch")
    assert model.predict([]) == [] and model.predict_proba([], langs=[]).sentiment.shape == (0, 3)
    texts = ["サポートの返信が早い", "Support answered my ticket fast.", "サポートの返信が早い"]
    probs = model.predict_proba(texts).sentiment
    assert len(model.predict(texts)) == 3
    np.testing.assert_array_equal(probs[0], probs[2])  # a repeated sentence gets the same row, in place


def test_training_fits_a_blend_per_routed_language(examples, tiny_settings, taxonomy, base_cache, tmp_path) -> None:
    from models.blending import WEIGHTS, load_blends

    route = LanguageRoute(languages=["ja"], base_model="tiny-random", epochs=3)
    settings = tiny_settings(routes=[route], main_learns_routed=True)  # blends sentiment and sharp edges
    result = train_routed(
        examples, settings=settings, taxonomy=taxonomy, out_root=tmp_path, dev=examples, base_cache=base_cache
    )
    blends = load_blends(result.model_dir)
    assert list(blends) == ["ja"] and blends["ja"].n_dev == len(JA)
    weights = blends["ja"].weights
    assert weights["service"] == 1.0 and {weights["sentiment"], weights["sharp_edge"]} <= set(WEIGHTS)
    assert json.loads((result.model_dir / "meta.json").read_text(encoding="utf-8"))["blend"] == {"ja": weights}
    assert "## Blending" in (result.model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    unblended = train_routed(
        examples, settings=settings.model_copy(update={"blend_heads": []}), taxonomy=taxonomy, out_root=tmp_path,
        dev=examples, base_cache=base_cache,
    )  # fmt: skip
    assert load_blends(unblended.model_dir) == {} and unblended.version != result.version


def test_the_dev_pass_reuses_the_members_dev_logits_and_decides_as_reading_again(
    examples, tiny_settings, taxonomy, base_cache, tmp_path
) -> None:
    from models.blending import load_blends
    from models.routed_training import _train_members, dev_pass

    route = LanguageRoute(languages=["ja"], base_model="tiny-random", epochs=3)
    settings = tiny_settings(routes=[route], main_learns_routed=True)
    work = tmp_path / "work"
    members = _train_members(
        examples, examples, settings=settings, taxonomy=taxonomy, work=work, base_cache=base_cache,
        resolved_settings=None, progress=None,
    )  # fmt: skip
    known = {r.model_dir.name: r.dev_logits for _, r in members}
    assert all(k is not None and len(k.rows) > 0 for k in known.values())
    main, ja = (r.model_dir.name for _, r in members)
    meta = {"version": "v", "main": main, "routes": {"ja": ja}, "languages": ["en", "ja"]}
    (work / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    reused = dev_pass(work, examples, heads=settings.blend_heads, known=known)
    again = dev_pass(work, examples, heads=settings.blend_heads)
    assert reused[0]["ja"].weights == again[0]["ja"].weights
    assert reused[0]["ja"].calibration.service_thresholds == again[0]["ja"].calibration.service_thresholds
    assert reused[1].keys() == again[1].keys()
    for key, value in again[1].items():
        assert reused[1][key] == pytest.approx(value, abs=1e-9), key
    assert load_blends(work) == {}  # the dev pass only returns what it fitted


def test_a_blended_language_is_read_by_its_member_and_the_main_one(routed, tmp_path: Path) -> None:
    import shutil
    from dataclasses import replace

    from models.blending import Blend, blend, save_blends
    from models.label_shift import PriorAdaptation
    from models.predict import decide

    model_dir = tmp_path / routed.version
    shutil.copytree(routed.model_dir, model_dir)
    members = member_dirs(model_dir)
    main = Classifier.load(members["main"], runtime="torch")
    ja = Classifier.load(members["ja"], runtime="torch")
    plan = Blend(
        {"service": 1.0, "sentiment": 0.5, "sharp_edge": 0.3},
        replace(ja.calibration, sharp_edge_threshold=0.2, sentiment_priors={"ja": (0.5, 0.25, 0.25)}),
    )
    save_blends(model_dir, {"JA": plan})
    model = load_model(model_dir, runtime="torch")
    assert isinstance(model, RoutedClassifier) and list(model.blends) == ["ja"]
    texts = ["サポートの返信が早い", "Support answered my ticket fast.", "二重に請求された", "解約できない"]
    langs = ["ja", "en", "ja", "ja"]
    got = model.decisions(texts, langs=langs)
    jp = [0, 2, 3]
    jp_texts = [texts[i] for i in jp]
    expected = blend(ja.predict_proba(jp_texts, langs=["ja"] * 3), main.predict_proba(jp_texts, langs=["ja"] * 3),
                     plan.weights)  # fmt: skip
    for head in ("service", "sentiment", "sharp_edge"):
        np.testing.assert_allclose(getattr(got.probs, head)[jp], getattr(expected, head), rtol=1e-5, atol=1e-6)
    service, sentiment, sharp_edge = decide(expected, labels=model.labels, calibration=plan.calibration)
    assert (got.service[jp] == service).all() and (got.sentiment[jp] == sentiment).all()
    assert (got.sharp_edge[jp] == sharp_edge).all()
    np.testing.assert_allclose(got.probs.sentiment[1], main.predict_proba(texts[1:2]).sentiment[0], rtol=1e-5)
    # adapting priors starts from the blend's own training priors
    adapted = model.decisions(jp_texts, langs=["ja"] * 3, adapt=PriorAdaptation(min_rows=2)).probs.sentiment
    assert not np.allclose(adapted, expected.sentiment, atol=1e-4)
    np.testing.assert_allclose(adapted.sum(axis=1), 1.0, rtol=1e-5)
    # empty, repeated and huge input through the blended path: no rows, the same rows, a row
    assert len(model.decisions([], langs=[])) == 0
    twice = model.decisions([texts[0], "解約できない" * 2_000, texts[0]], langs=["ja"] * 3).probs.sentiment
    np.testing.assert_array_equal(twice[0], twice[2])
    assert np.isfinite(twice).all()
