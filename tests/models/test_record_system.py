"""RecordSystem: whole reviews labelled sentence by sentence and aggregated as the pipeline does."""

from __future__ import annotations

from models.baselines import RulesBaseline
from models.record_system import RecordSystem
from pipeline.taxonomy import Taxonomy


def test_records_are_split_tagged_and_aggregated(taxonomy: Taxonomy) -> None:
    rules = RulesBaseline(taxonomy)
    texts = [
        "The rooms were spotless. The support agent was rude and useless.",
        "Great app. I love it. Terrible sync.",
        "Kamarnya bersih. Pelayanan resepsionis sangat ramah.",
        "",
    ]
    langs = ["en", "en", "id", "en"]
    records = RecordSystem(rules)
    assert records.name == "rules_by_sentence"
    out = records.run(texts, langs)
    sentences = ["The rooms were spotless.", "The support agent was rude and useless.", "Great app.", "I love it.",
                 "Terrible sync.", "Kamarnya bersih.", "Pelayanan resepsionis sangat ramah."]  # fmt: skip
    each = rules.run(sentences, ["en"] * 5 + ["id"] * 2)
    assert out.service[0] == tuple(sorted(set(each.service[0]) | set(each.service[1])))
    assert out.service[0] == ("support",)  # the second sentence decides, the first mentions no service
    polar = [s for s in each.sentiment[2:5] if s != "neutral"]
    expected = "neutral" if not polar else max(("positive", "negative"), key=polar.count)
    if polar.count("positive") == polar.count("negative") and polar:
        expected = "negative"
    assert out.sentiment[1] == expected
    assert out.service[3] == () and out.sentiment[3] == "neutral" and out.sharp_edge[3] == "none"
    assert len(out) == len(texts)


def test_duplicate_huge_and_blank_records_keep_one_output_each(taxonomy: Taxonomy) -> None:
    rules = RulesBaseline(taxonomy)
    complaint = "The support agent never replied to my ticket."
    huge = " ".join(["The app is fine."] * 6_000 + [complaint])  # ~100k characters, the complaint at the very end
    texts = [complaint, complaint, huge, "   \n\t ", "\x00\x01\x02"]
    out = RecordSystem(rules).run(texts, ["en"] * len(texts))
    assert len(out) == len(texts) and out.service_proba is None  # the rules system has no probabilities
    assert out.service[0] == out.service[1] == ("support",) and out.sentiment[0] == out.sentiment[1]
    assert out.service[2] == ("support",)  # nothing past the first sentences is lost to truncation
    assert out.service[3:] == ((), ()) and out.sentiment[3:] == ("neutral", "neutral")
