/* Analyst depth in the dashboard (window.malmoAnalysis): the map modes "Hur säkert?", hot spots and
   allocation, the lines they add to the card and the cluster list, "Vad driver indexet?", and the
   UVAS projection's words. The analysis arrives after the map (dashboard/analysis.py) and is used
   only while it belongs to the view model on screen (the same key). Texts are set as text. */
(function () {
  "use strict";
  const lib = function () { return window.malmoLib; };
  // colours: layers/output/palette.py, as CSS custom properties
  const c = function (name) { return lib().colour(name); };
  const CERTAINTY = function () { return [0, 1, 2, 3, 4].map(function (k) { return c("certainty-" + k); }); };
  const MONEY = function () { return [0, 1, 2, 3].map(function (k) { return c("money-" + k); }); };

  function valid(analysis, vm) {
    return !!(analysis && vm && !analysis.busy && analysis.key === vm.key && analysis.level === vm.level);
  }

  // The view model the map paints for a mode (classes and colours replaced), and its legend rows.
  function mapView(vm, info, mode, analysis, allocation, texts) {
    const say = lib().say, fmt = lib().fmt, lang = texts.lang;
    if (mode === "certainty" || mode === "hotspots") {
      if (analysis && analysis.busy && analysis.key === vm.key) return {view: vm, legend: null, note: texts.t.busy};  // the server had no room
      if (!valid(analysis, vm)) return {view: vm, legend: null, pending: true};
      if (mode === "certainty") {
        return {view: Object.assign({}, vm, {"class": analysis.certainty, colours: CERTAINTY()}),
                legend: CERTAINTY().map(function (col, k) { return [col, say(texts, "cert_" + k, {n: analysis.top_n})]; }).reverse(),
                title: say(texts, "cert_title", {n: analysis.top_n, draws: fmt(analysis.draws, lang, 0)})};
      }
      if (!analysis.hot) return {view: vm, legend: null, note: texts.t.hot_none};
      const order = ["HH", "HL", "LH", "LL", "ns", "island"];
      return {view: Object.assign({}, vm, {"class": analysis.hot.map(function (c) { return c ? order.indexOf(c) : -1; }),
                                           colours: order.map(function (k) { return c("hot-" + k); })}),
              legend: order.map(function (k) { return [c("hot-" + k), texts.t["hot_" + k]]; }), title: texts.t.hot_title};
    }
    if (mode === "allocation") {
      if (!allocation || allocation.key !== vm.key) return {view: vm, legend: null, pending: true};
      if (allocation.level !== info.level) return {view: vm, legend: null, note: texts.t.alloc_other_level};
      // classes and their bounds: layers/analysis/allocation.py map_classes
      const cls = info.codes.map(function (code) { return allocation.classes[code] || 0; });
      const kr = function (x) { return fmt(x, lang, 0) + "\u00a0" + texts.t.currency; };
      const rows = [[c("nothing"), texts.t.alloc_none]], bounds = allocation.bounds;
      MONEY().forEach(function (col, k) { if (bounds.length) rows.push([col, kr(bounds[k]) + " – " + kr(bounds[k + 1])]); });
      return {view: Object.assign({}, vm, {"class": cls, colours: [c("nothing")].concat(MONEY())}), legend: rows.reverse(),
              title: say(texts, "alloc_map_title", {budget: kr(allocation.budget)})};
    }
    return null;  // the index: the view model as it is
  }

  // Lines for the area card: how sure its place is, its flags, and whether it is a hot spot.
  function cardLines(i, vm, info, analysis, texts) {
    const h = lib().h, say = lib().say, fmt = lib().fmt, lang = texts.lang;
    const keys = Object.keys(texts.indicators);
    const out = [];
    const flagged = keys.filter(function (k) { return info.high_flags[k][i]; }).map(function (k) { return texts.indicators[k].toLowerCase(); });
    out.push(h("P", {className: "card-facts card-flags"}, say(texts, "flags_of", {n: info.flag_count[i], of: keys.length, p: info.flag_percentile}) +
      (flagged.length ? ": " + flagged.join(", ") : "")));
    if (valid(analysis, vm) && analysis.p_top[i] !== null) {
      out.push(h("P", {className: "card-facts card-certainty"}, say(texts, "cert_card", {
        n: analysis.top_n, pct: fmt(100 * analysis.p_top[i], lang, 0) + "\u00a0%", draws: fmt(analysis.draws, lang, 0),
        low: analysis.rank_p05[i], high: analysis.rank_p95[i]})));
      if (analysis.hot && analysis.hot[i]) out.push(h("P", {className: "card-facts card-hot"}, texts.t["hot_card_" + analysis.hot[i]]));
    } else if (vm.rank[i] && analysis !== undefined) {
      out.push(h("P", {className: "card-facts card-certainty help"}, texts.t.cert_pending));
    }
    return out;
  }

  // Whether a cluster is a significant hot spot: the rule is layers/analysis/hotspots.py hot_clusters.
  function clusterHot(c, vm, info, analysis, texts) {
    if (!valid(analysis, vm) || !analysis.hot_clusters || !analysis.hot_clusters[c.id] || info.level !== vm.index_level) return null;
    const v = analysis.hot_clusters[c.id];
    return lib().h("P", {className: "cluster-hot"}, lib().say(texts, v.hot ? "hot_cluster_yes" : "hot_cluster_no", {k: v.hh, n: v.n}));
  }

  // "Vad driver indexet?": nominal and effective weights in words, and the correlations as a heat map.
  function drivers(analysis, vm, texts) {
    const h = lib().h, say = lib().say, fmt = lib().fmt, lang = texts.lang;
    if (!valid(analysis, vm)) return [h("P", {className: "help"}, texts.t.cert_pending), {data: [], layout: {}}];
    const rows = analysis.method.indicators.map(function (r) {
      const text = say(texts, "drivers_row", {label: texts.indicators[r.key], nominal: fmt(100 * r.nominal, lang, 0) + "\u00a0%",
                                               effective: fmt(100 * r.effective, lang, 0) + "\u00a0%"});
      const note = r.note ? " " + texts.t["drivers_" + r.note] : "";  // the threshold: layers/analysis/drivers.py NOTABLE
      return h("Li", {}, text + note);
    });
    const differs = analysis.method.differs;
    const keys = Object.keys(analysis.method.correlation);
    const labels = keys.map(function (k) { return lib().plotlyText(texts.indicators[k]); });
    const z = keys.map(function (a) { return keys.map(function (b) { return analysis.method.correlation[a][b]; }); });
    const figure = {data: [{type: "heatmap", z: z, x: labels, y: labels, zmin: -1, zmax: 1, colorscale: "RdBu", reversescale: true,
                            text: z.map(function (row) { return row.map(function (v) { return fmt(v, lang, 2); }); }), texttemplate: "%{text}",
                            hovertemplate: "%{y} · %{x}: %{text}<extra></extra>", showscale: false}],
                    layout: {margin: {l: 120, r: 10, t: 10, b: 80},
                             xaxis: {tickangle: -30, automargin: true}, yaxis: {automargin: true, autorange: "reversed"},
                             paper_bgcolor: "rgba(0,0,0,0)"}};
    lib().chartTable("correlation-table", figure, texts);
    return [[h("Ul", {className: "drivers-list"}, rows), h("P", {className: "help"}, texts.t[differs ? "drivers_differ" : "drivers_same"]),
             h("P", {className: "drivers-corr-title"}, texts.t.drivers_corr)], figure];
  }

  // The gap to Sweden in the follow-up years, in words (the numbers: layers/analysis/projection.py gaps).
  // The gap to Sweden in words, as the view model says it in the page's language (layers/output/viewmodel.py gap_words).
  function gap(vm, texts) {
    return (vm.trend.gap_words || {})[texts.lang] || "";
  }

  // Dashed projections with their 95 % band for the lines that matter most (clusters together, Malmö, Sweden).
  function projectionTraces(tr, named, texts) {
    const out = [];
    let legend = true;
    tr.series.forEach(function (s) {
      const line = named[s.id];
      if (!s.projection || !line) return;
      const p = s.projection;
      const lastYear = tr.years[tr.years.length - 1], last = s.share[s.share.length - 1];
      if (p.band) {  // which lines have their interval drawn: the view model says (layers/output/viewmodel.py)
        out.push({type: "scatter", mode: "lines", x: p.years.concat(p.years.slice().reverse()), y: p.upper.concat(p.lower.slice().reverse()),
                  fill: "toself", fillcolor: line.color.length === 7 ? line.color + "22" : "rgba(0,0,0,0.1)", line: {width: 0},
                  hoverinfo: "skip", showlegend: false});
      }
      out.push({type: "scatter", mode: "lines", x: [lastYear].concat(p.years), y: [last].concat(p.share),
                line: {color: line.color, width: 2, dash: "dash"}, name: lib().plotlyText(texts.t.projection), legendgroup: "projection",
                meta: {table: line.name + " – " + texts.t.projection},  // its row in "Visa som tabell"
                showlegend: legend, hovertemplate: "%{y:.1f}\u00a0%<extra>" + lib().plotlyText(texts.t.projection) + "</extra>"});
      legend = false;
    });
    return out;
  }

  window.malmoAnalysis = {valid: valid, mapView: mapView, cardLines: cardLines, clusterHot: clusterHot, drivers: drivers, gap: gap,
                          projectionTraces: projectionTraces};
})();
