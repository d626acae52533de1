"""The bundled sample data is what its seeded generator writes, byte for byte, and has the promised shape."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_generator_reproduces_the_bundled_files(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    for name in ("reviews.jsonl", "nps/orbitask_nps_delighted.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_reviews_have_the_promised_mix_and_oddities() -> None:
    lines = [json.loads(line) for line in (SAMPLE / "reviews.jsonl").read_text(encoding="utf-8").splitlines()]
    unique = {(r["source"], r["id"]): r for r in lines}
    assert len(lines) - len(unique) == 3  # three exact duplicates for the spiders to store once
    mix = Counter((r["source"], r["lang"]) for r in unique.values())
    assert mix == {
        ("trustpilot", "en"): 140, ("appstore", "en"): 60, ("appstore", "ja"): 70, ("g2", "en"): 70,
        ("googleplay", "id"): 80, ("itreview", "ja"): 30,
    }  # fmt: skip
    bodies = [r["body"] for r in unique.values()]
    assert sum("<script>alert(1)</script>" in b for b in bodies) == 1
    assert sum("@example.com" in b and "555" in b for b in bodies) == 1
    assert max(len(b) for b in bodies) >= 3000
    assert all(r["pros"] and r["cons"] for r in unique.values() if r["source"] in ("g2", "itreview"))
    assert all("2025-07-01" <= r["date"][:10] <= "2026-10-31" and 1 <= r["rating"] <= 5 for r in unique.values())
