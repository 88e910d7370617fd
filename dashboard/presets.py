"""Weight presets (slider positions 0–100). The first is Stadskontoret's published choice."""
PRESETS = {
    "equal": {"inte_behorig": 50, "trangboddhet": 50, "ekonomiskt_bistand": 50, "lag_inkomststandard": 50},
    "school": {"inte_behorig": 100, "trangboddhet": 50, "ekonomiskt_bistand": 50, "lag_inkomststandard": 50},
    "economy": {"inte_behorig": 25, "trangboddhet": 25, "ekonomiskt_bistand": 100, "lag_inkomststandard": 100},
    "housing": {"inte_behorig": 50, "trangboddhet": 100, "ekonomiskt_bistand": 50, "lag_inkomststandard": 50},
}


def presets_for(keys: list[str]) -> dict[str, dict[str, float]]:
    """Presets that name exactly the package's indicators; 'equal' always exists."""
    out = {name: p for name, p in PRESETS.items() if set(p) == set(keys)}
    out["equal"] = {k: 50 for k in keys}
    return out


def is_published(keys: list[str]) -> bool:
    """Whether the package's indicators are Malmö's four, whose equal weights are Stadskontoret's published choice."""
    from layers.index.defaults import is_published_model
    return is_published_model(keys)
