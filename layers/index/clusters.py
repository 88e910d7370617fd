"""Clusters ("kluster"): groups of high-index areas that border each other.

The rule, every parameter settable:
1. two areas are neighbours when their shared border is at least `min_shared_m` metres
   (measured in EPSG:3006); corner contacts do not count;
2. the core is the `top_n` highest areas or, if `threshold` is given, every area with
   index ≥ threshold;
3. an area with index ≥ `extend_threshold` that neighbours a selected area is added,
   repeatedly (this is how Kryddgården, enclosed by selected areas, joins its group);
4. clusters are the connected components of the selection.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from layers.index.disclosure import round_counts
from layers.index.engine import Engine, IndexResult
from layers.errors import EngineError

from layers.index.defaults import DEFAULT_EXTEND_THRESHOLD, DEFAULT_MIN_SHARED_M, DEFAULT_TOP_N  # noqa: F401 (the rule's defaults, also from here)


@dataclass(frozen=True)
class ClusterSettings:
    top_n: int = DEFAULT_TOP_N
    threshold: float | None = None
    extend_threshold: float | None = DEFAULT_EXTEND_THRESHOLD
    min_shared_m: float = DEFAULT_MIN_SHARED_M

    def __post_init__(self):
        if self.threshold is None and (not isinstance(self.top_n, int) or self.top_n < 1):
            raise EngineError(f"top_n must be a whole number ≥ 1, got {self.top_n!r}")
        if not (self.min_shared_m >= 0):
            raise EngineError(f"min_shared_m must be ≥ 0 metres, got {self.min_shared_m!r}")


@dataclass(frozen=True)
class Cluster:
    id: str  # cluster_id: "k" + lowest member code
    name: str  # cluster_name in Swedish (the page and the exports compose it in their language from `lead`)
    members: list[str]  # codes, highest index first
    member_names: list[str]
    core: list[str]  # members selected in step 2 (the rest were added by extension)
    mean_index: float  # weighted by the members' shown (rounded) populations: it gives back nothing finer
    population: int
    children: int  # aged 0–18

    def as_dict(self) -> dict:
        """As shown and exported: counts rounded (disclosure.round_counts)."""
        from layers.output.texts import LANGUAGES
        return {"id": self.id, "name": self.name, "lead": self.member_names[0],
                "names": {lang: cluster_name(self.member_names[0], len(self.members), lang) for lang in LANGUAGES},
                "mean_index": round(self.mean_index, 4),
                "population": int(round_counts(self.population)), "children_0_18": int(round_counts(self.children)),
                "members": [{"code": c, "name": n, "core": c in self.core} for c, n in zip(self.members, self.member_names)]}


def edges(graph) -> tuple[np.ndarray, np.ndarray]:
    """A neighbour graph's edges (both directions) as position arrays (isolates have none)."""
    adjacency = graph.sparse.tocoo()
    keep = adjacency.data > 0
    return adjacency.row[keep], adjacency.col[keep]


def select_columns(index: np.ndarray, ranks: np.ndarray, graph, settings: ClusterSettings) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2–3 for areas × draws (one column per draw; the nominal index is one column), over the
    level's neighbour graph (step 1: Engine.graph): the selected and the core masks."""
    valid = ~np.isnan(index)
    if settings.threshold is not None:
        core = valid & (index >= settings.threshold)
    else:
        core = (ranks > 0) & (ranks <= settings.top_n)
    selected = core.copy()
    if settings.extend_threshold is not None:
        # breadth first, on coordinates: each step looks only at the neighbours of what the last
        # step added, so the work is proportional to what is selected, not to areas × draws
        adjacency = graph.sparse.tocsr()
        eligible = valid & (index >= settings.extend_threshold)
        frontier = csr_matrix(selected.astype(np.float32))
        while frontier.nnz:
            rows, cols = (adjacency @ frontier).nonzero()
            new = eligible[rows, cols] & ~selected[rows, cols]
            rows, cols = rows[new], cols[new]
            selected[rows, cols] = True
            frontier = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=selected.shape)
    return selected, core


def select(result: IndexResult, graph, settings: ClusterSettings) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2–3 for one index: (selected mask, core mask)."""
    selected, core = select_columns(result.index[:, None], result.rank[:, None], graph, settings)
    return selected[:, 0], core[:, 0]


def find_clusters(engine: Engine, result: IndexResult, settings: ClusterSettings | None = None) -> list[Cluster]:
    """Clusters for an index result, highest mean index first."""
    settings = settings or ClusterSettings()
    data = engine.level(result.level)
    graph = engine.graph(result.level, settings.min_shared_m)
    selected, core = select(result, graph, settings)
    a, b = edges(graph)
    n = len(result.codes)
    both = selected[a] & selected[b]
    _, labels = connected_components(coo_matrix((np.ones(both.sum()), (a[both], b[both])), shape=(n, n)), directed=False)
    clusters = []
    for label in np.unique(labels[selected]):
        members = np.flatnonzero(selected & (labels == label))
        members = members[np.lexsort((result.codes[members], -result.index[members]))]
        pop = np.nan_to_num(data.population[members])
        idx = result.index[members]
        mean = float(np.average(idx, weights=pop)) if pop.sum() > 0 else float(idx.mean())
        names = [str(x) for x in result.names[members]]
        codes = [str(x) for x in result.codes[members]]
        clusters.append(Cluster(
            id=cluster_id(codes), name=cluster_name(names[0], len(names)),
            members=codes, member_names=names, core=[c for c, m in zip(codes, members) if core[m]],
            mean_index=mean, population=int(pop.sum()),
            children=int(np.nan_to_num(data.children[members]).sum())))
    return sorted(clusters, key=lambda c: (-c.mean_index, c.id))


def cluster_id(codes) -> str:
    """A cluster's id: "k" and its lowest member code, so the same members always give the same id."""
    return "k" + min(codes)


def cluster_name(lead: str, members: int, lang: str = "sv") -> str:
    """A cluster's name in a language: its highest member's, "… m.fl." / "… and others" when there are
    several (the text is the catalogue's `cluster_name`; the browser composes it from the same text)."""
    from layers.output.texts import t
    return t(lang, "cluster_name", name=lead) if members > 1 else lead
