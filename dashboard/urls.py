"""Every link the app makes, from one place that knows the path prefix (after datasette's url_builder).

`URL_PREFIX=/kraftsamling/` serves the whole app under that path (behind the intranet's proxy): the
page, its Dash routes, the geometry, the exports, the embeds and the health check. Nothing else in
the app concatenates paths.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

EMBED_VIEWS = ("map", "ranking", "trend", "clusters", "card")


def normalise_prefix(prefix: str | None) -> str:
    """'/kraftsamling' or 'kraftsamling/' → '/kraftsamling/'; empty → '/'."""
    parts = [p for p in (prefix or "").split("/") if p]
    return "/" + "".join(p + "/" for p in parts)


@dataclass(frozen=True)
class Urls:
    prefix: str = "/"

    @classmethod
    def from_environment(cls) -> "Urls":
        return cls(normalise_prefix(os.environ.get("URL_PREFIX")))

    def route(self, path: str) -> str:
        """A Flask route under the prefix: route('/api/x') → '/kraftsamling/api/x'."""
        return self.prefix + path.lstrip("/")

    def page(self, query: str = "") -> str:
        return self.prefix + query

    def embed(self, view: str, query: str = "") -> str:
        return self.prefix + f"embed/{view}" + query

    def api(self, path: str, query: str = "") -> str:
        return self.prefix + "api/" + path.lstrip("/") + query

    def compare(self, query: str = "") -> str:
        return self.prefix + "compare" + query

    def is_compare(self, pathname: str | None) -> bool:
        return (pathname or "").rstrip("/") == self.prefix + "compare"

    def embed_view(self, pathname: str | None) -> str | None:
        """The embed view a page path asks for ('…/embed/map' → 'map'), '' for an unknown one, None for the dashboard."""
        rest = (pathname or "")[len(self.prefix):] if (pathname or "").startswith(self.prefix) else ""
        if not rest.startswith("embed/"):
            return None
        view = rest[len("embed/"):].strip("/")
        return view if view in EMBED_VIEWS else ""


def frame_ancestors() -> list[str]:
    """Who may show the app in a frame: FRAME_ANCESTORS (space-separated origins; the intranet's), default 'self'."""
    return os.environ.get("FRAME_ANCESTORS", "").split() or ["'self'"]
