"""NPS importers: survey exports (CSV/TSV/XLSX of Delighted, SurveyMonkey, Qualtrics, Typeform, HubSpot and
vocmine's own layout, any common encoding) and the Delighted / HubSpot APIs, validated into ``Feedback``.

``import_nps(settings, files=..., product=...)`` is what the ``vocmine import`` command calls.
"""

from scrapers.importers.api import ApiRead, read_delighted_api, read_hubspot_api, read_nps_api
from scrapers.importers.files import FileRead, read_nps_file
from scrapers.importers.formats import FORMATS, Layout, resolve_layout
from scrapers.importers.run import FileCounts, ImportResult, import_nps

__all__ = [
    "FORMATS",
    "ApiRead",
    "FileCounts",
    "FileRead",
    "ImportResult",
    "Layout",
    "import_nps",
    "read_delighted_api",
    "read_hubspot_api",
    "read_nps_api",
    "read_nps_file",
    "resolve_layout",
]
