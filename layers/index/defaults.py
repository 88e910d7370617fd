"""The published method's defaults, in one place (Stadskontoret 2024): every module, the page, the CLI
and the demo data take them from here."""

DEFAULT_TOP_N = 11  # the eleven highest areas make the clusters' core
DEFAULT_EXTEND_THRESHOLD = 0.55  # a neighbour with at least this index joins a cluster
DEFAULT_MIN_SHARED_M = 25.0  # metres of shared border that make two areas neighbours
