/* The map: area styles, labels that do not collide, cluster outlines, and following the selection
   (zoom to an area, a cluster, or the whole city). window.malmo holds the functions dash-leaflet
   calls by name; window.malmoMap the ones the other files call. */
(function () {
  "use strict";
  const lib = function () { return window.malmoLib; };

  // The latest colours, labels and selection. The style function reads them, so layers that
  // (re)load get the current look; `paint` restyles the layers already drawn, in place.
  window.malmoView = {fill: {}, labels: {}, priority: {}, selected: null};
  window.malmoLayers = {};  // area code -> Leaflet layer (codes are unique across levels)
  window.malmoOutlines = {};  // cluster id -> Leaflet layer of its outline
  let highlighted = null;  // cluster id shown with a heavier outline

  // Selection: solid black line. Clusters: dashed navy line on a light casing (told apart by style,
  // not only colour). Colours and opacity: layers/output/palette.py.
  function areaStyle(code) {
    const view = window.malmoView, L = lib();
    const selected = view.selected === code;
    const mark = view.stroke && view.stroke[code];  // compare: entering (solid) or leaving (dotted) the top N
    const fill = {fillColor: view.fill[code] || L.NO_DATA, fillOpacity: Number(L.colour("fill-opacity")), opacity: 1};
    if (mark && !selected) return Object.assign(fill, {color: L.colour("selected"), weight: 4, dashArray: mark === "leave" ? "2 6" : null, lineCap: "round"});
    if (view.keyed === code && !selected) {  // the area the map's keys are on: a dashed black ring
      return Object.assign(fill, {dashArray: "6 4", color: L.colour("selected"), weight: 4});
    }
    return Object.assign(fill, {dashArray: null, color: selected ? L.colour("selected") : L.colour("border"), weight: selected ? 4 : 0.7});
  }
  function outlineStyle(id) {
    const on = id && id === highlighted;
    return {color: lib().OUTLINE, weight: on ? 6 : 3.5, opacity: 1, fill: false, dashArray: on ? null : "9 6", lineCap: "butt",
            className: "cluster-outline"};
  }

  // `permanent` is the label text to show at all times, or null for a tooltip on hover only.
  function bindLabel(layer, name, permanent) {
    layer.unbindTooltip();
    layer.bindTooltip(lib().textElement(permanent || name), {permanent: !!permanent, direction: "center", opacity: 1,
                                                             className: permanent ? "area-label" : "area-tip"});
    layer._malmoPermanent = permanent || null;
  }

  function someMap() {
    const layer = Object.values(window.malmoLayers).find(function (l) { return l._map; });
    return layer ? layer._map : null;
  }

  // What lies over the map on the wall (the legend, the top list, the demo label): fixed boxes.
  function overlays(frame) {
    if (!frame || !document.querySelector("#page.present")) return [];
    return ["#map-legend", "#present-top", "#data-notice"].map(function (sel) { return document.querySelector(sel); })
      .filter(function (el) { return el && getComputedStyle(el).position === "fixed" && el.getBoundingClientRect().width > 0; })
      .map(function (el) { return el.getBoundingClientRect(); });
  }
  function overlap(a, b, gap) {
    return a.left < b.right + gap && a.right > b.left - gap && a.top < b.bottom + gap / 2 && a.bottom > b.top - gap / 2;
  }

  // Labels in order of importance (cluster names, then rank) each take the first free place of:
  // the places of palette.LABEL_SPOTS (on their area, above, below, beside, …) (CSS translate, beside Leaflet's
  // own transform). One that finds no place inside the map, clear of the others and of what lies
  // over the map, is hidden (it shows on hover, and comes back when zooming in makes room).
  let spots = null;  // palette.LABEL_SPOTS, from the page's --label-spots: [x, y] with y up
  function labelSpots() {
    if (!spots) {
      const text = getComputedStyle(document.documentElement).getPropertyValue("--label-spots").trim();
      spots = text ? text.split(" ").map(function (p) { return p.split(",").map(Number); }) : [[0, 0]];
    }
    return spots;
  }
  function declutter() {
    const map = someMap();
    const frame = map ? map.getContainer().getBoundingClientRect() : null;
    const shown = overlays(frame);
    const blocked = shown.length;
    const items = Object.keys(window.malmoLayers).map(function (code) {
      const layer = window.malmoLayers[code];
      const tip = layer._map && layer._malmoPermanent && layer.getTooltip && layer.getTooltip();
      return tip && tip._container ? {el: tip._container, rank: window.malmoView.priority[code] || 1e9} : null;
    }).filter(Boolean).sort(function (a, b) { return a.rank - b.rank; });
    items.forEach(function (item) { item.el.classList.remove("label-hidden"); item.el.style.translate = ""; });
    items.forEach(function (item) {
      const r = item.el.getBoundingClientRect();
      const spot = labelSpots().map(function (s) {
        const dx = s[0] * (r.width / 2 + 6), dy = -s[1] * (r.height * 0.75);  // the screen's y runs down
        return {dx: dx, dy: dy, box: {left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy}};
      }).find(function (c) {
        const inside = !frame || (c.box.left >= frame.left && c.box.right <= frame.right && c.box.top >= frame.top && c.box.bottom <= frame.bottom);
        return inside && !shown.some(function (s) { return overlap(c.box, s, 2); });
      });
      if (!spot) { item.el.classList.add("label-hidden"); return; }
      if (spot.dx || spot.dy) item.el.style.translate = Math.round(spot.dx) + "px " + Math.round(spot.dy) + "px";
      shown.push(spot.box);
    });
    return items.length - (shown.length - blocked);
  }
  let declutterQueued = false;
  function queueDeclutter() {
    if (declutterQueued) return;
    declutterQueued = true;
    requestAnimationFrame(function () { declutterQueued = false; declutter(); });
  }

  function boundsOf(codes) {
    let bounds = null;
    codes.forEach(function (code) {
      const layer = window.malmoLayers[code];
      if (!layer || !layer._map || !layer.getBounds) return;
      bounds = bounds ? bounds.extend(layer.getBounds()) : L.latLngBounds(layer.getBounds().getSouthWest(), layer.getBounds().getNorthEast());
    });
    return bounds;
  }

  // What the map should show next: {codes, how: "zoom" | "pan" | "fit"}; applied once the layers exist.
  let pendingFocus = null;
  let fitted = false;
  let focusQueued = false;
  let autoFitted = false;  // the map shows the whole city as it was fitted, not where someone took it
  let fitting = false;  // our own fit is moving the map
  function focus(codes, how) { pendingFocus = {codes: codes, how: how}; applyFocus(); }
  // Room the fitted city leaves for what lies over the map's sides (on the wall: legend, top list).
  function fitPadding(map) {
    const frame = map.getContainer().getBoundingClientRect(), mid = (frame.left + frame.right) / 2;
    let left = 8, right = 8;
    overlays(frame).forEach(function (r) {
      if ((r.left + r.right) / 2 < mid) left = Math.max(left, r.right - frame.left + 8);
      else right = Math.max(right, frame.right - r.left + 8);
    });
    return {paddingTopLeft: [left, 8], paddingBottomRight: [right, 8]};
  }
  // The map's box changed (the wall's bar wrapped, its legend was drawn): the city fitted again, unless moved.
  function refit() {
    const map = someMap();
    if (!map) return;
    fitting = true;
    try { map.invalidateSize({pan: false}); } finally { fitting = false; }
    if (autoFitted) { pendingFocus = {codes: Object.keys(window.malmoLayers), how: "fit"}; applyFocus(); }
    queueDeclutter();
  }
  function applyFocus() {
    const map = someMap();
    if (!map) return false;
    if (!fitted && !pendingFocus) { pendingFocus = {codes: Object.keys(window.malmoLayers), how: "fit"}; }
    if (!pendingFocus) return false;
    const bounds = boundsOf(pendingFocus.codes);
    if (!bounds || !bounds.isValid()) return false;
    if (pendingFocus.how === "pan") map.panTo(bounds.getCenter(), {animate: true});
    else if (pendingFocus.how === "fit") {  // the city as large as it fits, not the zoom step below that
      const snap = map.options.zoomSnap;
      map.options.zoomSnap = 0;
      fitting = true;
      try { map.fitBounds(bounds, Object.assign({animate: false}, fitPadding(map))); } finally { fitting = false; map.options.zoomSnap = snap; }
    }
    else map.fitBounds(bounds, {padding: [40, 40], maxZoom: 14, animate: true});
    fitted = true;
    autoFitted = pendingFocus.how === "fit";
    pendingFocus = null;
    return true;
  }

  function highlightCluster(id) {
    highlighted = id;
    Object.keys(window.malmoOutlines).forEach(function (key) {
      const layer = window.malmoOutlines[key];
      if (layer._map) layer.setStyle(outlineStyle(key)); else delete window.malmoOutlines[key];
    });
  }

  // --- the map from the keyboard (WCAG 2.1.1, 2.4.3): one Tab stop, named, whose arrow keys go
  // through the areas in rank order, each said with its index and rank; Enter shows the area.
  let drawn = null;  // {vm, info, texts} of the last paint
  let keyAt = -1;
  function keyOrder() {
    const vm = drawn.vm, info = drawn.info;
    return info.codes.map(function (c, i) { return i; }).sort(function (a, b) {
      const ra = vm.rank[a] || 1e9, rb = vm.rank[b] || 1e9;
      return ra !== rb ? ra - rb : drawn.texts.lang && lib().collator[drawn.texts.lang].compare(info.names[a], info.names[b]);
    });
  }
  function keyTo(delta, absolute) {
    if (!drawn) return;
    const order = keyOrder(), n = order.length;
    keyAt = absolute !== undefined ? absolute : (keyAt < 0 ? (delta > 0 ? 0 : n - 1) : (keyAt + delta + n) % n);
    const i = order[keyAt], code = drawn.info.codes[i], before = window.malmoView.keyed;
    window.malmoView.keyed = code;
    [before, code].forEach(function (c) { const l = c && window.malmoLayers[c]; if (l && l._map) l.setStyle(areaStyle(c)); });
    const layer = window.malmoLayers[code], map = someMap();
    if (layer && map && layer.getBounds && !map.getBounds().contains(layer.getBounds())) map.panTo(layer.getBounds().getCenter(), {animate: false});
    const vm = drawn.vm, texts = drawn.texts, name = drawn.info.names[i];
    const status = document.getElementById("map-status");
    if (status) {
      status.textContent = vm.rank[i] ? lib().say(texts, "map_key_area", {name: name, index: lib().fmt(vm.index[i], texts.lang, 2), rank: vm.rank[i],
                                                                        n: vm.rank.filter(function (r) { return r > 0; }).length})
                                      : lib().say(texts, "map_key_no_index", {name: name});
    }
  }
  function keyStop() {
    const before = window.malmoView.keyed;
    window.malmoView.keyed = null;
    keyAt = -1;
    const l = before && window.malmoLayers[before];
    if (l && l._map) l.setStyle(areaStyle(before));
  }
  document.addEventListener("keydown", function (event) {  // capture: before Leaflet's own keys pan the map
    const map = someMap();
    if (!map || event.target !== map.getContainer() || event.altKey || event.ctrlKey || event.metaKey) return;
    const step = {ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1}[event.key];
    if (step) keyTo(step);
    else if (event.key === "Home") keyTo(0, 0);
    else if (event.key === "End") keyTo(0, drawn ? drawn.info.codes.length - 1 : 0);
    else if ((event.key === "Enter" || event.key === " ") && window.malmoView.keyed) {
      window.dash_clientside.set_props("selected-area", {data: window.malmoView.keyed});
    } else if (event.key === "Escape" && window.malmoView.keyed) keyStop();
    else return;
    event.preventDefault();
    event.stopPropagation();
  }, true);
  // The map's one Tab stop is its container: the areas' paths (which Leaflet's tooltips make
  // focusable in Chromium) leave the Tab order; the container is named and says its keys.
  function mapStop(map) {
    const el = map.getContainer();
    const texts = window.malmoTexts || window.malmoCompareTexts;
    twoFingers(map, texts);
    if (!map._malmoWatched) {  // moved or zoomed by someone (not by our own fit): a later refit leaves it be
      map._malmoWatched = true;
      map.on("movestart zoomstart", function () { if (!fitting) autoFitted = false; });
    }
    [["in", "zoom_in"], ["out", "zoom_out"]].forEach(function (z) {  // Leaflet's own words are English (3.1.2)
      const button = texts && el.querySelector(".leaflet-control-zoom-" + z[0]);
      if (button && button.getAttribute("title") !== texts.t[z[1]]) {
        button.setAttribute("title", texts.t[z[1]]);
        button.setAttribute("aria-label", texts.t[z[1]]);
      }
    });
    const described = ["map-keys", "map-summary"].filter(function (id) { return document.getElementById(id); }).join(" ");
    if (described && el.getAttribute("aria-describedby") !== described) {
      el.setAttribute("aria-label", (document.querySelector(".map-area, .embed-map") || el).getAttribute("aria-label") || "");
      el.setAttribute("aria-describedby", described);
    }
  }

  // On a touch screen one finger scrolls the page, as on any phone page, and two fingers move and
  // zoom the map (Leaflet's pinch pans as well); a one-finger swipe over the map says so in words.
  // Without Leaflet's one-finger drag the map's touch-action is pan-x pan-y: the browser scrolls.
  function twoFingers(map, texts) {
    if (map._malmoTouch || !window.matchMedia("(hover: none) and (pointer: coarse)").matches) return;
    map._malmoTouch = true;
    map.dragging.disable();
    const el = map.getContainer();
    const hint = document.createElement("div");
    hint.className = "map-touch-hint";
    hint.setAttribute("aria-hidden", "true");  // the map's own description says how it is used
    hint.textContent = (texts && texts.t.two_fingers) || "";
    el.appendChild(hint);
    let timer = null;
    el.addEventListener("touchmove", function (event) {
      if (event.touches.length !== 1) { hint.classList.remove("shown"); return; }
      hint.classList.add("shown");
      clearTimeout(timer);
      timer = setTimeout(function () { hint.classList.remove("shown"); }, 1500);
    }, {passive: true});
  }

  // Recolour the drawn areas for a view model, label them, and follow the selection.
  function hoverText(code, name) {
    const vm = drawn.vm, info = drawn.info, texts = drawn.texts, i = info.codes.indexOf(code);
    const n = vm.rank.filter(function (r) { return r > 0; }).length;
    if (i < 0 || !vm.rank[i] || !vm.index) return lib().say(texts, "hover_no_index", {name: name});
    return lib().say(texts, "hover_area", {name: name, rank: vm.rank[i], n: n, index: lib().fmt(vm.index[i], texts.lang, 2)});
  }

  // The map's text alternative (1.1.1): the highest areas and the clusters, in words, read with the
  // map's name; the same as the ranking and the cluster list say.
  function summarise(vm, info, texts) {
    const box = document.getElementById("map-summary");
    if (!box) return;
    const top = info.codes.map(function (code, i) { return [vm.rank[i] || 0, info.names[i], vm.index ? vm.index[i] : null]; })
      .filter(function (r) { return r[0] > 0 && r[0] <= 5; }).sort(function (a, b) { return a[0] - b[0]; })
      .map(function (r) { return r[0] + ". " + r[1] + (r[2] !== null && r[2] !== undefined ? " (" + lib().fmt(r[2], texts.lang, 2) + ")" : ""); });
    const clusters = (vm.clusters || []).map(function (c) { return lib().clusterName(c, texts); });
    const text = lib().say(texts, "map_summary", {top: top.join(", ") || "–", clusters: clusters.join(", ") || "–"});
    if (box.textContent !== text) box.textContent = text;
  }

  function paint(vm, info, selected, texts) {
    drawn = {vm: vm, info: info, texts: texts};
    lib().afterPaint(function () { summarise(vm, info, texts); });  // words for the map: not on the colours' path
    if (vm.hatched) lib().hatchPatterns(vm.colours);
    if (keyAt >= 0) keyStop();  // another view: the order the keys went through has changed
    const fill = {};
    const priority = {};
    info.codes.forEach(function (code, i) {
      const c = vm["class"][i];
      fill[code] = c >= 0 ? (vm.hatched ? lib().fillOf(vm.colours, c) : vm.colours[c]) : lib().NO_DATA;
      priority[code] = vm.rank[i] || 1e6 + i;
    });
    // Permanent labels: every area when there are few; else each cluster's name at its highest member.
    const labels = {};
    if (info.codes.length <= 20) {
      info.codes.forEach(function (code, i) { labels[code] = info.names[i]; });
    } else if (info.level === vm.index_level) {
      if (texts.present) {  // on the wall: the top areas are named too, after the clusters
        info.codes.forEach(function (code, i) { if (vm.rank[i] > 0 && vm.rank[i] <= (vm.top_n || 11)) labels[code] = info.names[i]; });
      }
      vm.clusters.forEach(function (c, k) { labels[c.members[0].code] = lib().clusterName(c, texts); priority[c.members[0].code] = -100 + k; });
    }
    Object.keys(vm.labels || {}).forEach(function (code) { labels[code] = vm.labels[code]; priority[code] = -200 + (priority[code] || 0) / 1e7; });
    window.malmoView = {fill: fill, labels: labels, priority: priority, selected: selected, allLabels: window.malmoView.allLabels,
                        stroke: vm.stroke || null, keyed: null};
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
    applyFocus();
    queueDeclutter();
  }

  window.malmoMap = {paint: paint, focus: focus, refit: refit, highlightCluster: highlightCluster, declutter: declutter, map: someMap};

  window.malmo = {
    areaStyle: function (feature) {
      return areaStyle(feature.properties.code);
    },
    areaFeature: function (feature, layer) {
      const p = feature.properties;
      layer._malmoName = p.name;
      bindLabel(layer, p.name, window.malmoView.labels[p.code] || (window.malmoView.allLabels ? p.name : null));
      window.malmoLayers[p.code] = layer;
      layer.on("tooltipopen", function (event) {  // on hover: the name with its rank and index, as drawn now
        if (event.tooltip.options.permanent || !drawn) return;  // a permanent label stays the name
        event.tooltip.setContent(lib().textElement(hoverText(p.code, p.name)));
      });
      layer.on("add", function () {  // out of the Tab order: the map's keys choose the areas
        const el = layer.getElement && layer.getElement();
        if (el) { el.setAttribute("tabindex", "-1"); el.setAttribute("focusable", "false"); }
        if (layer._map) mapStop(layer._map);
      });
      if (!focusQueued) {  // once the level's layers are in: one check per load, not one per area
        focusQueued = true;
        setTimeout(function () { focusQueued = false; if (applyFocus()) queueDeclutter(); }, 0);
      }
    },
    // Zoomed in far enough, every area is named on the map (overlapping names are hidden).
    onZoom: function (event) {
      const map = event.target;
      const count = Object.keys(window.malmoLayers).length;
      const all = map.getZoom() >= (count > 500 ? 15 : 13);
      if (all !== !!window.malmoView.allLabels) {
        window.malmoView.allLabels = all;
        Object.keys(window.malmoLayers).forEach(function (code) {
          const layer = window.malmoLayers[code];
          if (!layer._map) return;
          const label = window.malmoView.labels[code] || (all ? layer._malmoName : null);
          if (label !== (layer._malmoPermanent || null)) bindLabel(layer, layer._malmoName, label);
        });
      }
      queueDeclutter();
    },
    outlineStyle: function (feature) {
      return outlineStyle(feature && feature.properties && feature.properties.id);
    },
    outlineFeature: function (feature, layer) {
      window.malmoOutlines[feature.properties.id] = layer;
    }
  };
  // Esc dismisses what hovering shows (1.4.13): an area's or a place's tooltip, a popup, a chart's hover.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    Object.keys(window.malmoLayers).forEach(function (code) {
      const layer = window.malmoLayers[code];
      if (!layer._malmoPermanent && layer.isTooltipOpen && layer.isTooltipOpen()) layer.closeTooltip();
    });
    const map = someMap();
    if (map) {
      map.closePopup();
      map.eachLayer(function (layer) { if (layer.isTooltipOpen && layer.isTooltipOpen() && !(layer.getTooltip().options.permanent)) layer.closeTooltip(); });
    }
    if (window.Plotly && window.Plotly.Fx) {
      document.querySelectorAll(".js-plotly-plot").forEach(function (plot) { window.Plotly.Fx.unhover(plot); });
    }
  });
})();
