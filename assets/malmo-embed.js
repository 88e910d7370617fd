/* The embeddable single views (/embed/<view>): the same drawing functions as the dashboard
   (malmoMap, malmoPanels), wired to the embed's stores. An embed never writes history. */
(function () {
  "use strict";
  const nu = function () { return window.dash_clientside.no_update; };
  function ready(vm, info) { return vm && info && vm.level === info.level; }
  function sortFrom(query) {
    const m = /[?&]sort=([^&]*)/.exec(query || "");
    const parts = m ? decodeURIComponent(m[1]).split(":") : [];
    return parts.length === 2 ? {column: parts[0], direction: parts[1]} : {column: "rank", direction: "asc"};
  }
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    malmoEmbed: {
      map: function (vm, info, selected, texts) {
        if (!ready(vm, info)) return [nu(), nu()];
        window.malmoLastView = vm;
        const t0 = performance.now();
        window.malmoMap.paint(vm, info, selected, texts);
        window.malmoLib.markPainted(t0, info.codes.length);  // when the view first showed (bench/first_load.py)
        return [window.malmoPanels.legend(vm, vm.classification || "quantiles", texts),
                window.dash_clientside.malmo.outlines(vm, texts)];
      },
      table: function (vm, info, selected, texts, query) {
        return ready(vm, info) ? window.malmoPanels.table(vm, info, sortFrom(query), selected, texts, null, info.scaled) : nu();
      },
      trend: function (vm, info, selected, texts) {
        return vm ? window.malmoPanels.trend(vm, info, selected, texts, "embed-trend-table") : nu();
      },
      clusters: function (vm, info, selected, texts) {
        return vm ? window.malmoPanels.clusterList(vm, vm.level, texts) : nu();
      },
      card: function (vm, info, selected, texts) {
        return ready(vm, info) ? window.malmoPanels.card(selected, vm, info, texts, null, info.scaled) : nu();
      }
    }
  });
})();
