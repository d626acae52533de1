"""Declared schema of every stored table, versioned. One DDL per table; migrations keyed by version."""

from __future__ import annotations

SCHEMA_VERSION = 2

TABLES: dict[str, str] = {
    "meta": """
        CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
    "feedback": """
        CREATE TABLE IF NOT EXISTS feedback (
            source VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            product VARCHAR NOT NULL,
            url VARCHAR,
            author_hash VARCHAR,
            rating DOUBLE,
            nps_score INTEGER,
            title VARCHAR,
            body VARCHAR,
            pros VARCHAR,
            cons VARCHAR,
            language VARCHAR,
            created_at TIMESTAMPTZ NOT NULL,
            plan_tier VARCHAR,
            region VARCHAR,
            account_id VARCHAR,
            reviewer_role VARCHAR,
            company_size VARCHAR,
            raw VARCHAR NOT NULL,
            text_hash VARCHAR NOT NULL,
            record_hash VARCHAR NOT NULL,
            first_seen TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (source, external_id))""",
    "rejects": """
        CREATE TABLE IF NOT EXISTS rejects (
            reject_id VARCHAR PRIMARY KEY,
            stage VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            external_id VARCHAR,
            reason VARCHAR NOT NULL,
            location VARCHAR,
            raw VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL)""",
    "sentences": """
        CREATE TABLE IF NOT EXISTS sentences (
            source VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            idx INTEGER NOT NULL,
            section VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            text_redacted VARCHAR NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            language VARCHAR,
            feedback_hash VARCHAR NOT NULL,
            PRIMARY KEY (source, external_id, idx))""",
    "segmented": """
        CREATE TABLE IF NOT EXISTS segmented (
            source VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            feedback_hash VARCHAR NOT NULL,
            language VARCHAR,
            status VARCHAR NOT NULL,
            n_sentences INTEGER NOT NULL,
            PRIMARY KEY (source, external_id))""",
    "predictions": """
        CREATE TABLE IF NOT EXISTS predictions (
            source VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            idx INTEGER NOT NULL,
            model_version VARCHAR NOT NULL,
            service VARCHAR[] NOT NULL,
            sentiment VARCHAR NOT NULL,
            sharp_edge VARCHAR,
            sentiment_score DOUBLE,
            sharp_edge_score DOUBLE,
            scores VARCHAR NOT NULL,
            rule_hits VARCHAR[],
            PRIMARY KEY (source, external_id, idx, model_version))""",
    "feedback_tags": """
        CREATE TABLE IF NOT EXISTS feedback_tags (
            source VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            model_version VARCHAR NOT NULL,
            feedback_hash VARCHAR NOT NULL,
            language VARCHAR,
            n_sentences INTEGER NOT NULL,
            has_service BOOLEAN NOT NULL,
            service_kinds VARCHAR[] NOT NULL,
            service_sentiment VARCHAR,
            sharp_edges VARCHAR[] NOT NULL,
            overall_sentiment VARCHAR NOT NULL,
            PRIMARY KEY (source, external_id, model_version))""",
    "runs": """
        CREATE TABLE IF NOT EXISTS runs (
            run_id VARCHAR PRIMARY KEY,
            command VARCHAR NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status VARCHAR NOT NULL,
            settings VARCHAR NOT NULL,
            stats VARCHAR)""",
}

# version -> statements that bring a store from (version - 1) to version.
MIGRATIONS: dict[int, list[str]] = {
    # 2: `segmented` records which text version of each feedback record was split (also records with no
    # sentences: score-only NPS rows, all-garbage texts), so processing never redoes them.
    2: [TABLES["segmented"]],
}

FEEDBACK_COLUMNS = [
    "source", "external_id", "kind", "product", "url", "author_hash", "rating", "nps_score", "title", "body",
    "pros", "cons", "language", "created_at", "plan_tier", "region", "account_id", "reviewer_role",
    "company_size", "raw",
]  # fmt: skip
