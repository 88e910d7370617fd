"""Text cells that are safe to open in a spreadsheet (CSV injection).

A cell that begins with = + - @ (or a tab or carriage return) is read by Excel, LibreOffice and
Google Sheets as a formula; `=HYPERLINK(…)` in an area name would run when an analyst opens the
export. OWASP's advice: prefix such a text cell with a single quote, so it shows as the text it is.
Numbers are left alone (a negative number is a number, not a formula).
"""
from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value as a spreadsheet shows it literally: "'" + text when text starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and every column name neutralised (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out
