"""How the project reads what people type or a file holds, in one place: numbers with a decimal
comma or point, and names compared without diacritics, SCB's region codes in their plain form. Links, controls, the CLI, the importer
and the search call these (the search box folds the typed text in the browser by the same rule:
NFKD, marks dropped, lower case; assets/malmo-app.js `fold`)."""
from __future__ import annotations

import math
import re
import unicodedata

SPACES = ("\u00a0", "\u202f", " ")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE | re.ASCII)


def parse_decimal(text) -> float | None:
    """A number as a person writes it: '0,55' or '0.55', '1 234,5', '1.234,5' or '1,234.5' (the last
    mark is the decimal one when both appear), '−2' with a minus sign; None unless it is a finite number."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(text) else None
    s = str(text).strip()
    for space in SPACES:
        s = s.replace(space, "")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    else:
        s = s.replace(",", ".")
    s = s.replace("\u2212", "-")
    if not NUMBER.fullmatch(s):  # ASCII digits only, no '_' (which float() would take): as the browser reads it
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def not_finite(text) -> bool:
    """Whether a text names an infinite or undefined number ('inf', '-Infinity', 'nan'): refused by name."""
    return str(text).strip().lower().lstrip("+-\u2212") in ("inf", "infinity", "nan")


def fold(text: str) -> str:
    """Lower case without diacritics ("Södra" → "sodra"), for comparing names however they are typed."""
    return "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.category(c).startswith("M")).lower()


# SCB's 2025 code lists spell a region with its list's name ("1280R001_RegSO2025", labelled
# "1280R001 Malmö (…)"); the older ones do not ("1280R001"). The package, the joins and the
# exports use the plain code.
_LIST_SUFFIX = re.compile(r"^(?P<code>.+?)_(?:RegSO|DeSO)\d{4}$", re.IGNORECASE)


def plain_region(code: str) -> str:
    """'1280R001_RegSO2025' → '1280R001'; a plain code as it is."""
    hit = _LIST_SUFFIX.match(str(code))
    return hit.group("code") if hit else str(code)


def plain_label(code: str, label: str) -> str:
    """'1280R001 Malmö (Centrum)' → 'Malmö (Centrum)' for the region '1280R001'; another label as it is."""
    label = str(label)
    return label[len(code):].strip() if label.startswith(code + " ") else label
