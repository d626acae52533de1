"""Generate Orbitask's bundled sample data: ``reviews.jsonl`` and a Delighted-layout NPS export.

Run ``python data/sample/generate.py [--out DIR]``; the output is seeded and reproduces byte for byte. Every
sentence comes from the hand-written pools in ``phrases_{en,ja,id}.py``; ``story.py`` decides which themes a
record carries.

Outputs
- ``reviews.jsonl``: 453 lines (450 reviews + 3 exact duplicates) for the fictional work-management SaaS
  "Orbitask", 2025-07-01 … 2026-10-31: trustpilot en 140 (us 80, gb 60), appstore en/us 60 + ja/jp 70, g2 en 70
  (pros/cons, reviewer_role, company_size, half stars), googleplay id 80 (no titles, as on Google Play),
  itreview ja 30 (pros/cons). Grouped by channel (source, country), newest first. Planted oddities:
  one duplicate each in trustpilot/us, appstore/us and googleplay/id (the same review 20 lines further down,
  i.e. on the next 20-review page); a ``<script>alert(1)</script>`` in one trustpilot body; one trustpilot body with
  an e-mail address and a phone number (example.com, 555 number); one trustpilot review of ~3,000 characters;
  emoji on ~20% of app-store and Google Play reviews.
- ``nps/orbitask_nps_delighted.csv``: 650 responses in Delighted's CSV export layout (Response ID, Person ID,
  Email and Name left blank, Score, Comment, Response Timestamp with the respondent's UTC offset, Tags, Notes,
  Delighted Source, Delighted Device Type, then the person properties Plan, Account ID, Language, Region).
  Plan is Free / Team / Business / Enterprise (free vs paid); en/ja/id ≈ 55/25/20%; 15% have no comment.

Planted story (probability per record with text, reviews and NPS alike; review tiers are hidden but drawn:
trustpilot 45% paid, app stores 30%/25%, g2 80%, itreview 85%; NPS 55% paid)
1. Onboarding praise: 4% of records before 2026-03-01, 18% from then on (onboarding complaints 4% → 1.5%);
   paid accounts' latent satisfaction also rises by 0.35 (≈ +0.7 NPS points of score per respondent).
2. Annual-plan policy (auto-renewal, no pro-rata refunds), 2026-06-01 … 2026-08-31: 32% of paid and 6% of free
   records complain (contract_renewal and/or cancellation_refunds, all three languages); 0% in other months
   (plus a 1.5% / 1.2% background of generic cancellation / renewal complaints all year).
3. Free tier loses live chat from 2026-01-01: support_access complaints 1% → 18% of free records; negative
   support mentions 5% → 14%, positive support mentions 9% → 4% (paid: 14% positive throughout).
4. Advocates: support praise 14% and CSM / account-manager praise 9% of paid records (roles only, no names);
   each lifts the score, so most are promoters / 5-star; NPS rows carry the account id.
Background sharp edges all year: billing 2.5%, pricing_plan_changes 2%, usage_limits 2% paid / 5% free,
account_access 1.5%, data_export_lockin 1.2%.

Measured on the files this script writes (it prints the same figures):
- onboarding praise: 4.8% of 460 records with text before 2026-03-01, 17.9% of 535 from then on;
- annual-plan complaints 2026-06..08: paid 34.0% (n=94), free 5.4% (n=111); 0.0% in all other months;
- free tier: support_access 0.6% → 19.3%, negative support 5.6% → 12.8% (before / from 2026-01-01);
- NPS paid / free: 2025-07..2026-02 +11 / +1; 2026-03..05 +45 / −22; 2026-06..08 +23 / −33; 2026-09..10 +33 / −21;
  mean stars 3.50, 3.44, 3.06 (spike), 3.48;
- advocates: 64 of 88 NPS rows praising support/CSM are promoters; 36 five-star reviews praise support/CSM.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import phrases_en
import phrases_id
import phrases_ja
from compose import Writer
from stats import summarize
from story import Profile, draw_day, draw_profile

SEED = 20260301
HERE = Path(__file__).resolve().parent
TZ = {
    "us": timezone(timedelta(hours=-5)),
    "gb": UTC,
    "jp": timezone(timedelta(hours=9)),
    "id": timezone(timedelta(hours=7)),
}
G2_ROLES = [
    "Project Manager",
    "Operations Lead",
    "Marketing Manager",
    "Founder",
    "Engineering Manager",
    "Account Director",
    "Office Manager",
    "Product Owner",
    "Creative Director",
    "PMO Analyst",
]
G2_SIZES = ["Small-Business (50 or fewer emp.)", "Mid-Market (51-1000 emp.)", "Enterprise (> 1000 emp.)"]
EMOJI = {"pos": ["👍", "🙏", "🚀", "😍", "💯"], "neg": ["😡", "😤", "👎", "🙄"]}
LONG_POOLS = [
    "product_pos",
    "product_neg",
    "support_pos",
    "success_pos",
    "feature_request",
    "bug",
    "context",
    "price_pos",
    "not_service",
]


@dataclass(frozen=True)
class Channel:
    source: str
    lang: str
    country: str
    count: int
    paid_share: float  # hidden tier mix of the reviewers; drives the planted policy themes


CHANNELS = [
    Channel("trustpilot", "en", "us", 80, 0.45),
    Channel("trustpilot", "en", "gb", 60, 0.45),
    Channel("appstore", "en", "us", 60, 0.30),
    Channel("appstore", "ja", "jp", 70, 0.30),
    Channel("g2", "en", "us", 70, 0.80),
    Channel("googleplay", "id", "id", 80, 0.25),
    Channel("itreview", "ja", "jp", 30, 0.85),
]
DUPLICATED = {("trustpilot", "us"), ("appstore", "us"), ("googleplay", "id")}


def review_id(rng: random.Random, source: str) -> str:
    """Ids shaped like each site's: Trustpilot 24-hex, App Store 11 digits, Google Play UUID, G2/ITreview numbers."""
    if source == "trustpilot":
        return f"{rng.getrandbits(96):024x}"
    if source == "appstore":
        return str(rng.randrange(10_000_000_000, 12_000_000_000))
    if source == "googleplay":
        h = f"{rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
    if source == "g2":
        return str(rng.randrange(9_000_000, 11_000_000))
    return str(rng.randrange(100_000, 200_000))


def local_time(rng: random.Random, day: date, tz: timezone) -> datetime:
    return datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60), rng.randrange(60)), tz)


def review(rng: random.Random, writer: Writer, ch: Channel) -> tuple[dict[str, object], Profile]:
    day = draw_day(rng)
    profile = draw_profile(rng, day, "paid" if rng.random() < ch.paid_share else "free")
    sections = ch.source in ("g2", "itreview")
    sentences = writer.compose(profile, kind="sections" if sections else "review")
    rec: dict[str, object] = {
        "source": ch.source,
        "id": review_id(rng, ch.source),
        "date": local_time(rng, day, TZ[ch.country]).isoformat(),
        "rating": profile.stars,
        "title": None if ch.source == "googleplay" else writer.title(profile),
    }
    if sections:
        rec["body"], rec["pros"], rec["cons"] = writer.sections(sentences)
    else:
        body = writer.text(sentences)
        mood = "pos" if profile.stars >= 4 else "neg" if profile.stars <= 2 else None
        if ch.source in ("appstore", "googleplay") and mood and rng.random() < 0.2:
            body += writer.join + rng.choice(EMOJI[mood])
        rec["body"] = body
    rec |= {"lang": ch.lang, "author": writer.author(), "country": ch.country}
    if ch.source == "g2":
        rec["rating"] = profile.stars - (0.5 if profile.stars > 1 and rng.random() < 0.3 else 0.0)
        rec |= {"reviewer_role": rng.choice(G2_ROLES), "company_size": rng.choice(G2_SIZES)}
    return rec, profile


def plant_oddities(rng: random.Random, writer: Writer, recs: list[dict[str, object]]) -> None:
    """The XSS, PII and very-long reviews (trustpilot/us), written over three ordinary records."""
    recs[5]["body"] = (
        "I tried pasting <script>alert(1)</script> into a task name to test it, and Orbitask showed it as plain "
        f"text. {recs[5]['body']}"
    )
    recs[12] |= {
        "rating": 1,
        "title": "Double charged, still waiting",
        "body": f"{writer.sentence('billing', set())} If anyone from Orbitask reads this, email me at "
        "jordan.w@example.com or call +1 415 555 0134 and I'll send the invoices. "
        f"{writer.sentence('closer_neg', set())}",
    }
    recs[20] |= {
        "rating": 4,
        "title": "A long, honest review after a year",
        "body": writer.long_text(LONG_POOLS, target_chars=3000),
    }


def generate_reviews(rng: random.Random, writers: dict[str, Writer]) -> tuple[list[dict[str, object]], list]:
    lines: list[dict[str, object]] = []
    seen: list[tuple[dict[str, object], Profile]] = []
    for ch in CHANNELS:
        pairs = [review(rng, writers[ch.lang], ch) for _ in range(ch.count)]
        if (ch.source, ch.country) == ("trustpilot", "us"):
            plant_oddities(rng, writers[ch.lang], [r for r, _ in pairs])
        pairs.sort(key=lambda p: str(p[0]["date"]), reverse=True)
        recs = [r for r, _ in pairs]
        if (ch.source, ch.country) in DUPLICATED:
            recs.insert(30, dict(recs[10]))
        lines += recs
        seen += pairs
    ids = [(r["source"], r["id"]) for r, _ in seen]
    assert len(ids) == len(set(ids)), "review ids must be unique within a source"
    return lines, seen


REGIONS = {"en": [("North America", -5), ("Europe", 1)], "ja": [("Japan", 9)], "id": [("Indonesia", 7)]}
PAID_PLANS = (["Team", "Business", "Enterprise"], [0.55, 0.33, 0.12])
NPS_COLUMNS = [
    "Response ID",
    "Person ID",
    "Email",
    "Name",
    "Score",
    "Comment",
    "Response Timestamp",
    "Tags",
    "Notes",
    "Delighted Source",
    "Delighted Device Type",
    "Plan",
    "Account ID",
    "Language",
    "Region",
]


def generate_nps(rng: random.Random, writers: dict[str, Writer], *, n: int = 650) -> tuple[list[list[str]], list]:
    accounts = {
        (lang, tier): [f"ACC-{rng.randrange(10_000, 99_999)}" for _ in range(size)]
        for lang, share in (("en", 0.55), ("ja", 0.25), ("id", 0.20))
        for tier, size in (("paid", int(70 * share * 2)), ("free", int(300 * share * 2)))
    }
    drafts = []
    for _ in range(n):
        lang = rng.choices(["en", "ja", "id"], weights=[55, 25, 20])[0]
        region, offset = rng.choice(REGIONS[lang])
        tier = "paid" if rng.random() < 0.55 else "free"
        has_comment = rng.random() >= 0.15
        profile = draw_profile(rng, draw_day(rng), tier, with_text=has_comment)
        comment = writers[lang].text(writers[lang].compose(profile, kind="nps")) if has_comment else ""
        when = local_time(rng, profile.day, timezone(timedelta(hours=offset)))
        plan = rng.choices(*PAID_PLANS)[0] if tier == "paid" else "Free"
        row = {
            "Person ID": str(rng.randrange(300_000_000, 399_999_999)),
            "Score": str(profile.nps_score),
            "Comment": comment,
            "Response Timestamp": when.strftime("%Y-%m-%d %H:%M:%S %z"),
            "Delighted Source": rng.choices(["Email", "Web"], weights=[7, 3])[0],
            "Delighted Device Type": rng.choices(["Desktop", "Mobile", "Tablet"], weights=[6, 3, 1])[0],
            "Plan": plan,
            "Account ID": rng.choice(accounts[(lang, tier)]),
            "Language": lang,
            "Region": region,
        }
        drafts.append((when.astimezone(UTC), row, profile, lang))
    drafts.sort(key=lambda d: d[0])
    response_id = 187_000_000
    for _, row, _, _ in drafts:  # Delighted's response ids grow with time
        response_id += rng.randrange(900, 40_000)
        row["Response ID"] = str(response_id)
    rows = [[row.get(col, "") for col in NPS_COLUMNS] for _, row, _, _ in reversed(drafts)]  # newest first
    return rows, [(row, profile, lang) for _, row, profile, lang in drafts]


def main(out_dir: Path = HERE) -> None:
    rng = random.Random(SEED)
    writers = {lang: Writer(mod, rng) for lang, mod in (("en", phrases_en), ("ja", phrases_ja), ("id", phrases_id))}
    reviews, review_profiles = generate_reviews(rng, writers)
    nps_rows, nps_profiles = generate_nps(rng, writers)

    (out_dir / "nps").mkdir(parents=True, exist_ok=True)
    with (out_dir / "reviews.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for rec in reviews:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with (out_dir / "nps" / "orbitask_nps_delighted.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(NPS_COLUMNS)
        writer.writerows(nps_rows)
    print(summarize(reviews, review_profiles, nps_profiles))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Write Orbitask's sample reviews and NPS export.")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: beside this script)")
    main(parser.parse_args().out)
