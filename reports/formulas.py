"""The formula behind each figure, as shown in the report's collapsible notes (plain text, Unicode maths)."""

from __future__ import annotations

ASSOCIATION = (
    "These figures describe associations in the feedback, not causal effects: customers who mention a theme may "
    "differ in other ways from those who do not."
)
INTERVALS = (
    "Intervals: 95% percentile bootstrap over records (resampling whole records, seeded, B resamples), widened to "
    "include the point estimate when a tiny sample makes the percentile interval miss it."
)

FORMULAS: dict[str, str] = {
    "mentions": "mention rate(theme, period) = records with ≥1 sentence tagged with the theme ÷ records with text\n"
    "A record mentions service when any of its sentences is tagged support, success or onboarding.",
    "themes": "theme = service kind × polarity, e.g. support · complaint = the record has a negative sentence tagged "
    "support.\nrate = records with the theme ÷ records with text, per period.",
    "lift": "lift = rate(after) − rate(before), in percentage points; interval from independent bootstraps of the "
    "two periods.",
    "shares": "share of praise about service = positive service sentences ÷ all positive sentences\n"
    "share of complaints about service = negative service sentences ÷ all negative sentences\n"
    "net service sentiment per 100 records = 100 · (positive − negative service sentences) ÷ records",
    "nps": "Each response is coded +100 (promoter, 9–10), 0 (passive, 7–8) or −100 (detractor, 0–6).\n"
    "NPS = mean of the codes = % promoters − % detractors, in [−100, 100].",
    "stars": "mean stars = Σ rating ÷ reviews; 5-star share and 1–2-star share are shares of rated reviews.",
    "waterfall": "OLS with intercept of the coded score y on theme indicators x_j (1 if the record has the theme):\n"
    "y = b0 + Σ b_j·x_j + e.  Because OLS residuals with an intercept sum to zero,\n"
    "mean(y) = b0 + Σ b_j·p_j exactly, with p_j = share of records with theme j.\n"
    "Theme j carries b_j·p_j points; customer service carries Σ over the service themes.\n"
    "Themes present in all or none of the records get b_j = 0.",
    "contribution_trend": "Per period: the same regression fitted on that period's records; bars are b_j·p_j of the "
    "service themes, the line is their sum (customer service's points).",
    "change": "Between two periods A and B, for each theme: Δ(b·p) = b̄·Δp + p̄·Δb, with b̄, p̄ the averages of A and B.\n"
    "volume part = b̄_j·Δp_j (the theme became more or less common)\n"
    "rate part = p̄_j·Δb_j (its association with the score changed)\n"
    "score(B) − score(A) = Σ volume + Σ rate + (b0(B) − b0(A)) exactly.",
    "removal": "removal impact(theme) = score(all records) − score(records without the theme)\n"
    "= n_t·(score_t − score_all) ÷ (N − n_t)   (identity; n_t records have the theme, N in all)\n"
    "Positive: the theme lifts the score; negative: it drags it down.",
    "weights": "Relative weights (Johnson 2000): the predictors are replaced by their closest orthogonal "
    "counterparts Z = X·(XᵀX)^−½ (in correlation form, Λ = R_xx^½); y is regressed on Z (β = Λ⁻¹·r_xy) and\n"
    "ε_j = Σ_k Λ_jk²·β_k², which sums to R². Shown: ε_j ÷ R², each theme's share of the explained variance.\n"
    "A robustness check on the additive contributions: themes that matter should rank high in both.",
    "segments": "The same estimates computed within each segment value (plan tier, language, source, region, "
    "product). Segments below the minimum sample are flagged.",
    "segment_trend": "The estimate per segment value and period; the band is the 95% bootstrap interval.",
    "advocacy": "advocate candidate = a promoter (NPS 9–10, with an account id) or a 5-star reviewer whose own text "
    "has ≥1 positive sentence about support, success or onboarding.\n"
    "advocacy rate = candidates ÷ records, per period.",
    "candidates": "Newest first; the quote is the candidate's most confident praising service sentence, with personal "
    "data redacted. NPS respondents are identified only by account id; reviews by their public URL.",
    "edges": "records = records with ≥1 sentence in the category; negativity = share of those sentences that are "
    "negative;\nseverity = records × negativity. First seen = the earliest such record. Trend: mean of the last "
    "three periods vs the three before (±25%).",
    "edge_periods": "count = records with the category in the period. Baseline = median of the category's previous "
    "≤6 periods;\nrobust z = (count − baseline) ÷ max(1.4826·MAD, √max(baseline, 1)); a spike (circled) is z ≥ 3.5 "
    "with ≥3 records and ≥3 periods of history.",
    "edge_segments": "rate(segment) = records in the segment with the category ÷ records with text in the segment;\n"
    "ratio = rate(segment) ÷ rate(all). Ratios above 1 mark the segments most affected.",
    "edge_quotes": "Up to N quotes per category: most confident first, rotating across languages, skipping "
    "near-duplicates (character-trigram Jaccard ≥ 0.5). Personal data redacted.",
}
