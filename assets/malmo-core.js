/* Shared helpers for the Malmö dashboard's browser code (window.malmoLib). Every other file
   (map, panels, app) uses these, so a rule such as "text from data is never markup" lives once.

   Text from data (names) never becomes markup:
   - Leaflet tooltips take a string as HTML, so they get an element whose textContent is set (textElement);
   - the ranking table is an HTML string for speed, so every data string goes through escapeHtml;
   - plotly reads a subset of HTML in names, so they go through plotlyText;
   - everything else is drawn by Dash/React components (h), which set text. */
(function () {
  "use strict";

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

  // A cluster's name in the page's language, as the server named it (layers/index/clusters.py cluster_name).
  function clusterName(cluster, texts) {
    return (cluster.names && cluster.names[texts.lang]) || cluster.lead;
  }

  // The outlines of groups of areas (/api/outlines), in canonical order: the same groups give the
  // same URL, so the browser's cache serves a repeat.
  function outlinesUrl(groups, texts) {
    const g = groups.map(function (codes) { return codes.slice().sort().join("."); }).sort();
    return texts.base + "api/outlines?g=" + encodeURIComponent(g.join("-")).replace(/%2E/g, ".");
  }

  // Controls that Dash draws without names: radio buttons of one group share a name (so arrow keys
  // move between them), and each weight slider's handle is named after its indicator and says its
  // share. `prefix` is "" on the dashboard, "cmp-" for B's sliders on the compare page.
  // Each weight's share in words ("väger 25 %"), from the slider positions: the share beside each
  // slider and the slider's own value text say the same.
  function shareTexts(values, texts) {
    const total = values.reduce(function (a, b) { return a + (Number(b) || 0); }, 0);
    return values.map(function (w) {
      return say(texts, "share", {pct: (total > 0 ? Math.round(100 * (Number(w) || 0) / total) : 0) + "\u00a0%"});
    });
  }

  // What the page last painted, for the benchmarks and the tests: when, how long it took, how many
  // areas, and when the first map of the page was painted (bench/first_load.py).
  function markPainted(t0, n) {
    const at = performance.now();
    window.malmoPainted = {at: at, ms: at - t0, n: n, first: window.malmoPainted ? window.malmoPainted.first : at};
    return at;
  }

  // The weights' shares beside their sliders ("<prefix>share-<key>"), written straight into their
  // spans: at once, with no Dash callback on a move's path; the sliders named after the next frame.
  function writeShares(values, texts, prefix) {
    const keys = Object.keys(texts.indicators);
    shareTexts(values, texts).forEach(function (text, i) {
      const span = document.getElementById(prefix + "share-" + keys[i]);
      if (span && span.textContent !== text) span.textContent = text;
    });
    afterPaint(function () { nameControls(texts, prefix); });
  }

  function nameControls(texts, prefix, tries) {
    document.querySelectorAll(".choice-items input[type=radio], #level-select input[type=radio], #uvas-age input[type=radio], #embed-view input[type=radio]").forEach(function (input) {
      const group = input.closest("[id]").id;
      if (input.name !== group) input.name = group;
    });
    const keys = Object.keys(texts.indicators);
    const handles = keys.map(function (key) {
      const slider = document.getElementById(prefix + "weight-" + key);  // by id, not a selector built from a package's key
      return slider && slider.querySelector(".rc-slider-handle");
    });
    const shares = shareTexts(handles.map(function (h) { return h ? Number(h.getAttribute("aria-valuenow")) : 0; }), texts);
    if (handles.some(function (h) { return !h; }) && (tries || 0) < 200) {  // not drawn yet: on a later frame
      requestAnimationFrame(function () { nameControls(texts, prefix, (tries || 0) + 1); });
      return;
    }
    keys.forEach(function (key, i) {
      const handle = handles[i];
      if (!handle) return;
      if (handle.getAttribute("aria-label") !== texts.indicators[key]) handle.setAttribute("aria-label", texts.indicators[key]);
      if (handle.getAttribute("aria-valuetext") !== shares[i]) handle.setAttribute("aria-valuetext", shares[i]);
    });
  }

  function noUpdate() { return window.dash_clientside.no_update; }

  // Run `fn` once the browser has drawn the frame with the recoloured map (two animation frames):
  // the map shows first, the heavier table, chart and list follow (a Promise is a valid result).
  function afterPaint(fn) {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { setTimeout(function () { resolve(fn()); }, 0); });
      });
    });
  }

  // --- the view (layers/view.py's FIELDS, sent as the page's "view-spec" store) ----------------------
  // Generic over the spec: no parameter is named here. The encoding of each kind is the one of
  // layers/view.py `encode` (tests/test_browser.py holds the two to the same query for a set of views).
  function num(x) {  // Python's f"{x:g}" within a view's ranges: 6 significant digits
    return typeof x === "number" && isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
  }
  // A number as a person types it, by the rule of layers/reading.py parse_decimal: '0,55' or '0.55',
  // '1 234,5', '1.234,5' or '1,234.5' (the last mark is the decimal one), '−2'; null when empty,
  // NaN when it is no finite number (tests/test_browser.py holds the two rules to the same answers).
  function readDecimal(text) {
    if (typeof text === "number") return isFinite(text) ? text : NaN;
    if (text === null || text === undefined) return null;
    let s = String(text).trim().replace(/[\u00a0\u202f ]/g, "");
    if (s === "") return null;
    if (s.indexOf(",") >= 0 && s.indexOf(".") >= 0) {
      s = s.lastIndexOf(",") > s.lastIndexOf(".") ? s.replace(/\./g, "").replace(",", ".") : s.replace(/,/g, "");
    } else s = s.replace(/,/g, ".");
    s = s.replace("\u2212", "-");
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return NaN;
    const value = Number(s);
    return isFinite(value) ? value : NaN;
  }
  // A number as its text field shows it, in the page's language (layers/view.py control_text).
  function controlText(x, lang) {
    if (x === null || x === undefined || (typeof x === "number" && !isFinite(x))) return "";
    const text = typeof x === "number" ? num(x) : String(x);
    return lang === "sv" ? text.replace(".", ",") : text;
  }
  function encode(f, v) {
    if (f.kind === "weights") return f.items.map(function (k) { return k + ":" + num(v[k]); }).join(",");
    if (f.kind === "set") return (v || []).join(",");
    if (f.kind === "sort") return v ? v.column + ":" + v.direction : "";
    if (f.kind === "number") return v === null || v === undefined || v === "" || Number.isNaN(v) ? (f.none || "") : num(v);
    return v === null || v === undefined ? "" : String(v);
  }
  function urlText(s) {  // as Python's urlencode(safe=":,")
    return encodeURIComponent(s).replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%20/g, "+");
  }
  const view = {
    // The controls' values, in the order of the spec's controls ("{}": one per item), → the view.
    read: function (spec, values) {
      const out = {};
      let at = 0;
      spec.fields.forEach(function (f) {
        if (!f.control) { if (f.key in spec.page) out[f.key] = spec.page[f.key]; return; }
        if (!f.items) { out[f.key] = f.kind === "number" ? readDecimal(values[at++]) : values[at++]; return; }
        const mine = values.slice(at, at + f.items.length);
        at += f.items.length;
        if (f.kind === "weights") {
          out[f.key] = {};
          f.items.forEach(function (k, i) { out[f.key][k] = mine[i]; });
        } else {
          out[f.key] = f.items.filter(function (k, i) { return mine[i] && mine[i].length; });
        }
      });
      return out;
    },
    // The fields the view model depends on (its cache key): what the server is asked about.
    engine: function (spec, v) {
      const out = {};
      spec.fields.forEach(function (f) { if (f.engine && f.key in v) out[f.key] = v[f.key]; });
      return out;
    },
    // The query's parts in the URL's order ("scenario": only what a saved scenario keeps; `except`:
    // keys left out). A field that is not `always` is written only when it is not its default.
    parts: function (spec, v, which, except) {
      const out = [];
      spec.fields.forEach(function (f) {
        if (!(f.key in v) || (which === "scenario" && !f.scenario) || (except && except.indexOf(f.key) >= 0)) return;
        const text = encode(f, v[f.key]);
        if (f.always || text !== encode(f, f.default)) out.push(f.key + "=" + urlText(text));
      });
      return out;
    },
    query: function (spec, v, which, except) { return "?" + view.parts(spec, v, which, except).join("&"); },
    // What to set for a view: [[id, props], ...] (presentation mode steps through scenarios with it).
    controls: function (spec, v) {
      const out = [];
      spec.fields.forEach(function (f) {
        if (!f.control || !(f.key in v)) return;
        const id = f.control[0], prop = f.control[1], value = v[f.key];
        if (!f.items) { const p = {}; p[prop] = f.kind === "number" ? controlText(value, v.lang) : value; out.push([id, p]); return; }
        f.items.forEach(function (k) {
          const p = {};
          p[prop] = f.kind === "weights" ? value[k] : ((value || []).indexOf(k) >= 0 ? [k] : []);
          out.push([id.replace("{}", k), p]);
        });
      });
      return out;
    },
    // A number the spec's limits refuse (the server says why; the URL keeps the last good view).
    // The number fields whose value the method cannot use (the spec's limits, as layers/view.py checks them).
    invalid: function (spec, v) {
      return spec.fields.filter(function (f) {
        if (f.kind !== "number" || !(f.key in v)) return false;
        const x = v[f.key];
        if (f.none !== null && f.none !== undefined && (x === null || x === undefined || x === "" || Number.isNaN(x))) return false;
        return !(typeof x === "number" && isFinite(x) && x >= f.low && x <= f.high && (!f.whole || x === Math.round(x)));
      });
    },
    outOfRange: function (spec, v) { return view.invalid(spec, v).length > 0; },
    // Each refused number is told at its field (3.3.1): the field is marked invalid and described by
    // a message that quotes what was typed and says the range; the first such field gets the focus.
    markInvalid: function (spec, v, texts) {
      const bad = view.invalid(spec, v).map(function (f) { return f.key; });
      let first = null;
      spec.fields.forEach(function (f) {
        if (f.kind !== "number" || !f.control) return;
        const input = document.getElementById(f.control[0]), box = document.getElementById(f.control[0] + "-error");
        if (!input || !box) return;
        const described = f.control[0] + "-hint " + f.control[0] + "-error";  // dcc.Input takes no aria props
        if (input.getAttribute("aria-describedby") !== described) input.setAttribute("aria-describedby", described);
        const wrong = bad.indexOf(f.key) >= 0;
        const text = wrong ? say(texts, "field_error", {value: input.value === "" ? "–" : input.value, low: fmt(f.low, texts.lang),
                                                        high: fmt(f.high, texts.lang)}) : "";
        if (box.textContent !== text) box.textContent = text;
        if (wrong) {  // focus once for each value refused
          if (input.getAttribute("data-refused") !== input.value && !first) first = input;
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("data-refused", input.value);
        } else {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("data-refused");
        }
      });
      if (first) {
        const panel = first.closest("details");
        if (panel) panel.open = true;
        // after the key or click that committed the value has moved the focus where it was going
        window.setTimeout(function () { if (document.activeElement !== first) first.focus(); }, 0);
      }
    }
  };
  view.readDecimal = readDecimal;
  view.controlText = controlText;
  window.malmoFields = view;

  // The palette (layers/output/palette.py), as the page's CSS custom properties: one source for the
  // pictures, the stylesheet and this code.
  const colours = {};
  function colour(name) {
    if (!(name in colours)) colours[name] = getComputedStyle(document.documentElement).getPropertyValue("--" + name).trim();
    return colours[name];
  }

  // A line's look from the palette: colour, dash (plotly's "8px,3px"), marker and width.
  function look(name) {
    const dash = colour(name + "-dash"), marker = colour(name + "-marker");
    return {color: colour(name), dash: dash === "none" ? "solid" : dash.split(",").map(function (x) { return x + "px"; }).join(","),
            marker: marker === "none" ? null : marker, width: Number(colour(name + "-width"))};
  }
  // A sample of a line for a legend, its dash drawn as a CSS gradient.
  function lineSample(name) {
    const l = look(name), c = l.color;
    let bg = c;
    if (l.dash !== "solid") {
      let at = 0;
      const stops = [];
      l.dash.split(",").forEach(function (d, i) {
        const next = at + parseFloat(d);
        stops.push((i % 2 ? "transparent " : c + " ") + at + "px " + next + "px");
        at = next;
      });
      bg = "repeating-linear-gradient(90deg," + stops.join(",") + ")";
    }
    return h("Span", {className: "swatch line-sample", style: {height: l.width + "px", background: bg, border: "none",
                                                                 boxShadow: "0 0 0 1px " + colour("casing")}});
  }
  // A hatched fill for a class (palette.DIFF_HATCH): an SVG pattern for the map, a gradient for a swatch.
  function hatched(k) { return colour("diff-hatch-" + k) === "1"; }
  let patternsFor = null;
  function hatchPatterns(colours) {
    const key = colours.join(",");
    if (key === patternsFor && document.getElementById("malmo-patterns")) return;  // drawn already: not again on every move
    patternsFor = key;
    let svg = document.getElementById("malmo-patterns");
    if (!svg) {
      svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.id = "malmo-patterns";
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("style", "position:absolute;width:0;height:0");
      document.body.appendChild(svg);
    }
    svg.innerHTML = "";
    const defs = document.createElementNS("http://www.w3.org/2000/svg", "defs");
    colours.forEach(function (c, k) {
      if (!hatched(k)) return;
      const p = document.createElementNS("http://www.w3.org/2000/svg", "pattern");
      p.id = "hatch-" + k;
      ["patternUnits", "userSpaceOnUse", "width", "8", "height", "8", "patternTransform", "rotate(45)"].forEach(function (v, i, a) {
        if (i % 2 === 0) p.setAttribute(v, a[i + 1]);
      });
      const bg = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      bg.setAttribute("width", "8"); bg.setAttribute("height", "8"); bg.setAttribute("fill", c);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      line.setAttribute("width", "2.5"); line.setAttribute("height", "8"); line.setAttribute("fill", "#ffffff");
      p.appendChild(bg); p.appendChild(line); defs.appendChild(p);
    });
    svg.appendChild(defs);
  }
  function fillOf(colours, k) { return hatched(k) ? "url(#hatch-" + k + ")" : colours[k]; }
  function swatchFill(colours, k) {
    const c = colours[k];
    return hatched(k) ? "repeating-linear-gradient(45deg," + c + " 0 4px,#ffffff 4px 5.8px)" : c;
  }
  // One status for screen readers that says what a change did to the ranking, once per change: a
  // second after the last move, the areas of the top ten that moved ("Örtagården upp till 3") and
  // whether the clusters changed. The card, the legend and the lists are not live regions (4.1.3).
  const announce = {last: null, timer: null};
  function rankingStatus(ranks, codes, names, clusters, texts) {
    const now = {rank: {}, clusters: JSON.stringify(clusters)};
    codes.forEach(function (code, i) { now.rank[code] = ranks[i] || 0; });
    const before = announce.last;
    if (before && before.clusters === now.clusters && codes.every(function (code) { return before.rank[code] === now.rank[code]; })) {
      return;  // the same ranking drawn again (another map mode, the analysis arriving): nothing to say, and what is about to be said stays
    }
    announce.last = now;
    if (!before) return;  // the first view: nothing changed
    window.clearTimeout(announce.timer);
    const moved = codes.map(function (code, i) { return {name: names[i], was: before.rank[code] || 0, is: now.rank[code]}; })
      .filter(function (m) { return m.was !== m.is && ((m.is > 0 && m.is <= 10) || (m.was > 0 && m.was <= 10)); })
      .sort(function (a, b) { return (a.is || 1e9) - (b.is || 1e9); });
    const parts = moved.slice(0, 4).map(function (m) {
      if (!m.is) return say(texts, "status_out", {name: m.name});
      return say(texts, m.is < m.was || !m.was ? "status_up" : "status_down", {name: m.name, rank: m.is});
    });
    if (moved.length > 4) parts.push(say(texts, "status_more", {n: moved.length - 4}));
    const text = (parts.length ? parts.join(", ") : texts.t.status_top_same) + "; " +
                 (before.clusters === now.clusters ? texts.t.status_clusters_same : texts.t.status_clusters_changed);
    announce.timer = window.setTimeout(function () {
      const box = document.getElementById("ranking-status");
      if (box) { box.textContent = text; window.malmoAnnounced = (window.malmoAnnounced || 0) + 1; }
    }, 1000);
  }

  // "Visa som tabell": a chart's values as a table, made from the figure itself (every named line
  // with its x and y), so the table says exactly what the chart draws (1.1.1). Written as text.
  function chartTable(id, figure, texts) {
    const box = document.getElementById(id);
    if (!box || !figure || !figure.data) return;
    let lines = figure.data.filter(function (d) { return d.name && d.y && d.fill !== "toself" && d.hoverinfo !== "skip"; });
    const heat = figure.data.find(function (d) { return d.type === "heatmap"; });
    if (heat) lines = heat.y.map(function (name, k) { return {name: name, x: heat.x, y: heat.z[k]}; });  // a row per row of the map
    if (!lines.length) { box.textContent = ""; return; }
    const xs = [];
    lines.forEach(function (d) { d.x.forEach(function (x) { if (xs.indexOf(x) < 0) xs.push(x); }); });
    const title = (figure.layout && figure.layout.title && figure.layout.title.text || texts.t.show_table).split("<br>")[0];
    // plotly's escaped text back to text (an inert document: nothing in it loads or runs)
    const plain = function (s) { return new DOMParser().parseFromString(String(s), "text/html").body.textContent; };
    // one number of decimals for the whole table: none for ranks, two for correlations, one for shares
    const whole = lines.every(function (d) { return d.y.every(function (v) { return v === null || Number.isInteger(v); }); });
    const decimals = whole ? 0 : heat ? 2 : 1;
    const value = function (v) { return v === null || v === undefined ? "–" : typeof v === "number" ? fmt(v, texts.lang, decimals) : String(v); };
    box.innerHTML = "<table class='chart-values'><caption>" + escapeHtml(plain(title)) + "</caption><thead><tr><td></td>" +
      xs.map(function (x) { return "<th scope='col'>" + escapeHtml(plain(x)) + "</th>"; }).join("") + "</tr></thead><tbody>" +
      lines.map(function (d) {
        const name = d.meta && d.meta.table ? d.meta.table : plain(d.name);  // meta.table: already text, not plotly's
        return "<tr><th scope='row'>" + escapeHtml(name) + "</th>" + xs.map(function (x) {
          const k = d.x.indexOf(x);
          return "<td>" + escapeHtml(value(k >= 0 ? d.y[k] : null)) + "</td>";
        }).join("") + "</tr>";
      }).join("") + "</tbody></table>";
  }

  function series(k) { return look("series-" + (k % Number(colour("series-count")))); }

  window.malmoLib = {
    h: h, fmt: fmt, say: say, textElement: textElement, escapeHtml: escapeHtml, plotlyText: plotlyText,
    clusterName: clusterName, shareTexts: shareTexts, writeShares: writeShares, markPainted: markPainted, outlinesUrl: outlinesUrl, nameControls: nameControls, noUpdate: noUpdate, afterPaint: afterPaint,
    collator: {sv: new Intl.Collator("sv"), en: new Intl.Collator("en")},
    colour: colour, look: look, series: series, rankingStatus: rankingStatus, chartTable: chartTable, lineSample: lineSample, hatchPatterns: hatchPatterns, fillOf: fillOf, swatchFill: swatchFill
  };
  Object.defineProperty(window.malmoLib, "NO_DATA", {get: function () { return colour("no-data"); }});
  Object.defineProperty(window.malmoLib, "OUTLINE", {get: function () { return colour("outline"); }});
})();
