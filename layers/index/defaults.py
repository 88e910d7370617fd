"""The published method's defaults, in one place (Stadskontoret 2024): every module, the page, the CLI
and the demo data take them from here."""

DEFAULT_TOP_N = 11  # the eleven highest areas make the clusters' core
DEFAULT_EXTEND_THRESHOLD = 0.55  # a neighbour with at least this index joins a cluster
DEFAULT_MIN_SHARED_M = 25.0  # metres of shared border that make two areas neighbours

# Stadskontoret 2024's four indicators: a package with exactly these is Malmö's model, and its texts may
# speak of Stadskontoret's published choices; any other package gets the plain words (texts' `<key>_plain`).
PUBLISHED_KEYS = ("inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard")


def is_published_model(keys) -> bool:
    return set(keys) == set(PUBLISHED_KEYS)
