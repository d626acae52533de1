"""Survey APIs: Delighted survey responses and HubSpot feedback submissions, paged, token from the environment.

The token is read from the environment variable named in the config and only ever sent in a request header;
it never appears in logs, errors or stored payloads.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pipeline.errors import UserError
from pipeline.records import Feedback, Reject
from scrapers.config import NpsApiSettings
from scrapers.importers.formats import PROPERTIES
from scrapers.importers.rows import RowError, parse_datetime, to_feedback

log = logging.getLogger(__name__)

DELIGHTED_URL = "https://api.delighted.com"
HUBSPOT_URL = "https://api.hubapi.com"
DELIGHTED_PAGE = 100  # the API's maximum per_page
HUBSPOT_PAGE = 100  # the CRM objects API's maximum limit
HUBSPOT_PROPERTIES = [
    "hs_value",
    "hs_content",
    "hs_survey_type",
    "hs_submission_timestamp",
    "hs_response_group",
    "plan",
    "account_id",
    "language",
    "region",
]
MAX_RETRIES = 3
MAX_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class ApiRead:
    """What one API returned: accepted records, rejected responses, pages fetched."""

    source: str
    location: str
    records: list[Feedback]
    rejects: list[Reject]
    pages: int

    @property
    def read(self) -> int:
        return len(self.records) + len(self.rejects)


def api_token(api: NpsApiSettings) -> str:
    token = os.environ.get(api.token_env, "").strip()
    if not token:
        raise UserError(
            f"{api.provider} API: environment variable {api.token_env} is not set; export it with the API token"
        )
    return token


def read_nps_api(api: NpsApiSettings, *, timeout: float = 30.0) -> ApiRead:
    """Read every response of one configured survey API."""
    if api.provider == "delighted":
        return read_delighted_api(api, timeout=timeout)
    return read_hubspot_api(api, timeout=timeout)


def read_delighted_api(api: NpsApiSettings, *, per_page: int = DELIGHTED_PAGE, timeout: float = 30.0) -> ApiRead:
    """``GET /v1/survey_responses.json`` with ``per_page``/``page`` (and ``since``), until a short page."""
    token = api_token(api)
    base = (api.base_url or DELIGHTED_URL).rstrip("/")
    auth = "Basic " + base64.b64encode(f"{token}:".encode()).decode()
    params: dict[str, Any] = {"per_page": per_page, "expand[]": "person"}
    if api.since:
        params["since"] = int(datetime.combine(api.since, datetime.min.time(), UTC).timestamp())
    records: list[Feedback] = []
    rejects: list[Reject] = []
    page = 0
    while True:
        page += 1
        url = f"{base}/v1/survey_responses.json?" + urllib.parse.urlencode({**params, "page": page})
        batch = _get_json(url, {"Authorization": auth}, provider="delighted", token_env=api.token_env, timeout=timeout)
        if not isinstance(batch, list):
            raise UserError(f"delighted API: unexpected response from {url} (expected a list)")
        for item in batch:
            _add(
                _delighted_fields(item),
                item,
                records,
                rejects,
                api=api,
                source="nps-delighted",
                location=f"delighted API page {page}",
            )
        if len(batch) < per_page:
            break
    log.info("delighted API: %d pages, %d responses", page, len(records) + len(rejects))
    return ApiRead("nps-delighted", f"{base}/v1/survey_responses.json", records, rejects, page)


def read_hubspot_api(api: NpsApiSettings, *, limit: int = HUBSPOT_PAGE, timeout: float = 30.0) -> ApiRead:
    """``GET /crm/v3/objects/feedback_submissions`` following ``paging.next.after``; NPS submissions only."""
    token = api_token(api)
    base = (api.base_url or HUBSPOT_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    records: list[Feedback] = []
    rejects: list[Reject] = []
    after: str | None = None
    page = 0
    while True:
        page += 1
        params = {"limit": limit, "properties": ",".join(HUBSPOT_PROPERTIES), "archived": "false"}
        if after:
            params["after"] = after
        url = f"{base}/crm/v3/objects/feedback_submissions?" + urllib.parse.urlencode(params)
        body = _get_json(url, headers, provider="hubspot", token_env=api.token_env, timeout=timeout)
        for item in body.get("results", []):
            fields = _hubspot_fields(item)
            if api.since and _before(fields["created_at"], api.since):
                continue
            _add(fields, item, records, rejects, api=api, source="nps-hubspot", location=f"hubspot API page {page}")
        after = ((body.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            break
    log.info("hubspot API: %d pages, %d submissions", page, len(records) + len(rejects))
    return ApiRead("nps-hubspot", f"{base}/crm/v3/objects/feedback_submissions", records, rejects, page)


def _delighted_fields(item: Mapping[str, Any]) -> dict[str, str]:
    person = item.get("person") if isinstance(item.get("person"), dict) else {}
    return {
        "id": str(item.get("id") or ""),
        "score": "" if item.get("score") is None else str(item["score"]),
        "comment": item.get("comment") or "",
        "created_at": str(item.get("created_at") or ""),
        "email": (person or {}).get("email") or "",
        "survey_type": item.get("survey_type") or "",
        **_properties(item.get("person_properties") or {}),
    }


def _hubspot_fields(item: Mapping[str, Any]) -> dict[str, str]:
    props = item.get("properties") or {}
    return {
        "id": str(item.get("id") or props.get("hs_object_id") or ""),
        "score": props.get("hs_value") or "",
        "comment": props.get("hs_content") or "",
        "created_at": props.get("hs_submission_timestamp") or item.get("createdAt") or "",
        "survey_type": props.get("hs_survey_type") or "",
        **_properties(props),
    }


def _before(created_at: str, since: date) -> bool:
    try:
        return parse_datetime(created_at).date() < since
    except RowError:
        return False  # kept, and rejected with its reason


def _properties(props: Mapping[str, Any]) -> dict[str, str]:
    """plan / account id / language / region from custom properties, by the usual names."""
    by_name = {str(k).casefold(): v for k, v in props.items() if v not in (None, "")}
    out = {}
    for key, aliases in PROPERTIES.items():
        value = next((by_name[a] for a in aliases if a in by_name), None)
        if value is not None:
            out[key] = str(value)
    return out


def _add(
    fields: dict[str, str],
    item: Mapping[str, Any],
    records: list[Feedback],
    rejects: list[Reject],
    *,
    api: NpsApiSettings,
    source: str,
    location: str,
) -> None:
    payload = json.loads(json.dumps(item, default=str))
    if isinstance(payload.get("person"), dict) and payload["person"].get("email"):
        payload["person"]["email"] = None  # the address is kept only as the author hash
    result = to_feedback(
        fields,
        source=source,
        product=api.product,
        raw={"response": payload},
        location=f"{location}, id {fields['id'] or '?'}",
    )
    (records if isinstance(result, Feedback) else rejects).append(result)  # type: ignore[arg-type]


def _get_json(url: str, headers: dict[str, str], *, provider: str, token_env: str, timeout: float) -> Any:
    """GET with retries on 429/5xx (honouring Retry-After); auth failures name the variable, not the token."""
    request = urllib.request.Request(url, headers={**headers, "Accept": "application/json"})
    for attempt in range(MAX_RETRIES + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise UserError(f"{provider} API: the token in {token_env} was refused (HTTP {exc.code})") from None
            if exc.code in (429, 500, 502, 503, 504) and attempt < MAX_RETRIES:
                wait = _retry_after(exc.headers.get("Retry-After"), attempt)
                log.warning("%s API: HTTP %d, retrying in %.1fs", provider, exc.code, wait)
                time.sleep(wait)
                continue
            raise UserError(f"{provider} API: HTTP {exc.code} from {url.split('?')[0]}") from None
        except urllib.error.URLError as exc:
            raise UserError(f"{provider} API: cannot reach {url.split('?')[0]} ({exc.reason})") from None
        except json.JSONDecodeError:
            raise UserError(f"{provider} API: {url.split('?')[0]} did not return JSON") from None
    raise AssertionError("unreachable")


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        return min(max(float(header), 0.0), MAX_RETRY_AFTER_S) if header else min(2.0**attempt, MAX_RETRY_AFTER_S)
    except ValueError:
        return min(2.0**attempt, MAX_RETRY_AFTER_S)
