/* The dashboard's client-side callbacks (window.dash_clientside.malmo) and page-wide behaviour:
   the URL as state and its history, clicks in the table and cluster list, search, copy link,
   closing notices. Drawing is in malmo-map.js and malmo-panels.js; helpers in malmo-core.js. */
(function () {
  "use strict";
  // On a phone or a tablet the controls come first, as in the page's order, folded to one line so
  // the map is in view; a tap unfolds them. Not on the wall, where the bar is the controls.
  (function foldControls(tries) {
    const fold = document.querySelector("#page .controls-fold");
    if (!fold) {  // until the dashboard is drawn (other pages have no such fold: give up after a few seconds)
      if (tries < 600 && !document.querySelector("#cmp-page, .embed")) window.requestAnimationFrame(function () { foldControls(tries + 1); });
      return;
    }
    if (window.matchMedia("(max-width: 1100px)").matches && !document.querySelector("#page.present")) fold.open = false;
  })(0);
  const lib = function () { return window.malmoLib; };
  const setProps = function (id, props) { window.dash_clientside.set_props(id, props); };
  let firstFocusDone = false;

  // Clicks anywhere on the page that concern the dashboard (set_props: no server round trip).
  document.addEventListener("click", function (event) {
    const el = event.target.closest ? event.target : null;
    if (!el || !window.dash_clientside || !window.dash_clientside.set_props) return;
    const sortButton = el.closest("#ranking-table-container button[data-sort]");
    if (sortButton) {
      const key = sortButton.getAttribute("data-sort");
      const current = window.malmoSort || {column: "rank", direction: "asc"};
      window.malmoSort = {column: key, direction: current.column === key && current.direction === "asc" ? "desc" : "asc"};
      setProps("table-sort", {data: window.malmoSort});
      return;
    }
    const row = el.closest("#ranking-table-container tr[data-code]");
    if (row) {  // a row selects its area and brings it into the map's view
      const code = row.getAttribute("data-code");
      window.malmoMap.focus([code], "pan");
      setProps("selected-area", {data: code});
      return;
    }
    const cluster = el.closest("button.cluster-zoom");
    if (cluster) {
      const id = cluster.getAttribute("data-cluster");
      const vm = window.malmoLastView;
      const c = vm && vm.clusters.find(function (x) { return x.id === id; });
      if (c) {
        window.malmoMap.focus(c.members.map(function (m) { return m.code; }), "zoom");
        window.malmoMap.highlightCluster(id);
      }
      return;
    }
    if (el.closest(".notice-close")) { el.closest(".notice").hidden = true; return; }
    const skip = el.closest(".skip-links a");
    if (skip) {  // focus where the link says (the address keeps its query: no #hash in the state)
      const target = document.getElementById(skip.getAttribute("href").slice(1));
      if (target) { event.preventDefault(); target.focus(); target.scrollIntoView({block: "start"}); }
      return;
    }
    if (el.closest("a.how-link")) {
      const how = document.getElementById("how-it-works");
      if (how) { event.preventDefault(); how.open = true; how.scrollIntoView({block: "start"}); how.querySelector("summary").focus(); }
      return;
    }
    const hit = el.closest("button.search-hit");
    if (hit) { chooseArea(hit.getAttribute("data-area"), hit.textContent); return; }
    if (el.closest("#copy-link")) copyText(window.location.href, "copy-status");
    if (el.closest("#copy-snippet")) copyText((document.getElementById("embed-snippet") || {}).value || "", "copy-snippet-status");
  });

  // Enter in the search box chooses the first result, as a search box does.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target || event.target.id !== "area-search") return;
    const first = document.querySelector("#area-search-results button.search-hit");
    if (first) { event.preventDefault(); chooseArea(first.getAttribute("data-area"), first.textContent); }
  });

  // Once the area card shows `name`, do `then` with its heading (the card is drawn a moment later).
  function onCard(name, then) {
    const until = Date.now() + 5000;
    (function look() {
      const heading = document.querySelector("#area-card h2.card-title");
      if (heading && name.indexOf(heading.textContent) === 0) { then(heading); return; }
      if (Date.now() < until) setTimeout(look, 50);
    })();
  }

  function copyText(text, statusId) {
    const texts = window.malmoTexts;
    const say = function (key) { const s = document.getElementById(statusId); if (s) s.textContent = texts ? texts.t[key] : ""; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { say("copied"); }, function () { say(fallbackCopy(text) ? "copied" : "copy_failed"); });
    } else {
      say(fallbackCopy(text) ? "copied" : "copy_failed");
    }
  }
  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function fold(text) {
    return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();  // as layers/reading.py fold
  }

  // A search result: switch to its level, select it and zoom to it (once its level is drawn).
  function chooseArea(value, label) {
    const at = value.indexOf(":");
    const level = value.slice(0, at), code = value.slice(at + 1);
    window.malmoMap.focus([code], "zoom");
    window.malmoPanels.scrollToSelectedRow();
    setProps("level-select", {value: level});
    setProps("selected-area", {data: code});
    setProps("area-search", {value: ""});
    // focus goes to the chosen area's card, once it shows that area (2.4.3): the search box empties
    onCard(label || "", function (heading) { heading.focus(); });
  }

  // The URL is the state. The first write after the page opens replaces the history entry (a
  // short link becomes the full one without a new entry, so Back leaves the app); only a
  // user's own change adds an entry. Written when the user pauses: a drag is not a history entry.
  let urlWritten = false;
  function writeUrl(query) {
    clearTimeout(window.malmoUrlTimer);
    window.malmoUrlPending = true;  // tests wait for it to be written (tests/browser_support.py settled)
    window.malmoUrlTimer = setTimeout(function () {
      window.malmoUrlPending = false;
      if (window.location.search === query) { urlWritten = true; return; }
      if (urlWritten) window.history.pushState(null, "", query);
      else window.history.replaceState(null, "", query);
      urlWritten = true;
    }, 250);
  }
  // A view model belongs to the level data on the page only if both come from the same set of areas:
  // after a new package version is published, the page reloads its level data before it paints.
  function sameAreas(vm, info) {
    return !!(vm && info && vm.level === info.level && vm.level_digest === info.digest);
  }

  // The map recoloured for a view model, and what goes with it (the notice's words, the status).
  function paintView(vm, info, selected, mode, analysis, allocation, texts) {
    const t0 = performance.now();
    window.malmoLastView = vm;
    if (!firstFocusDone) {  // a link with area= opens zoomed to that area
      firstFocusDone = true;
      if (selected) window.malmoMap.focus([selected], "zoom");
    }
    const shown = window.malmoAnalysis.mapView(vm, info, mode, analysis, allocation, texts);
    window.malmoMap.paint(shown ? shown.view : vm, info, selected, texts);
    const words = document.getElementById("data-notice-words");  // what is generated at this level
    if (words && texts.notices && texts.notices[info.level] && words.textContent !== texts.notices[info.level]) words.textContent = texts.notices[info.level];
    lib().afterPaint(function () {  // not on the map's critical path
      lib().nameControls(texts, "");
      lib().rankingStatus(vm.rank, info.codes, info.names, vm.clusters.map(function (c) { return c.members.map(function (m) { return m.code; }); }), texts);
      if (texts.present) window.malmoPanels.presentTop(vm, info, texts);
    });
    return lib().markPainted(t0, info.codes.length);
  }

  // The map is painted as soon as the view model arrives: its response is read once more here, and
  // the map recoloured and drawn before Dash passes it through every store update and callback it sets
  // off (on a page of ~480 components that took ~40 ms). When Dash then calls paint with an equal view
  // model and the same other inputs, the map is left as it is. The compare page does the same with
  // its model (malmo-compare.js).
  let paintArgs = null;  // paint's other inputs, as it last had them
  let early = null;  // {vm, args}: what was painted on arrival
  function sameView(a, b) {  // the view model names its own settings (layers/output/viewmodel.py "key")
    return !!(a && b && a.key && a.key === b.key && a.level_digest === b.level_digest);
  }
  // Early painters by the output their callback answers (Dash's "..id.prop.." key): each takes the
  // answer's response and paints from it if it can (true), before Dash has it. The compare page adds its own.
  const earlyPainters = window.malmoEarlyPainters = {
    "..view-model.data..": function (response) {
      const vm = response["view-model"] && response["view-model"].data;
      const args = paintArgs;
      if (!vm || !args || !sameAreas(vm, args[0])) return false;
      paintView.apply(null, [vm].concat(args));
      early = {vm: vm, args: args};
      return true;
    }
  };
  function painterFor(body) {
    if (body.indexOf(".data..") < 0) return null;
    const key = Object.keys(earlyPainters).find(function (k) { return body.indexOf(k) >= 0; });
    if (!key) return null;
    let output = "";
    try { output = JSON.parse(body).output || ""; } catch (e) { return null; }
    return output.indexOf(key) === 0 ? earlyPainters[key] : null;
  }
  const innerFetch = window.fetch;
  let handoff = Promise.resolve();  // the last painted answer handed to Dash
  window.fetch = function (input, init) {
    const answer = innerFetch.apply(this, arguments);
    const painter = painterFor(init && typeof init.body === "string" ? init.body : "");
    if (!painter) return answer;
    return answer.then(function (r) {
      if (!r.ok) return r;
      // answers reach Dash in the order they arrived: one held back for its frame must not let a later one pass it
      const before = handoff;
      const mine = r.clone().json().then(function (data) {
        if (!data || !data.response || !painter(data.response)) return r;
        // Dash gets the answer once the browser has drawn the new colours (the frame after the next has
        // begun): its own work (every store and callback the answer sets off) would otherwise hold
        // that frame back
        return new Promise(function (resolve) { requestAnimationFrame(function () { requestAnimationFrame(function () { setTimeout(function () { resolve(r); }, 0); }); }); });
      }, function () { return r; })  // Dash reads the answer and says what went wrong
        .then(function (answered) { return before.then(function () { return answered; }); });
      handoff = mine.then(function () {}, function () {});
      return mine;
    });
  };

  // The report and the picture are drawn on the server, one at a time: the first can take a while on
  // a busy server. The page fetches them itself and says in words that it is working and for how
  // long, then downloads the file; a second click while it works only says so again. With a modifier
  // key (a new tab) or without fetch, the link is an ordinary link.
  const drawing = {};
  document.addEventListener("click", function (event) {
    const a = event.target.closest && event.target.closest("a.export-other[data-format=pdf], a.export-other[data-format=png]");
    const status = document.getElementById("export-status"), texts = window.malmoTexts;
    if (!a || !status || !texts || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || !window.fetch) return;
    event.preventDefault();
    const what = a.textContent, key = a.getAttribute("data-format");
    const since = function (t0) { return Math.round((Date.now() - t0) / 1000); };
    if (drawing[key]) { status.textContent = lib().say(texts, "export_waiting", {what: what, s: since(drawing[key])}); return; }
    const started = drawing[key] = Date.now();
    const seconds = function () { return since(started); };
    status.textContent = lib().say(texts, "export_making", {what: what});
    const tick = setInterval(function () { status.textContent = lib().say(texts, "export_waiting", {what: what, s: seconds()}); }, 2000);
    fetch(a.href, {cache: "no-store"}).then(function (r) {
      if (!r.ok) {  // the server's one error shape (dashboard/guard.py): its words, never a page
        return r.text().then(function (body) {
          let message = String(r.status);
          try { message = JSON.parse(body).error || message; } catch (e) { /* a proxy's own page */ }
          throw new Error(message);
        });
      }
      const named = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
      return r.blob().then(function (blob) { return {blob: blob, name: named ? named[1] : "export." + key}; });
    }).then(function (file) {
      const url = URL.createObjectURL(file.blob), link = document.createElement("a");
      link.href = url;
      link.download = file.name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      status.textContent = lib().say(texts, "export_done", {what: what, s: seconds()});
    }).catch(function (err) {
      status.textContent = lib().say(texts, "export_failed", {what: what, reason: err.message});
    }).finally(function () { clearInterval(tick); drawing[key] = null; });
  });

  // The weights' shares beside the sliders, at once and in the browser (not after the server's view
  // model, which may be late or never come: 4.1.2), written straight into their spans (no Dash callback
  // on a move's path); once the user pauses, the preset the sliders match is named ("Egna vikter" if none).
  const VIEW_PAUSE_MS = 150;
  let viewTimer = null;
  function weightShares(weights, shownPreset, texts) {
    const keys = Object.keys(texts.indicators);
    const values = keys.map(function (k) { return weights[k]; });
    lib().writeShares(values, texts, "");
    clearTimeout(window.malmoPresetTimer);
    window.malmoPresetTimer = setTimeout(function () {
      const match = Object.keys(texts.presets).find(function (name) {
        return keys.every(function (k, i) { return texts.presets[name][k] === values[i]; });
      }) || "custom";
      if (match === shownPreset) return;
      window.malmoPresetLabel = match;
      setProps("preset-select", {value: match});
    }, 300);
  }

  // A chart's graph (and so plotly, most of a page's bytes and seconds of a phone's CPU) is mounted
  // once its place comes near the screen, or is opened (dashboard/layout.py CHARTS): the page tells
  // Dash through the place's "-near" store, and mountChart returns the graph.
  const chartWatch = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) return;
      chartWatch.unobserve(e.target);
      setProps(e.target.id.replace(/-slot$/, "-near"), {data: true});
    });
  }, {rootMargin: "0px 0px 50% 0px"}) : null;
  function watchCharts() {
    document.querySelectorAll(".chart-slot.waiting").forEach(function (slot) {  // drawn: no longer "being fetched"
      if (slot.querySelector(".main-svg")) slot.classList.remove("waiting");
    });
    // on a page with a map, from its first paint on: before it the page is short, and every place "near"
    if (document.getElementById("map") && !window.malmoPainted) return;
    document.querySelectorAll(".chart-slot:not([data-watched])").forEach(function (slot) {
      slot.setAttribute("data-watched", "1");
      if (chartWatch) chartWatch.observe(slot); else setProps(slot.id.replace(/-slot$/, "-near"), {data: true});
    });
  }
  // watched as the page is drawn; once every chart of the page is watched and drawn, no longer
  const chartPages = new MutationObserver(function () {
    watchCharts();
    const slots = document.querySelectorAll(".chart-slot");
    if (slots.length && !document.querySelector(".chart-slot.waiting, .chart-slot:not([data-watched])")) chartPages.disconnect();
  });
  chartPages.observe(document.documentElement, {childList: true, subtree: true});

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    malmo: {
      mountChart: function (near, figure, slotId) {
        const slot = document.getElementById(slotId);
        if (!near || !slot || !figure) return lib().noUpdate();
        const props = JSON.parse(slot.getAttribute("data-graph"));
        if (document.getElementById(props.id)) {  // mounted: the new figure (plotly.react keeps what it can)
          setProps(props.id, {figure: figure});
          return lib().noUpdate();
        }
        return lib().h("Graph", Object.assign(props, {figure: figure}), undefined, "dash_core_components");
      },

      paint: function (vm, info, selected, mode, analysis, allocation, texts) {
        const args = [info, selected, mode, analysis, allocation, texts];
        paintArgs = args;
        if (!sameAreas(vm, info)) return lib().noUpdate();
        const ahead = early;
        early = null;
        if (ahead && sameView(ahead.vm, vm) && ahead.args.every(function (a, i) { return a === args[i]; })) {
          window.malmoLastView = vm;  // painted when it arrived: the map already shows it
          return window.malmoPainted.at;
        }
        return paintView(vm, info, selected, mode, analysis, allocation, texts);
      },

      presets: function (preset, reset, texts) {
        const keys = Object.keys(texts.indicators);
        const presets = texts.presets;
        const nu = lib().noUpdate;
        const trigger = ((window.dash_clientside.callback_context.triggered || [])[0] || {}).prop_id || "";
        if (trigger.indexOf("reset-weights") === 0) return keys.map(function (k) { return presets.equal[k]; }).concat(["equal"]);
        if (window.malmoPresetLabel === preset) {  // we only named the preset the sliders match: not a choice
          window.malmoPresetLabel = null;
          return keys.map(nu).concat([nu()]);
        }
        if (presets[preset]) return keys.map(function (k) { return presets[preset][k]; }).concat([nu()]);
        return keys.map(nu).concat([nu()]);
      },

      outlines: function (vm, texts) {
        if (!vm) return lib().noUpdate();
        return lib().outlinesUrl(vm.clusters.map(function (c) { return c.members.map(function (m) { return m.code; }); }), texts);
      },

      // When the analysis or the allocation arrives: redraw what shows it (only if it belongs to the view on screen).
      paintLater: function (analysis, allocation, vm, info, selected, mode, texts) {
        if (mode === "index" || !vm) return lib().noUpdate();
        return window.dash_clientside.malmo.paint(vm, info, selected, mode, analysis, allocation, texts);
      },
      legendLater: function (analysis, allocation, vm, mode, info, method, texts) {
        if (mode === "index" || !vm) return lib().noUpdate();
        return window.dash_clientside.malmo.legend(vm, mode, info, analysis, allocation, method, texts);
      },
      clusterListLater: function (analysis, vm, level, info, texts) {
        return window.malmoAnalysis.valid(analysis, vm) ? window.dash_clientside.malmo.clusterList(vm, level, analysis, info, texts) : lib().noUpdate();
      },
      tableLater: function (analysis, vm, info, sort, selected, scaled, texts) {
        return window.malmoAnalysis.valid(analysis, vm) ? window.dash_clientside.malmo.table(vm, info, sort, selected, scaled, analysis, texts) : lib().noUpdate();
      },
      cardLater: function (analysis, code, vm, info, scaled, texts) {
        if (!window.malmoAnalysis.valid(analysis, vm) || !code) return lib().noUpdate();
        return lib().afterPaint(function () { return window.malmoPanels.card(code, vm, info, texts, analysis, scaled); });
      },

      legend: function (vm, mode, info, analysis, allocation, method, texts) {
        if (!sameAreas(vm, info)) return lib().noUpdate();
        return window.malmoPanels.legend(vm, method, texts, window.malmoAnalysis.mapView(vm, info, mode, analysis, allocation, texts));
      },

      // The analysis follows once the controls have been still for a moment (not on every step of a drag).
      settle: function (vm) {
        if (!vm) return lib().noUpdate();
        const mine = (window.malmoSettle = (window.malmoSettle || 0) + 1);
        return new Promise(function (resolve) {
          setTimeout(function () { resolve(mine === window.malmoSettle ? vm.key : lib().noUpdate()); }, 400);
        });
      },

      // Drawn only while its panel is open (a heat map is not worth drawing on every analysis unseen).
      drivers: function (analysis, opened, vm, texts) {
        const panel = document.getElementById("drivers-panel");
        if (!vm || !panel || !panel.open) return [lib().noUpdate(), lib().noUpdate()];
        return window.malmoAnalysis.drivers(analysis, vm, texts);
      },

      gap: function (vm, texts) {
        return vm ? window.malmoAnalysis.gap(vm, texts) : lib().noUpdate();
      },

      clusterList: function (vm, level, analysis, info, texts) {
        if (!vm || (info && info.level === vm.level && !sameAreas(vm, info))) return lib().noUpdate();
        return lib().afterPaint(function () { return window.malmoPanels.clusterList(vm, level, texts, info, analysis || null); });
      },

      trend: function (vm, info, selected, texts) {
        if (!sameAreas(vm, info)) return lib().noUpdate();
        return lib().afterPaint(function () { return window.malmoPanels.trend(vm, info, selected, texts); });
      },

      table: function (vm, info, sort, selected, scaled, analysis, texts) {
        if (!sameAreas(vm, info)) return lib().noUpdate();
        window.malmoSort = sort;
        return lib().afterPaint(function () { return window.malmoPanels.table(vm, info, sort, selected, texts, analysis || null, scaled); });
      },

      card: function (code, vm, info, scaled, analysis, texts) {
        return sameAreas(vm, info) ? window.malmoPanels.card(code, vm, info, texts, analysis || null, scaled) : lib().noUpdate();
      },

      select: function (click, level, current, index) {
        const trigger = (window.dash_clientside.callback_context.triggered || [])[0] || {};
        if (trigger.prop_id === "areas.clickData" && click && click.properties) {
          window.malmoPanels.scrollToSelectedRow();  // the map chose: bring the table's row into view
          if (window.matchMedia("(max-width: 1100px)").matches) {  // one column: the card is below the map, out of sight
            const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
            onCard(click.properties.name || "", function (heading) { heading.scrollIntoView({block: "start", behavior: still ? "auto" : "smooth"}); });
          }
          return click.properties.code;
        }
        // another level: an area not of it is let go (the search index names every area by level:code)
        if (trigger.prop_id === "level-select.value" && current && index && !index.some(function (o) { return o[1] === level + ":" + current; })) return null;
        return lib().noUpdate();
      },

      // "Bädda in": an <iframe> for the current state (the page's own query), a view and a size.
      embedSnippet: function (view, width, height, query, texts) {
        const w = Math.max(240, Math.min(4000, Math.round(Number(width) || 600)));
        const hgt = Math.max(200, Math.min(4000, Math.round(Number(height) || 450)));
        const src = window.location.origin + texts.base + "embed/" + view + window.location.search;
        const title = texts.t.page_title + " – " + (texts.views[view] || view);
        const esc = lib().escapeHtml;
        return "<iframe src=\"" + esc(src) + "\" title=\"" + esc(title) + "\" width=\"" + w + "\" height=\"" + hgt +
          "\" style=\"border:0;max-width:100%\" loading=\"lazy\"></iframe>";
      },

      // The search box: matches ignore case and diacritics ("sodra" finds Södra); names that start
      // with the text first; each result is a button (keyboard and screen readers as usual).
      searchList: function (text, index, texts) {
        const lib_ = lib(), h = lib_.h;
        const q = fold(text || "").trim();
        if (q.length < 2) return [[], ""];
        const starts = [], contains = [];
        index.forEach(function (o) {
          const at = o[2].indexOf(q);
          if (at === 0 || o[2].indexOf(" " + q) >= 0) starts.push(o); else if (at > 0) contains.push(o);
        });
        const hits = starts.concat(contains);
        const items = hits.length ? hits.slice(0, 8).map(function (o) {
          return h("Li", {}, h("Button", {type: "button", className: "search-hit", "data-area": o[1]}, o[0]));
        }) : [h("Li", {className: "search-none"}, texts.t.search_none)];  // said where the results would be, not only to a screen reader
        return [items, hits.length ? lib_.say(texts, "search_count", {n: hits.length}) : texts.t.search_none];
      },

      // The one view store, from the controls by id (layers/view.py's spec), and its engine part (what
      // the view model depends on) only when that part changed. A move of one of those controls asks for
      // the view model at once; the full view (the URL, the links, the exports: syncUrl) follows once the
      // move pauses, so that its work does not hold back the answer. The shares are written at once.
      readView: function () {
        const args = Array.prototype.slice.call(arguments);
        const texts = args.pop();
        const preset = args.pop();
        const spec = args.pop();
        window.malmoViewSpec = spec;  // for presentation mode's stepping
        window.malmoTexts = texts;  // for the copy, export and scenario handlers outside Dash
        const V = window.malmoFields;
        const v = V.read(spec, args);
        const engine = V.engine(spec, v);
        const weights = spec.fields.find(function (f) { return f.kind === "weights"; });
        if (weights && v[weights.key]) weightShares(v[weights.key], preset, texts);
        const key = JSON.stringify(engine);
        const first = window.malmoEngineKey === undefined;
        const same = key === window.malmoEngineKey;
        window.malmoEngineKey = key;
        clearTimeout(viewTimer);
        if (same || first) return [v, same ? lib().noUpdate() : engine];
        viewTimer = setTimeout(function () { setProps("view", {data: v}); }, VIEW_PAUSE_MS);
        return [lib().noUpdate(), engine];
      },

      // The URL, the links and the exports follow the view (all written by the spec's one query writer).
      syncUrl: function (v, spec, texts) {
        const V = window.malmoFields, nu = lib().noUpdate;
        // A number the method form cannot use is refused with a notice (server side); the URL keeps the last good view.
        if (v) V.markInvalid(spec, v, texts);
        if (!v || V.outOfRange(spec, v)) return [nu(), nu(), nu()];
        const here = V.query(spec, v);
        const kept = V.parts(spec, v, "scenario").join("&");
        window.malmoQuery = kept;  // what "Spara scenario" saves
        const compare = document.getElementById("compare-link");  // A: this view; B: a copy to move
        if (compare) compare.setAttribute("href", texts.base + "compare?a=" + encodeURIComponent(kept) + "&b=" +
                                          encodeURIComponent(kept) + "&lang=" + v.lang);
        document.querySelectorAll("a.room-link").forEach(function (a) {  // a room opened for this view (dashboard/rooms.py)
          a.setAttribute("href", texts.base + "rum?" + kept + "&lang=" + v.lang);
        });
        const present = document.getElementById("present-link");
        if (present) present.setAttribute("href", texts.base + V.query(spec, Object.assign({}, v, {mode: v.mode ? "" : "present"})));
        writeUrl(here);
        const exported = V.query(spec, v, "all", ["mode"]);
        document.querySelectorAll("a.export-other").forEach(function (a) {  // the other exports follow the view too
          a.setAttribute("href", texts.base + "api/export." + a.getAttribute("data-format") + exported);
        });
        // the server wrote the page's own title, in its language (dashboard/app.py page_title): keep it
        const other = v.lang === "sv" ? "en" : "sv";
        return [here, texts.base + "api/export.csv" + exported, V.query(spec, Object.assign({}, v, {lang: other}))];
      }
    }
  });

  // When the server stops answering (restart, network), say so; when it answers again, say nothing
  // more and catch up with the controls as they are now (the catch-up store re-runs the view model).
  const realFetch = window.fetch.bind(window);
  const SLOW_MS = 10000;
  let down = false;
  function serverNotice(show) {
    const el = document.getElementById("server-notice");
    if (el) el.hidden = !show;
  }
  function serverDown() {
    if (down) return;
    down = true;
    serverNotice(true);
    const probe = function () {
      const base = (window.malmoTexts && window.malmoTexts.base) || "/";
      setTimeout(function () {
        realFetch(base + "healthz", {cache: "no-store"}).then(function (r) { if (r.ok) serverBack(); else probe(); }, probe);
      }, 1500);
    };
    probe();
  }
  function serverBack() {
    if (!down) return;
    down = false;
    serverNotice(false);
    if (window.dash_clientside && window.dash_clientside.set_props) window.dash_clientside.set_props("catch-up", {data: Date.now()});
  }
  // Geometry and cluster outlines are safe to ask for again: a failed or 5xx answer is tried again
  // after 0,5, 1, 2, 4 and then every 8 s while the page is open (after the second failure the page
  // says the server is not answering, and the notice goes when it answers). Before, one failed
  // geometry request left the map empty for the whole session.
  const RETRY_MS = [500, 1000, 2000, 4000, 8000];
  function safeToRepeat(url) { return /\/api\/(geometry\/|outlines)/.test(url); }
  function withRetry(input, init) {
    let attempt = 0;
    const again = function () {
      const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      attempt += 1;
      if (attempt >= 2) serverDown();
      return new Promise(function (resolve) { setTimeout(resolve, wait); }).then(go);
    };
    const go = function () {
      return realFetch(input, init).then(function (response) {
        if (response.status >= 500) return again();
        if (response.ok) serverBack();
        return response;
      }, again);
    };
    return go();
  }
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (safeToRepeat(url)) return withRetry(input, init);
    if (url.indexOf("_dash-update-component") < 0) return realFetch(input, init);
    const slow = setTimeout(serverDown, SLOW_MS);
    return realFetch(input, init).then(function (response) {
      clearTimeout(slow);
      if (response.status >= 502 && response.status <= 504) serverDown(); else serverBack();
      return response;
    }, function (error) {
      clearTimeout(slow);
      serverDown();
      throw error;
    });
  };

  document.addEventListener("toggle", function (event) {  // the toggle event does not bubble: capture it
    if (event.target && event.target.id === "drivers-panel" && event.target.open && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("drivers-open", {data: Date.now()});
    }
  }, true);

  // Back and forward: the URL is the state, so show the page for that URL.
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
