"""The dashboard plus two callbacks that exist only for benchmarking, served by gunicorn:

- `noop`: returns its input; the floor of what any Dash callback costs in this app;
- `naive`: what a straightforward app would do per slider move: rebuild a full plotly
  choropleth (geometry included) and send it with the same view model.
"""
from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
from dash import Input, Output

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.app import create_app  # noqa: E402
from dashboard.callbacks import settings_from_view  # noqa: E402

app = create_app(cache_config={"CACHE_TYPE": "NullCache"})  # measure the work, not the cache
server = app.server
ctx = app.ctx
keys = ctx.engine.keys
geometry = {lv.id: __import__("json").loads((ctx.pkg.path / lv.path).read_text(encoding="utf-8")) for lv in ctx.pkg.manifest.levels}


@app.callback(Output("noop-out", "data"), Input("noop-in", "data"))
def noop(value):
    return value


@app.callback(Output("naive-map", "figure"), Output("naive-view-model", "data"),
              *[Input(f"naive-weight-{k}", "value") for k in keys], Input("naive-level", "value"))
def naive(*args):
    weights, level = args[:-1], args[-1]
    settings, _ = settings_from_view(app.ctx.options, {"w": dict(zip(keys, weights)), "level": level})
    view = ctx.views.view_model(settings)
    info = ctx.views.level_info(level)
    figure = go.Figure(go.Choroplethmap(
        geojson=geometry[level], featureidkey="properties.code", locations=info["codes"], z=view["index"],
        text=info["names"], colorscale="YlOrRd", marker_line_width=0.5,
        hovertemplate="%{text}: %{z:.2f}<extra></extra>"))
    figure.update_layout(map={"center": {"lat": 55.58, "lon": 13.0}, "zoom": 10.5, "style": "white-bg"},
                         margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return figure, view
