"""CSV cells as long as the text they hold.

The csv module refuses a cell over 131,072 characters by default (``_csv.Error: field larger than field limit``),
so a long review or NPS comment would stop a whole import. Every CSV parser in vocmine raises the limit first.
"""

from __future__ import annotations

import csv

LONGEST_CELL = 2**31 - 1  # the largest value the limit takes on every platform (a C long)


def allow_long_cells() -> None:
    """Raise the csv module's per-cell limit (process-wide) so a cell of any realistic length is read whole."""
    if csv.field_size_limit() < LONGEST_CELL:
        csv.field_size_limit(LONGEST_CELL)
