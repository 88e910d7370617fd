"""Text cells that are safe to open in a spreadsheet (CSV injection).

A cell that begins with = + - @ (or a tab or carriage return) is read by Excel, LibreOffice and
Google Sheets as a formula; `=HYPERLINK(…)` in an area name would run when an analyst opens the
export. OWASP's advice: prefix such a text cell with a single quote, so it shows as the text it is.
Numbers are left alone (a negative number is a number, not a formula).
"""
from __future__ import annotations

import re

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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def one_line(text: str) -> str:
    """Text on one line: control characters, line and paragraph separators and bidi controls as a space."""
    return _CONTROL.sub(" ", str(text))


def comment_line(text: str, separator: str) -> str:
    """A header line of a CSV, as every CSV writer here writes it: '# ' and the text on one line, with
    no field separator in it, so a spreadsheet reads the whole line as one cell that starts with '#'
    (never a formula, whatever the text). The separator becomes the other list character."""
    other = "," if separator == ";" else ";"
    return "# " + one_line(text).replace(separator, other) + "\n"


def comment_number(value, lang: str, decimals: int = 0) -> str:
    """A number inside a CSV comment line, grouped as people read it ('10 000 000'): as the page
    writes it in Swedish; in English grouped with a narrow no-break space, since the line's commas
    would become semicolons (comment_line)."""
    from layers.output.texts import number
    text = number(value, lang, decimals)
    return text.replace(",", "\u202f") if lang != "sv" else text
