/* The panels beside the map, drawn from the same view model: legend, ranking table, cluster list,
   UVAS chart and area card (window.malmoPanels). Texts come from the catalogue ("texts" store). */
(function () {
  "use strict";
  const L_ = function () { return window.malmoLib; };

  function legend(vm, method, texts, mode) {
    const lib = L_(), lang = texts.lang, h = lib.h;
    if (mode && (mode.legend || mode.note || mode.pending)) {  // "Hur säkert?", hot spots, allocation
      if (!mode.legend) return [h("P", {className: "help"}, mode.note || texts.t.cert_pending)];
      const items = mode.legend.map(function (row) { return h("Li", {}, [h("Span", {className: "swatch", style: {background: row[0]}}), row[1]]); });
      items.push(h("Li", {}, [h("Span", {className: "swatch", style: {background: lib.NO_DATA}}), texts.t.no_data]));
      items.push(h("Li", {}, [h("Span", {className: "swatch outline"}), texts.t.cluster_outline]));
      return [h("Strong", {}, mode.title), h("Ul", {}, items)];
    }
    const rows = vm.breaks.map(function (upper, i) {
      const lower = i === 0 ? null : vm.breaks[i - 1];
      const range = (lower === null ? "≤ " : lib.fmt(lower, lang, 2) + " – ") + lib.fmt(upper, lang, 2);
      return h("Li", {}, [h("Span", {className: "swatch", style: {background: vm.colours[i]}}), range]);
    }).reverse();
    rows.push(h("Li", {}, [h("Span", {className: "swatch", style: {background: lib.NO_DATA}}), texts.t.no_data]));
    rows.push(h("Li", {}, [h("Span", {className: "swatch outline"}), texts.t.cluster_outline]));
    rows.push(h("Li", {}, [h("Span", {className: "swatch selected"}), texts.t.selected_legend]));
    return [h("Strong", {}, texts.t.legend_title), h("Ul", {}, rows),
            h("Small", {}, lib.say(texts, "legend_method", {method: texts.t["class_" + method] || method}))];
  }

  // On the wall: the highest areas by name, rank and index, large, beside the map (the map names
  // what it has room for; this list names them all, whatever the map had to leave out).
  function presentTop(vm, info, texts) {
    const lib = L_(), list = document.getElementById("present-top-list");
    if (!list) return;
    const top = info.codes.map(function (code, i) { return [vm.rank[i] || 0, info.names[i], vm.index[i]]; })
      .filter(function (r) { return r[0] > 0 && r[0] <= Math.min(vm.top_n || 10, 10); }).sort(function (a, b) { return a[0] - b[0]; });
    const html = top.map(function (r) {
      return "<li value='" + r[0] + "'><span class='present-top-name'>" + lib.escapeHtml(r[1]) + "</span> <span class='present-top-index'>" +
        lib.escapeHtml(lib.fmt(r[2], texts.lang, 2)) + "</span></li>";
    }).join("");
    if (list._drawn !== html) { list.innerHTML = html; list._drawn = html; }
  }

  function clusterList(vm, level, texts, info, analysis) {
    const lib = L_(), lang = texts.lang, h = lib.h, say = lib.say, fmt = lib.fmt;
    const out = [];
    if (level !== texts.index_level) out.push(h("P", {className: "help"}, texts.t.clusters_only_index_level));
    if (!vm.clusters.length) out.push(h("P", {}, texts.t.no_clusters));
    vm.clusters.forEach(function (c) {
      const n = c.members.length;
      const name = lib.clusterName(c, texts);
      const places = c.places || {inside: [], nearest: []};
      const nearest = places.nearest.map(function (p) {
        const where = p.distance_m === 0 ? texts.t.inside : say(texts, "km", {value: fmt(p.distance_m / 1000, lang, 1)});
        return h("Li", {}, say(texts, "nearest", {kind: (texts.kinds[p.kind] || p.kind).toLowerCase(), name: p.name, distance: where}));
      });
      out.push(h("Article", {className: "cluster", id: "cluster-" + c.id}, [
        h("H3", {}, h("Button", {type: "button", className: "cluster-zoom", "data-cluster": c.id,
                                 "aria-label": say(texts, "zoom_cluster", {name: name}), title: say(texts, "zoom_cluster", {name: name})}, name)),
        h("P", {className: "members"}, c.members.map(function (m) { return m.name; }).join(", ")),
        h("P", {className: "facts"}, [
          n === 1 ? texts.t.cluster_area : say(texts, "cluster_areas", {n: n}), " · ",
          say(texts, "mean_index", {value: fmt(c.mean_index, lang, 2)}), " · ",
          say(texts, "children", {value: fmt(c.children_0_18, lang, 0)})]),
        window.malmoAnalysis.clusterHot(c, vm, info, analysis, texts),
        h("P", {className: "places-inside"}, places.inside.length ? say(texts, "places_inside", {names: places.inside.join(", ")}) : texts.t.no_places_inside),
        h("Ul", {className: "nearest"}, nearest)
      ]));
    });
    return out;
  }

  let trendKey = null;
  function trend(vm, info, selected, texts, tableId) {
    const lib = L_(), tr = vm.trend;
    const i = selected && info ? info.codes.indexOf(selected) : -1;
    const own = i >= 0 && info.uvas[tr.age_group] ? info.uvas[tr.age_group][selected] : null;
    const key = JSON.stringify([tr, texts.lang, own ? selected : null]);
    if (key === trendKey) return lib.noUpdate();  // nothing that the chart shows changed: keep it
    trendKey = key;
    const clusters = {};
    vm.clusters.forEach(function (c) { clusters[c.id] = c; });
    const named = {};
    let k = 0;
    const series = tr.series.map(function (s) {
      let name = s.kind === "cluster" && clusters[s.id] ? lib.clusterName(clusters[s.id], texts) : s.id;
      let line = s.kind === "cluster" ? lib.series(k++) : lib.look("series-all");
      if (s.kind === "all_clusters") name = texts.t.all_clusters;
      if (s.kind === "reference") {
        name = texts.references[s.id] || s.id;
        line = lib.look("series-reference-" + (s.id === "SE" ? "SE" : "MALMO"));
      }
      named[s.id] = {color: line.color, name: name};
      return {name: name, share: s.share, line: line};
    });
    if (own) series.push({name: lib.say(texts, "selected_line", {name: info.names[i]}), share: own, line: lib.look("series-selected")});
    // names are data: escaped for plotly, and not spliced into the hover template
    const figure = trendFigure(tr, series, vm.generated, texts, window.malmoAnalysis.projectionTraces(tr, named, texts));
    lib.chartTable(tableId || "trend-chart-table", figure, texts);
    return figure;
  }

  // A UVAS chart: lines (name, share, line style) over the years, the follow-up years marked.
  function trendFigure(tr, series, generated, texts, extra) {
    const lib = L_();
    const data = series.map(function (s) {
      const look = s.line;
      return {type: "scatter", mode: look.marker ? "lines+markers" : "lines", name: lib.plotlyText(s.name), x: tr.years, y: s.share,
              line: {color: look.color, width: look.width, dash: look.dash},
              marker: {size: 7, symbol: look.marker || "circle", color: look.color}, hovertemplate: "%{y:.1f}\u00a0%<extra>%{fullData.name}</extra>"};
    });
    (extra || []).forEach(function (trace) { data.push(trace); });
    const last = tr.years[tr.years.length - 1];
    const shapes = tr.follow_up.map(function (year) {
      return {type: "line", x0: year, x1: year, yref: "paper", y0: 0, y1: 1, line: {color: "#444", width: 1.5, dash: "dash"}};
    });
    // On a phone (or a narrow embed) the title wraps, the follow-up years are marked by year alone,
    // the years on the axis lie flat every fourth year and the legend sits under them.
    const narrow = window.innerWidth < 600;
    const annotations = tr.follow_up.map(function (year) {
      return {x: year, yref: "paper", y: 0.98, yanchor: "top", xanchor: "right", showarrow: false,
              text: narrow ? String(year) : lib.say(texts, "follow_up", {year: year}), font: {size: 12}, bgcolor: "#ffffff"};
    });
    const title = lib.plotlyText(lib.say(texts, "trend_title_age", {ages: tr.age_group.replace("-", "–")}));
    return {data: data, layout: {
      title: {text: (narrow ? wrapTitle(title, 34) : title) + (generated ? "<br><span style='font-size:12px;color:#7a3e00'>" + texts.t.demo_label + "</span>" : ""),
              font: {size: narrow ? 14 : 15}},
      separators: texts.lang === "sv" ? ",\u00a0" : ".,",
      margin: {l: narrow ? 42 : 50, r: narrow ? 8 : 15, t: narrow ? 92 : 70, b: narrow ? 40 + 29 * Math.ceil(data.filter(function (d) { return d.showlegend !== false; }).length / 2) : 40}, hovermode: "x unified",
      xaxis: {range: [tr.years[0] - 0.5, Math.max(last, tr.follow_up[tr.follow_up.length - 1]) + 0.8], dtick: narrow ? 4 : 2, tickangle: 0},
      yaxis: {title: {text: texts.t.trend_axis}, rangemode: "tozero"},
      legend: narrow ? {orientation: "h", yref: "container", y: 0, yanchor: "bottom"} : {orientation: "h", y: -0.15}, shapes: shapes, annotations: annotations,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#ffffff"}};
  }

  // A plotly title broken at spaces into lines of at most `width` characters (plotly does not wrap).
  function wrapTitle(text, width) {
    const lines = [];
    text.split(" ").forEach(function (word) {
      const last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= width) lines[last] += " " + word;
      else lines.push(word);
    });
    return lines.join("<br>");
  }

  const MAX_ROWS = 400;  // more rows than this are not read by anyone and only slow the page
  let scrollToSelected = false;  // set when the selection came from the map: bring its row into view

  // The ranking table is plain HTML written straight into its container: a React table of
  // 136 × 13 cells took most of each slider move; this takes a few milliseconds.
  // The scaled values that go with a view model (sent once per level and normalisation), else null
  // (the page shows "–" for the moment until they come).
  function scaledFor(vm, info, scaled) {
    return scaled && scaled.key === vm.scaled_key && scaled.digest === info.digest ? scaled.values : null;
  }

  function table(vm, info, sort, selected, texts, analysis, scaled) {
    const sc = scaledFor(vm, info, scaled);
    const lib = L_(), esc = lib.escapeHtml, fmt = lib.fmt, lang = texts.lang;
    const sure = window.malmoAnalysis.valid(analysis, vm) ? analysis : null;
    const box = document.getElementById("ranking-table-container");
    if (!box) return lib.noUpdate();
    const t0 = performance.now();
    const keys = Object.keys(texts.indicators);
    const withChange = info.level === texts.index_level;  // nothing was published for other levels
    const columns = JSON.parse(box.getAttribute("data-columns")).filter(function (c) {
      return (withChange || c.id !== "change") && (analysis !== undefined || ["interval", "sure", "hot"].indexOf(c.id) < 0);  // embeds have no analysis
    });
    const rows = info.codes.map(function (code, i) {
      const row = {code: code, rank: vm.rank[i] || null, name: info.names[i], geso: info.geso_names[i] || "",
                   index: vm.index[i], change: vm.rank[i] ? vm.rank_change[i] : null, flag_count: info.flag_count[i],
                   interval: sure && sure.rank_p05[i] ? sure.rank_p05[i] + sure.rank_p95[i] / 1e4 : null,
                   p05: sure ? sure.rank_p05[i] : null, p95: sure ? sure.rank_p95[i] : null,
                   // the map modes' classes as text too, for every area at once (1.4.1, 1.1.1)
                   sure: sure && sure.p_top[i] !== null ? sure.p_top[i] : null,
                   hot: sure && sure.hot && sure.hot[i] ? texts.t["hot_" + sure.hot[i]] : null};
      keys.forEach(function (k) { row["value_" + k] = info.values[k][i]; row["scaled_" + k] = sc ? sc[k][i] : null; });
      return row;
    });
    const col = sort.column, dir = sort.direction === "desc" ? -1 : 1;
    rows.sort(function (a, b) {
      const x = a[col], y = b[col];
      if (x === null || x === undefined || x === "") return (y === null || y === undefined || y === "") ? 0 : 1;
      if (y === null || y === undefined || y === "") return -1;
      if (typeof x === "number") return dir * (x - y) || (a.rank || 1e9) - (b.rank || 1e9);
      return dir * lib.collator[lang].compare(x, y);
    });
    const cell = {
      rank: function (r) { return r.rank === null ? "–" : r.rank; },
      change: function (r) {
        if (r.change === null) return "";
        if (r.change > 0) return "<span class='up'>▲ " + esc(lib.say(texts, "up", {n: r.change})) + "</span>";
        if (r.change < 0) return "<span class='down'>▼ " + esc(lib.say(texts, "down", {n: -r.change})) + "</span>";
        return "<span class='same'>– " + esc(texts.t.same) + "</span>";
      },
      name: function (r) { return "<button type='button' class='area-link' data-code='" + esc(r.code) + "'>" + esc(r.name) + "</button>"; },
      geso: function (r) { return esc(r.geso); },
      index: function (r) { return fmt(r.index, lang, 2); },
      interval: function (r) { return r.p05 ? r.p05 + "–" + r.p95 : (sure || !r.rank ? "" : "…"); },
      flag_count: function (r) { return r.flag_count ? String(r.flag_count) : ""; },
      sure: function (r) { return r.sure === null ? (sure || !r.rank ? "" : "…") : fmt(100 * r.sure, lang, 0) + "\u00a0%"; },
      hot: function (r) { return r.hot ? esc(r.hot) : ""; }
    };
    keys.forEach(function (k) {
      cell["value_" + k] = function (r) { return fmt(r["value_" + k], lang, 1); };
      cell["scaled_" + k] = function (r) { return fmt(r["scaled_" + k], lang, 2); };
    });
    const head = columns.map(function (c) {
      const sorted = c.id === col ? (dir > 0 ? "ascending" : "descending") : "none";
      return "<th scope='col' aria-sort='" + sorted + "' class='col-" + esc(c.id) + "'><button type='button' data-sort='" + esc(c.id) + "'>" +
        esc(c.name) + (sorted === "none" ? "" : sorted === "ascending" ? " ▲" : " ▼") + "</button></th>";
    }).join("");
    const shown = rows.slice(0, MAX_ROWS);
    const body = shown.map(function (r) {
      // the area's name heads its row (1.3.1); the chosen row says so in its header, not with aria-selected (a table row's is not announced)
      return "<tr data-code='" + esc(r.code) + "'" + (r.code === selected ? " class='selected'" : "") + ">" +
        columns.map(function (c) {
          const tag = c.id === "name" ? "th scope='row'" : "td";
          const current = c.id === "name" && r.code === selected ? " aria-current='true'" : "";
          return "<" + tag + " class='col-" + esc(c.id) + "'" + current + ">" + (cell[c.id] ? cell[c.id](r) : "") + "</" + tag.split(" ")[0] + ">";
        }).join("") + "</tr>";
    }).join("");
    const notes = (withChange ? "<p class='help'>" + esc(texts.t.change_help) + "</p>" : "") +
      (rows.length > shown.length ? "<p class='help'>" + esc(lib.say(texts, "rows_shown", {shown: shown.length, n: rows.length})) + "</p>" : "");
    // Focus stays where it was (2.4.3): the table is redrawn as a whole, so the focused row's button
    // or sort button is found again by what it is and focused, without scrolling the page.
    const had = box.contains(document.activeElement) ? document.activeElement : null;
    const again = had && (had.getAttribute("data-code") ? "button.area-link[data-code='" + esc(had.getAttribute("data-code")) + "']"
                          : had.getAttribute("data-sort") ? "button[data-sort='" + esc(had.getAttribute("data-sort")) + "']" : null);
    box.innerHTML = "<table id='ranking-table' class='ranking-table'><caption class='visually-hidden'>" + esc(texts.t.ranking_caption) +
      "</caption><thead><tr>" + head + "</tr></thead><tbody>" + body + "</tbody></table>";
    if (had) {
      const target = (again && box.querySelector(again)) || box;
      target.focus({preventScroll: true});
    }
    const after = document.getElementById("ranking-notes");
    if (after) after.innerHTML = notes;
    if (scrollToSelected && selected) {  // scroll inside the table's own box, not the page
      scrollToSelected = false;
      const row = box.querySelector("tr.selected");
      if (row) box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 2);
    }
    return performance.now() - t0;
  }

  function card(code, vm, info, texts, analysis, scaled) {
    const lib = L_(), h = lib.h, fmt = lib.fmt, say = lib.say, lang = texts.lang;
    const i = code ? info.codes.indexOf(code) : -1;
    if (i < 0) return h("P", {className: "help"}, texts.t.area_hint);
    const keys = Object.keys(texts.indicators);
    const n = vm.rank.filter(function (r) { return r > 0; }).length;
    const hasData = info.has_data[i];
    const sc = scaledFor(vm, info, scaled);
    const contributions = keys.map(function (k) { return (vm.weights[k] || 0) * (sc ? sc[k][i] || 0 : 0); });
    const total = contributions.reduce(function (a, b) { return a + b; }, 0) || 1;
    const notes = {parent: texts.t.flag_parent, "parent,suppressed": texts.t.flag_parent_suppressed, aggregate: texts.t.flag_aggregate};
    const rows = keys.map(function (k, j) {
      const flag = info.flags[k][i];
      const note = flag === "suppressed" ? say(texts, "flag_suppressed", {limit: fmt(texts.suppress[k], lang, 1)}) : (notes[flag] || "");
      return h("Tr", {}, [
        h("Th", {scope: "row"}, [texts.indicators[k], note ? h("Div", {className: "flag"}, note) : null]),
        h("Td", {}, fmt(info.values[k][i], lang, 1) + "\u00a0%"),
        h("Td", {}, fmt(sc ? sc[k][i] : null, lang, 2)),
        // the share of the index as text, the bar beside it only a picture of it (1.1.1)
        h("Td", {className: "bar-cell"}, [h("Span", {className: "bar-value"}, fmt(100 * contributions[j] / total, lang, 0) + "\u00a0%"),
          h("Div", {className: "bar", "aria-hidden": "true", style: {width: Math.round(100 * contributions[j] / total) + "%"}})])
      ]);
    });
    const uvas = (info.uvas[texts.default_age_group] || {})[code];
    let spark = null;
    if (uvas) {
      const max = Math.max.apply(null, uvas.filter(function (v) { return v !== null; })) || 1;
      const years = info.uvas_years;
      spark = h("Div", {className: "sparkline-wrap"}, [
        h("Span", {}, texts.t.uvas_sparkline + " " + years[years.length - 1] + ": " + fmt(uvas[uvas.length - 1], lang, 1) + "\u00a0%"),
        // the bars as a picture whose name says every year's value (1.1.1)
        h("Div", {className: "sparkline", role: "img", "aria-label": texts.t.uvas_sparkline + ": " + uvas.map(function (v, y) {
          return years[y] + " " + (v === null ? "–" : fmt(v, lang, 1) + "\u00a0%"); }).join(", ")},
          uvas.map(function (v, y) { return h("Span", {title: years[y] + ": " + fmt(v, lang, 1) + "\u00a0%", style: {height: Math.round(100 * (v || 0) / max) + "%"}}); })),
        // its axis in words: the years at the ends, the tallest bar's value (the bars start at 0)
        h("Div", {className: "sparkline-axis", "aria-hidden": "true"}, [h("Span", {}, String(years[0])),
          h("Span", {}, lib.say(texts, "sparkline_max", {value: fmt(max, lang, 1)})), h("Span", {}, String(years[years.length - 1]))])
      ]);
    }
    const source = !hasData ? h("P", {className: "card-source"}, texts.t.data_none)
      : h("P", {className: info.generated[i] ? "card-source demo" : "card-source"}, info.generated[i] ? texts.t.data_generated : texts.t.data_real);
    // "Källa": the indicators' sources and years; those whose values are generated at this level said so
    const real = [], generated = [];
    Object.keys(texts.sources || {}).forEach(function (k) {
      const src = texts.sources[k];
      const text = src.source + " " + src.year + (src.licence ? " (" + src.licence + ")" : "");
      const list = src.generated.indexOf(info.level) >= 0 ? generated : real;
      if (list.indexOf(text) < 0) list.push(text);
    });
    const origins = real.length ? [real.join("; ")] : [];
    if (generated.length) origins.push(lib.say(texts, "source_generated_short", {source: generated.join("; ")}));
    const sourceLine = hasData && origins.length ? h("P", {className: "card-source-line"}, texts.t.card_source + ": " + origins.join(" · ")) : null;
    return [
      h("H2", {tabIndex: "-1", className: "card-title"}, info.names[i]),
      h("P", {className: "card-facts"}, [
        vm.rank[i] ? say(texts, "rank_of", {rank: vm.rank[i], n: n}) + " · Index " + fmt(vm.index[i], lang, 2) : texts.t.no_index,
        info.geso_names[i] ? " · GeSO: " + info.geso_names[i] : ""]),
      hasData ? h("P", {className: "card-facts"}, texts.t.population + ": " + fmt(info.population[i], lang, 0) + " · " + texts.t.children_label + ": " + fmt(info.children[i], lang, 0)) : null,
    ].concat(hasData ? window.malmoAnalysis.cardLines(i, vm, info, analysis, texts) : []).concat([
      hasData ? h("Table", {className: "card-table"}, [
        h("Thead", {}, h("Tr", {}, [h("Th", {}, ""), h("Th", {}, texts.t.value), h("Th", {}, texts.t.scaled), h("Th", {}, texts.t.contribution)])),
        h("Tbody", {}, rows)]) : null,
      spark,
      source,
      sourceLine,
      h("P", {className: "card-how"}, h("A", {href: "#how-it-works", className: "how-link"}, texts.t.how_link))
    ]);
  }

  window.malmoPanels = {presentTop: presentTop, 
    legend: legend, clusterList: clusterList, trend: trend, trendFigure: trendFigure, table: table, card: card,
    scrollToSelectedRow: function () { scrollToSelected = true; }
  };
})();
