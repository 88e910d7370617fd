/* Browser-side drawing for the Malmö dashboard. The server sends one compact view model per
   change (arrays aligned to level-info codes); everything here turns it into map colours,
   legend, table, cluster list, trend chart and area card. Texts come from the catalogue
   (the "texts" store), never from this file. */
(function () {
  "use strict";
  const NO_DATA = "#d9d9d9";
  const OUTLINE = "#08306b";

  function h(type, props, children, namespace) {
    const p = Object.assign({}, props || {});
    if (children !== undefined) p.children = children;
    return {type: type, namespace: namespace || "dash_html_components", props: p};
  }
  const formats = {};  // Intl.NumberFormat is slow to create: one per language and precision
  function fmt(value, lang, decimals) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    const key = lang + decimals;
    if (!formats[key]) {
      formats[key] = new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB",
        {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
    }
    return formats[key].format(value);
  }
  function say(texts, key, values) {
    let s = texts.t[key] || key;
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }
  const nu = function () { return window.dash_clientside.no_update; };
  // Run `fn` once the browser has drawn the frame with the recoloured map (two animation frames):
  // the map shows first, the heavier table, chart and list follow (a Promise is a valid result).
  function afterPaint(fn) {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { setTimeout(function () { resolve(fn()); }, 0); });
      });
    });
  }
  const collator = {sv: new Intl.Collator("sv"), en: new Intl.Collator("en")};

  // The latest colours, labels and selection. The style function reads them, so layers that
  // (re)load get the current look; `paint` restyles the layers already drawn, in place.
  window.malmoView = {fill: {}, labels: {}, selected: null};
  window.malmoLayers = {};  // area code -> Leaflet layer (codes are unique across levels)

  function areaStyle(code) {
    const view = window.malmoView;
    const selected = view.selected === code;
    return {fillColor: view.fill[code] || NO_DATA, fillOpacity: 0.82,
            color: selected ? "#000000" : "#4d4d4d", weight: selected ? 3.5 : 0.7, opacity: 1};
  }
  // Text from data (names) never becomes markup: every sink below takes it as text.
  // - Leaflet tooltips take a string as HTML, so they get an element whose textContent is set;
  // - the ranking table is an HTML string for speed, so every data string goes through escapeHtml;
  // - plotly reads a subset of HTML in names, so they go through plotlyText;
  // - everything else is drawn by Dash/React components, which set text.
  function textElement(text, className) {
    const el = document.createElement("span");
    if (className) el.className = className;
    el.textContent = text;
    return el;
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }
  function plotlyText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  // `permanent` is the label text to show at all times, or null for a tooltip on hover only.
  function bindLabel(layer, name, permanent) {
    layer.unbindTooltip();
    layer.bindTooltip(textElement(permanent || name), {permanent: !!permanent, direction: "center", opacity: 1,
                                                       className: permanent ? "area-label" : "area-tip"});
    layer._malmoPermanent = permanent || null;
  }

  function renderClusterList(vm, level, texts) {
        const lang = texts.lang;
        const out = [];
        if (level !== texts.index_level) out.push(h("P", {className: "help"}, texts.t.clusters_only_index_level));
        if (!vm.clusters.length) out.push(h("P", {}, texts.t.no_clusters));
        vm.clusters.forEach(function (c) {
          const n = c.members.length;
          const places = c.places || {inside: [], nearest: []};
          const nearest = places.nearest.map(function (p) {
            const where = p.distance_m === 0 ? texts.t.inside : say(texts, "km", {value: fmt(p.distance_m / 1000, lang, 1)});
            return h("Li", {}, say(texts, "nearest", {kind: (texts.kinds[p.kind] || p.kind).toLowerCase(), name: p.name, distance: where}));
          });
          out.push(h("Article", {className: "cluster", id: "cluster-" + c.id}, [
            h("H3", {}, c.name),
            h("P", {className: "members"}, c.members.map(function (m) { return m.name; }).join(", ")),
            h("P", {className: "facts"}, [
              n === 1 ? texts.t.cluster_area : say(texts, "cluster_areas", {n: n}), " · ",
              say(texts, "mean_index", {value: fmt(c.mean_index, lang, 2)}), " · ",
              say(texts, "children", {value: fmt(c.children_0_18, lang, 0)})]),
            h("P", {className: "places-inside"}, places.inside.length ? say(texts, "places_inside", {names: places.inside.join(", ")}) : texts.t.no_places_inside),
            h("Ul", {className: "nearest"}, nearest)
          ]));
        });
        return out;
  }

  function renderTrend(vm, texts) {
        const tr = vm.trend;
        const key = JSON.stringify(tr);
        if (key === window.malmoTrendKey) return nu();  // the clusters did not change: keep the chart
        window.malmoTrendKey = key;
        const palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];
        const data = tr.series.map(function (s, i) {
          let name = s.name;
          let line = {width: 2, color: palette[i % palette.length]};
          if (s.kind === "all_clusters") { name = texts.t.all_clusters; line = {width: 4, color: "#111111"}; }
          if (s.kind === "reference") {
            name = texts.references[s.id] || s.id;
            line = {width: 3, color: s.id === "SE" ? "#6a6a6a" : "#2166ac", dash: s.id === "SE" ? "dot" : "dash"};
          }
          // the name is data: escaped for plotly, and not spliced into the hover template
          return {type: "scatter", mode: "lines+markers", name: plotlyText(name), x: tr.years, y: s.share, line: line,
                  marker: {size: 4}, hovertemplate: "%{y:.1f}\u00a0%<extra>%{fullData.name}</extra>"};
        });
        const last = tr.years[tr.years.length - 1];
        const shapes = tr.follow_up.map(function (year) {
          return {type: "line", x0: year, x1: year, yref: "paper", y0: 0, y1: 1, line: {color: "#444", width: 1.5, dash: "dash"}};
        });
        const annotations = tr.follow_up.map(function (year) {
          return {x: year, yref: "paper", y: 0.98, yanchor: "top", xanchor: "right", showarrow: false, text: say(texts, "follow_up", {year: year}), font: {size: 12}, bgcolor: "#ffffff"};
        });
        return {data: data, layout: {
          title: {text: texts.t.trend_title + (vm.generated ? "<br><span style='font-size:12px;color:#7a3e00'>" + texts.t.demo_label + "</span>" : ""), font: {size: 15}},
          separators: texts.lang === "sv" ? ",\u00a0" : ".,",
          margin: {l: 50, r: 15, t: 70, b: 40}, hovermode: "x unified",
          xaxis: {range: [tr.years[0] - 0.5, Math.max(last, tr.follow_up[tr.follow_up.length - 1]) + 0.8], dtick: 2},
          yaxis: {title: {text: texts.t.trend_axis}, rangemode: "tozero"},
          legend: {orientation: "h", y: -0.15}, shapes: shapes, annotations: annotations,
          paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#ffffff"}};
  }

  const MAX_ROWS = 400;  // more rows than this are not read by anyone and only slow the page

  // The ranking table is plain HTML written straight into its container: a React table of
  // 136 × 13 cells took most of each slider move; this takes a few milliseconds.
  function renderTable(vm, info, sort, selected, texts) {
    const box = document.getElementById("ranking-table-container");
    if (!box) return nu();
    const t0 = performance.now();
    const lang = texts.lang;
    const keys = Object.keys(texts.indicators);
    const columns = JSON.parse(box.getAttribute("data-columns"));
    const rows = info.codes.map(function (code, i) {
      const row = {code: code, rank: vm.rank[i] || null, name: info.names[i], geso: info.geso_names[i] || "",
                   index: vm.index[i], change: vm.rank[i] ? vm.rank_change[i] : null};
      keys.forEach(function (k) { row["value_" + k] = info.values[k][i]; row["scaled_" + k] = vm.scaled[k][i]; });
      return row;
    });
    const col = sort.column, dir = sort.direction === "desc" ? -1 : 1;
    rows.sort(function (a, b) {
      const x = a[col], y = b[col];
      if (x === null || x === undefined || x === "") return (y === null || y === undefined || y === "") ? 0 : 1;
      if (y === null || y === undefined || y === "") return -1;
      if (typeof x === "number") return dir * (x - y) || (a.rank || 1e9) - (b.rank || 1e9);
      return dir * collator[lang].compare(x, y);
    });
    const cell = {
      rank: function (r) { return r.rank === null ? "–" : r.rank; },
      change: function (r) {
        if (r.change === null) return "";
        if (r.change > 0) return "<span class='up'>▲ " + escapeHtml(say(texts, "up", {n: r.change})) + "</span>";
        if (r.change < 0) return "<span class='down'>▼ " + escapeHtml(say(texts, "down", {n: -r.change})) + "</span>";
        return "<span class='same'>– " + escapeHtml(texts.t.same) + "</span>";
      },
      name: function (r) { return "<button type='button' class='area-link' data-code='" + escapeHtml(r.code) + "'>" + escapeHtml(r.name) + "</button>"; },
      geso: function (r) { return escapeHtml(r.geso); },
      index: function (r) { return fmt(r.index, lang, 2); }
    };
    keys.forEach(function (k) {
      cell["value_" + k] = function (r) { return fmt(r["value_" + k], lang, 1); };
      cell["scaled_" + k] = function (r) { return fmt(r["scaled_" + k], lang, 2); };
    });
    const head = columns.map(function (c) {
      const sorted = c.id === col ? (dir > 0 ? "ascending" : "descending") : "none";
      return "<th scope='col' aria-sort='" + sorted + "' class='col-" + c.id + "'><button type='button' data-sort='" + c.id + "'>" +
        escapeHtml(c.name) + (sorted === "none" ? "" : sorted === "ascending" ? " ▲" : " ▼") + "</button></th>";
    }).join("");
    const shown = rows.slice(0, MAX_ROWS);
    const body = shown.map(function (r) {
      return "<tr data-code='" + escapeHtml(r.code) + "'" + (r.code === selected ? " class='selected' aria-selected='true'" : "") + ">" +
        columns.map(function (c) { return "<td class='col-" + c.id + "'>" + cell[c.id](r) + "</td>"; }).join("") + "</tr>";
    }).join("");
    const note = rows.length > shown.length ? "<p class='help'>" + escapeHtml(say(texts, "rows_shown", {shown: shown.length, n: rows.length})) + "</p>" : "";
    box.innerHTML = "<table id='ranking-table' class='ranking-table'><thead><tr>" + head + "</tr></thead><tbody>" + body + "</tbody></table>" + note;
    return performance.now() - t0;
  }

  // Clicks in the table: a heading sorts, an area selects (set_props: no server round trip).
  document.addEventListener("click", function (event) {
    const target = event.target.closest && event.target.closest("#ranking-table-container button, #ranking-table-container tr[data-code]");
    if (!target || !window.dash_clientside.set_props) return;
    const sortKey = target.getAttribute("data-sort");
    if (sortKey) {
      const current = window.malmoSort || {column: "rank", direction: "asc"};
      const direction = current.column === sortKey && current.direction === "asc" ? "desc" : "asc";
      window.malmoSort = {column: sortKey, direction: direction};
      window.dash_clientside.set_props("table-sort", {data: window.malmoSort});
      return;
    }
    const code = target.getAttribute("data-code") || (target.closest("tr") || {}).getAttribute("data-code");
    if (code) window.dash_clientside.set_props("selected-area", {data: code});
  });

  window.malmo = {
    areaStyle: function (feature) {
      return areaStyle(feature.properties.code);
    },
    areaFeature: function (feature, layer) {
      const p = feature.properties;
      layer._malmoName = p.name;
      bindLabel(layer, p.name, window.malmoView.labels[p.code] || (window.malmoView.allLabels ? p.name : null));
      window.malmoLayers[p.code] = layer;
    },
    // Zoomed in far enough, every area is named on the map (the labels would overlap before).
    onZoom: function (event) {
      const map = event.target;
      const count = Object.keys(window.malmoLayers).length;
      const all = map.getZoom() >= (count > 500 ? 15 : 13);
      if (all === !!window.malmoView.allLabels) return;
      window.malmoView.allLabels = all;
      Object.keys(window.malmoLayers).forEach(function (code) {
        const layer = window.malmoLayers[code];
        if (!layer._map) return;
        const label = window.malmoView.labels[code] || (all ? layer._malmoName : null);
        if (label !== (layer._malmoPermanent || null)) bindLabel(layer, layer._malmoName, label);
      });
    },
    outlineStyle: function () {
      return {color: OUTLINE, weight: 4, opacity: 0.95, fill: false};
    }
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    malmo: {
      shares: function () {
        const args = Array.prototype.slice.call(arguments);
        const texts = args.pop();
        const shownPreset = args.pop();
        const total = args.reduce(function (a, b) { return a + (Number(b) || 0); }, 0);
        // Show which preset the sliders now match ("Egna vikter" if none), once the user pauses.
        clearTimeout(window.malmoPresetTimer);
        window.malmoPresetTimer = setTimeout(function () {
          const keys = Object.keys(texts.indicators);
          const match = Object.keys(texts.presets).find(function (name) {
            return keys.every(function (k, i) { return texts.presets[name][k] === args[i]; });
          }) || "custom";
          if (match === shownPreset) return;
          window.malmoPresetLabel = match;
          window.dash_clientside.set_props("preset-select", {value: match});
        }, 300);
        return args.map(function (w) {
          const pct = total > 0 ? Math.round(100 * (Number(w) || 0) / total) : 0;
          return say(texts, "share", {pct: pct + "\u00a0%"});
        });
      },

      paint: function (vm, info, selected) {
        if (!vm || !info || vm.level !== info.level) return nu();
        const t0 = performance.now();
        const fill = {};
        info.codes.forEach(function (code, i) {
          const c = vm["class"][i];
          fill[code] = c >= 0 ? vm.colours[c] : NO_DATA;
        });
        // Permanent labels: every area when there are few; else each cluster's name at its highest member.
        const labels = {};
        if (info.codes.length <= 20) {
          info.codes.forEach(function (code, i) { labels[code] = info.names[i]; });
        } else if (info.level === vm.index_level) {
          vm.clusters.forEach(function (c) { labels[c.members[0].code] = c.name; });
        }
        window.malmoView = {fill: fill, labels: labels, selected: selected, allLabels: window.malmoView.allLabels};
        Object.keys(window.malmoLayers).forEach(function (code) {  // layers of a level no longer shown
          const layer = window.malmoLayers[code];
          if (!layer._map) { layer.unbindTooltip(); delete window.malmoLayers[code]; }
        });
        info.codes.forEach(function (code, i) {
          const layer = window.malmoLayers[code];
          if (!layer) return;  // not drawn yet: it takes these colours when it loads
          layer.setStyle(areaStyle(code));
          const label = labels[code] || (window.malmoView.allLabels ? info.names[i] : null);
          if (label !== (layer._malmoPermanent || null)) bindLabel(layer, label || info.names[i], label);
        });
        const selectedLayer = selected && window.malmoLayers[selected];
        if (selectedLayer && selectedLayer.bringToFront) selectedLayer.bringToFront();
        window.malmoPainted = {at: performance.now(), ms: performance.now() - t0, n: info.codes.length};
        return window.malmoPainted.at;
      },

      presets: function (preset, reset, texts) {
        const keys = Object.keys(texts.indicators);
        const presets = texts.presets;
        const trigger = ((window.dash_clientside.callback_context.triggered || [])[0] || {}).prop_id || "";
        if (trigger.indexOf("reset-weights") === 0) return keys.map(function (k) { return presets.equal[k]; }).concat(["equal"]);
        if (window.malmoPresetLabel === preset) {  // we only named the preset the sliders match: not a choice
          window.malmoPresetLabel = null;
          return keys.map(nu).concat([nu()]);
        }
        if (presets[preset]) return keys.map(function (k) { return presets[preset][k]; }).concat([nu()]);
        return keys.map(nu).concat([nu()]);
      },

      outlines: function (vm) {
        if (!vm) return nu();
        // canonical order, so the same clusters give the same URL and the browser's cached outlines
        const groups = vm.clusters.map(function (c) { return c.members.map(function (m) { return m.code; }).sort().join("."); }).sort();
        return "/api/outlines?g=" + encodeURIComponent(groups.join("-")).replace(/%2E/g, ".");
      },

      legend: function (vm, method, texts) {
        if (!vm) return nu();
        const lang = texts.lang;
        const rows = vm.breaks.map(function (upper, i) {
          const lower = i === 0 ? null : vm.breaks[i - 1];
          const range = (lower === null ? "≤ " : fmt(lower, lang, 2) + " – ") + fmt(upper, lang, 2);
          return h("Li", {}, [h("Span", {className: "swatch", style: {background: vm.colours[i]}}), range]);
        }).reverse();
        rows.push(h("Li", {}, [h("Span", {className: "swatch", style: {background: NO_DATA}}), texts.t.no_data]));
        rows.push(h("Li", {}, [h("Span", {className: "swatch outline"}), texts.t.cluster_outline]));
        return [h("Strong", {}, texts.t.legend_title), h("Ul", {}, rows),
                h("Small", {}, say(texts, "legend_method", {method: texts.t["class_" + method] || method}))];
      },

      clusterList: function (vm, level, texts) {
        if (!vm) return nu();
        return afterPaint(function () { return renderClusterList(vm, level, texts); });
      },

      trend: function (vm, texts) {
        if (!vm) return nu();
        return afterPaint(function () { return renderTrend(vm, texts); });
      },

      table: function (vm, info, sort, selected, texts) {
        if (!vm || !info || vm.level !== info.level) return nu();
        return afterPaint(function () { return renderTable(vm, info, sort, selected, texts); });
      },

      select: function (click, info, current) {
        const trigger = (window.dash_clientside.callback_context.triggered || [])[0] || {};
        if (trigger.prop_id === "areas.clickData" && click && click.properties) return click.properties.code;
        if (trigger.prop_id === "level-info.data" && info && current && info.codes.indexOf(current) < 0) return null;
        return nu();
      },

      card: function (code, vm, info, texts) {
        if (!vm || !info) return nu();
        const i = code ? info.codes.indexOf(code) : -1;
        if (i < 0) return h("P", {className: "help"}, texts.t.area_hint);
        const lang = texts.lang;
        const keys = Object.keys(texts.indicators);
        const n = vm.rank.filter(function (r) { return r > 0; }).length;
        const contributions = keys.map(function (k) { return (vm.weights[k] || 0) * (vm.scaled[k][i] || 0); });
        const total = contributions.reduce(function (a, b) { return a + b; }, 0) || 1;
        const rows = keys.map(function (k, j) {
          const flag = info.flags[k][i];
          const limit = texts.suppress[k];
          const note = flag === "parent" ? texts.t.flag_parent : flag === "suppressed" ? say(texts, "flag_suppressed", {limit: fmt(limit, lang, 1)})
            : flag === "parent,suppressed" ? texts.t.flag_parent_suppressed : flag === "aggregate" ? texts.t.flag_aggregate : "";
          return h("Tr", {}, [
            h("Th", {scope: "row"}, [texts.indicators[k], note ? h("Div", {className: "flag"}, note) : null]),
            h("Td", {}, fmt(info.values[k][i], lang, 1) + "\u00a0%"),
            h("Td", {}, fmt(vm.scaled[k][i], lang, 2)),
            h("Td", {className: "bar-cell"}, h("Div", {className: "bar", title: fmt(contributions[j], lang, 3),
              style: {width: Math.round(100 * contributions[j] / total) + "%"}}))
          ]);
        });
        const uvas = info.uvas[code];
        let spark = null;
        if (uvas) {
          const max = Math.max.apply(null, uvas.filter(function (v) { return v !== null; })) || 1;
          spark = h("Div", {className: "sparkline-wrap"}, [
            h("Span", {}, texts.t.uvas_sparkline + " " + info.uvas_years[0] + "–" + info.uvas_years[info.uvas_years.length - 1] + ": " + fmt(uvas[uvas.length - 1], lang, 1) + "\u00a0%"),
            h("Div", {className: "sparkline", role: "img", "aria-label": texts.t.uvas_sparkline},
              uvas.map(function (v, y) { return h("Span", {title: info.uvas_years[y] + ": " + fmt(v, lang, 1) + "\u00a0%", style: {height: Math.round(100 * (v || 0) / max) + "%"}}); }))
          ]);
        }
        return [
          h("H2", {}, info.names[i]),
          h("P", {className: "card-facts"}, [
            vm.rank[i] ? say(texts, "rank_of", {rank: vm.rank[i], n: n}) + " · Index " + fmt(vm.index[i], lang, 2) : texts.t.no_index,
            info.geso_names[i] ? " · GeSO: " + info.geso_names[i] : ""]),
          h("P", {className: "card-facts"}, texts.t.population + ": " + fmt(info.population[i], lang, 0) + " · " + texts.t.children_label + ": " + fmt(info.children[i], lang, 0)),
          h("Table", {className: "card-table"}, [
            h("Thead", {}, h("Tr", {}, [h("Th", {}, ""), h("Th", {}, texts.t.value), h("Th", {}, texts.t.scaled), h("Th", {}, texts.t.contribution)])),
            h("Tbody", {}, rows)]),
          spark,
          h("P", {className: info.generated[i] ? "card-source demo" : "card-source"}, info.generated[i] ? texts.t.data_generated : texts.t.data_real)
        ];
      },

      syncUrl: function () {
        const args = Array.prototype.slice.call(arguments);
        const texts = args.pop();
        const keys = Object.keys(texts.indicators);
        const kinds = Object.keys(texts.kinds);
        const weights = args.slice(0, keys.length);
        const rest = args.slice(keys.length);
        const level = rest[0], norm = rest[1], agg = rest[2], classes = rest[3], top = rest[4], ext = rest[5], minb = rest[6];
        const layerValues = rest.slice(7, 7 + kinds.length);
        const area = rest[7 + kinds.length];
        const shown = kinds.filter(function (k, i) { return layerValues[i] && layerValues[i].length; });
        const parts = ["w=" + keys.map(function (k, i) { return k + ":" + weights[i]; }).join(","),
          "level=" + level, "layers=" + shown.join(","), "norm=" + norm, "agg=" + agg, "classes=" + classes,
          "top=" + top, "ext=" + (ext === null || ext === undefined || ext === "" ? "none" : ext), "minb=" + minb];
        if (area) parts.push("area=" + encodeURIComponent(area));
        const query = "?" + parts.join("&");
        const here = "?" + parts.concat(["lang=" + texts.lang]).join("&");
        // Written when the user pauses (history calls are slow, and a drag is not a history entry).
        clearTimeout(window.malmoUrlTimer);
        window.malmoUrlTimer = setTimeout(function () {
          if (window.location.search !== here) window.history.pushState(null, "", here);
        }, 250);
        document.title = texts.t.page_title;  // Dash's own title is fixed at start-up, in Swedish
        const other = texts.lang === "sv" ? "en" : "sv";
        return [query, "/api/export.csv" + here, query + "&lang=" + other];
      }
    }
  });

  // Back and forward: the URL is the state, so show the page for that URL.
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
