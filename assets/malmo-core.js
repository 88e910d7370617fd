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

  // A cluster's name in the page's language: its highest member, "… m.fl." / "… and others" when several.
  function clusterName(cluster, texts) {
    return cluster.members.length > 1 ? say(texts, "cluster_name", {name: cluster.lead}) : cluster.lead;
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
  function nameControls(texts, prefix) {
    document.querySelectorAll(".choice-items input[type=radio], #level-select input[type=radio], #uvas-age input[type=radio], #embed-view input[type=radio]").forEach(function (input) {
      const group = input.closest("[id]").id;
      if (input.name !== group) input.name = group;
    });
    Object.keys(texts.indicators).forEach(function (key) {
      const slider = document.getElementById(prefix + "weight-" + key);  // by id, not a selector built from a package's key
      const handle = slider && slider.querySelector(".rc-slider-handle");
      if (handle && handle.getAttribute("aria-label") !== texts.indicators[key]) handle.setAttribute("aria-label", texts.indicators[key]);
      const share = document.getElementById(prefix + "share-" + key);
      if (handle && share && share.textContent && handle.getAttribute("aria-valuetext") !== share.textContent) handle.setAttribute("aria-valuetext", share.textContent);
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

  window.malmoLib = {
    h: h, fmt: fmt, say: say, textElement: textElement, escapeHtml: escapeHtml, plotlyText: plotlyText,
    clusterName: clusterName, outlinesUrl: outlinesUrl, nameControls: nameControls, noUpdate: noUpdate, afterPaint: afterPaint,
    collator: {sv: new Intl.Collator("sv"), en: new Intl.Collator("en")},
    NO_DATA: "#d9d9d9", OUTLINE: "#08306b"
  };
})();
