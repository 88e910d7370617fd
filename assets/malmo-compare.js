/* The compare page (/compare): A fixed, B's sliders live. The difference map is drawn by the
   dashboard's own map functions (malmoMap.paint, with the compare model's classes, labels and
   strokes); lists and charts are Dash components built here (text, never markup). */
(function () {
  "use strict";
  const lib = function () { return window.malmoLib; };

  // A's clusters dashed, B's dash-dotted, on the light casing: told apart by pattern, not colour
  // (layers/output/palette.py COMPARE_LINES).
  function outline(side) {
    const l = lib().look("compare-" + side);
    return {color: l.color, weight: l.width, opacity: 1, fill: false, dashArray: l.dash.replace(/px/g, "").replace(/,/g, " "),
            lineCap: "butt", className: "cluster-outline"};
  }
  window.malmoCompare = {
    outlineA: function () { return outline("a"); },
    outlineB: function () { return outline("b"); }
  };

  function say(texts, key, values) {
    return lib().say(texts, key, values);
  }

  function rowsList(rows, texts, empty) {
    const h = lib().h;
    if (!rows.length) return h("P", {className: "help"}, texts.t.compare_none);
    return h("Ol", {className: "moves"}, rows.map(function (r) {
      return h("Li", {"data-code": r[0]}, [h("Strong", {}, r[1]), " ",
        h("Span", {className: "ranks"}, say(texts, "compare_rank_ab", {a: r[2] || "–", b: r[3] || "–"}))]);
    }));
  }


  // The difference map is painted as soon as the compare model arrives, before Dash passes it on
  // (malmo-app.js's early painters); Dash's paint then leaves the map and draws the rest.
  let paintArgs = null, earlyKey = null;
  function paintMap(vm, info, texts) {
    const t0 = performance.now();
    window.malmoMap.paint(vm, info, null, texts);
    lib().markPainted(t0, info.codes.length);
  }
  if (window.malmoEarlyPainters) {
    window.malmoEarlyPainters["..cmp-model.data.."] = function (response) {
      const vm = response["cmp-model"] && response["cmp-model"].data;
      if (!vm || !vm.key || !paintArgs || vm.level !== paintArgs[0].level) return false;
      paintMap(vm, paintArgs[0], paintArgs[1]);
      earlyKey = vm.key;
      return true;
    };
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    malmoCompare: {
      // B's query: B's view with the sliders' weights (the spec's one query writer). Once the sliders
      // have moved, the address's b=, "Öppna B i verktyget" and C on the wall follow B, so a reload or
      // the dashboard shows the room's B, not the one the page opened with.
      sideB: function () {
        const args = Array.prototype.slice.call(arguments);
        const texts = args.pop(), titles = args.pop() || {}, spec = args.pop(), bView = args.pop();
        window.malmoCompareTexts = texts;  // the scenario module's base and language on this page
        const F = window.malmoFields;
        const keys = Object.keys(texts.indicators), w = {};
        keys.forEach(function (k, i) { w[k] = args[i]; });
        lib().writeShares(args, texts, "cmp-");
        const view = Object.assign({}, bView, {w: w});
        const query = F.query(spec, view);
        const moved = keys.some(function (k) { return w[k] !== bView.w[k]; });
        const wall = Object.assign({}, view, {mode: "present"});
        window.malmoCompareBack = moved || !titles.b_id ? texts.base + F.query(spec, wall)
          : texts.base + "?s=" + encodeURIComponent(titles.b_id) + "&mode=present&lang=" + view.lang;
        if (moved) {
          const open = document.getElementById("cmp-open-b");
          if (open) open.setAttribute("href", texts.base + query);
          clearTimeout(window.malmoCompareTimer);
          window.malmoCompareTimer = setTimeout(function () {  // when the drag pauses; a drag is not a history entry
            const params = new URLSearchParams(window.location.search);
            params.set("b", F.parts(spec, view, "scenario").join("&"));
            window.history.replaceState(null, "", "?" + params.toString());
          }, 250);
        }
        return query;
      },

      paint: function (vm, info, texts) {
        const nu = lib().noUpdate;
        if (!vm || !info || vm.level !== info.level) return [nu(), nu(), nu(), nu()];
        paintArgs = [info, texts];
        if (earlyKey === null || earlyKey !== vm.key) paintMap(vm, info, texts);  // else painted when it arrived
        earlyKey = null;
        lib().afterPaint(function () {
          lib().nameControls(texts, "cmp-");
          lib().rankingStatus(vm.rank, info.codes, info.names, vm.groups_b, texts);
        });
        const h = lib().h;
        const items = vm.legend.map(function (label, i) {
          return h("Li", {}, [h("Span", {className: "swatch", style: {background: lib().swatchFill(vm.colours, i)}}), label]);
        }).reverse();
        items.push(h("Li", {}, [h("Span", {className: "swatch", style: {background: lib().NO_DATA}}), texts.t.no_data]));
        const sample = lib().lineSample;
        items.push(h("Li", {}, [sample("compare-enter"), say(texts, "compare_entering_outline", {n: vm.top_n})]));
        items.push(h("Li", {}, [sample("compare-leave"), say(texts, "compare_leaving_outline", {n: vm.top_n})]));
        items.push(h("Li", {}, [sample("compare-a"), say(texts, "compare_outline_a", {name: vm.names.a})]));
        items.push(h("Li", {}, [sample("compare-b"), say(texts, "compare_outline_b", {name: vm.names.b})]));
        const title = vm.mode === "rank" ? say(texts, "compare_legend_rank", {b: vm.names.b, a: vm.names.a})
                                         : say(texts, "compare_legend_index", {b: vm.names.b, a: vm.names.a});
        return [window.malmoPainted.at, [h("Strong", {}, title), h("Ul", {}, items)],
                lib().outlinesUrl(vm.groups_a, texts), lib().outlinesUrl(vm.groups_b, texts)];
      },

      lists: function (vm, texts) {
        if (!vm) return lib().noUpdate();
        const h = lib().h;
        return [
          h("H3", {}, say(texts, "compare_enter", {n: vm.top_n})), rowsList(vm.entering, texts),
          h("H3", {}, say(texts, "compare_leave", {n: vm.top_n})), rowsList(vm.leaving, texts),
          h("H3", {}, texts.t.compare_enter_clusters), rowsList(vm.entering_clusters, texts),
          h("H3", {}, texts.t.compare_leave_clusters), rowsList(vm.leaving_clusters, texts)
        ];
      },

      // Ranks in A and B for the union of both top-20 lists: a line per area, rank 1 at the top.
      slope: function (vm, texts) {
        if (!vm) return lib().noUpdate();
        const L = lib();
        const x = [vm.names.a, vm.names.b].map(L.plotlyText);
        const worst = Math.max.apply(null, vm.slope.map(function (r) { return Math.max(r[1], r[2]); }).concat([20]));
        const wall = !!document.querySelector(".compare-page.present");  // read from the back of the room
        const data = vm.slope.map(function (r) {
          const enter = r[4] && !r[3], leave = r[3] && !r[4];
          const colour = enter ? L.colour("diff-6") : leave ? L.colour("diff-0") : "#767676";
          // uid: plotly.react matches a trace to the same area's with the same sides labelled, not to
          // whichever area had its place before (plotly then left new labels undrawn after a live move)
          return {type: "scatter", mode: "lines+markers+text", uid: "area-" + r[0] + (r[1] <= 20 ? "-a" : "") + (r[2] <= 20 ? "-b" : ""), x: x, y: [r[1], r[2]], name: L.plotlyText(r[0]), showlegend: false,
                  text: [r[1] <= 20 ? L.plotlyText(r[0]) + "  " + r[1] : "", r[2] <= 20 ? r[2] + "  " + L.plotlyText(r[0]) : ""],
                  textposition: ["middle left", "middle right"], cliponaxis: false,
                  textfont: {size: wall ? 22 : 11, color: enter || leave ? "#111" : "#555"},
                  line: {color: colour, width: enter || leave ? 3 : 1.5, dash: leave ? "dot" : "solid"}, marker: {size: 6, color: colour},
                  hovertemplate: "%{y}<extra>%{fullData.name}</extra>"};
        });
        const figure = {data: data, layout: {
          title: {text: L.plotlyText(say(texts, "compare_slope_title", {n: vm.top_n})) +
                        (vm.generated ? "<br><span style='font-size:" + (wall ? 22 : 12) + "px;color:#7a3e00'>" + texts.t.demo_label + "</span>" : ""),
                 font: {size: wall ? 28 : 15}},
          font: {size: wall ? 22 : 12}, margin: {l: wall ? 340 : 170, r: wall ? 340 : 170, t: wall ? 110 : 70, b: 30}, showlegend: false,
          xaxis: {type: "category", fixedrange: true},
          yaxis: {autorange: false, range: [worst + 0.7, 0.3], showticklabels: false, showgrid: false, zeroline: false, fixedrange: true},
          shapes: [{type: "line", xref: "paper", x0: 0, x1: 1, y0: vm.top_n + 0.5, y1: vm.top_n + 0.5, line: {color: "#444", width: 1, dash: "dash"}}],
          paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#ffffff"}};
        L.chartTable("cmp-slope-table", figure, texts);
        return figure;
      },

      // UVAS for A's clusters (dashed) and B's (solid) together, with Malmö and Sweden.
      trend: function (vm, texts) {
        if (!vm) return lib().noUpdate();
        const L = lib();
        const series = [];
        [["a"], ["b"]].forEach(function (side) {
          const clusters = {};
          vm["clusters_" + side[0]].forEach(function (c) { clusters[c.id] = c; });
          vm["trend_" + side[0]].series.forEach(function (s) {
            if (s.kind !== "cluster" || !clusters[s.id]) return;
            series.push({name: vm.names[side[0]] + ": " + L.clusterName(clusters[s.id], texts), share: s.share,
                         line: L.look("compare-trend-" + side[0])});
          });
        });
        vm.trend_a.series.forEach(function (s) {
          if (s.kind !== "reference") return;
          series.push({name: texts.references[s.id] || s.id, share: s.share,
                       line: L.look("series-reference-" + (s.id === "SE" ? "SE" : "MALMO"))});
        });
        const figure = window.malmoPanels.trendFigure(vm.trend_a, series, vm.generated, texts);
        L.chartTable("cmp-trend-table", figure, texts);
        return figure;
      }
    }
  });
})();
