/* A room's three pages (dashboard/rooms.py): opening a room, voting from a phone, the wall. The server
   computes every figure and picture (layers/output/room.py); this file sends, asks and shows. Text
   from data is set as text; the server's pictures are shown as images. The shares beside the sliders
   are the dashboard's own (malmoLib.shareTexts). */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("room-data").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const keyName = function (code) { return "malmo-room-key-" + code; };
  const lang = "?lang=" + data.lang;

  function post(url, body, key) {
    const headers = {"Content-Type": "application/json"};
    if (key) headers["X-Room-Key"] = key;
    return fetch(url, {method: "POST", headers: headers, body: JSON.stringify(body || {})});
  }
  function problem(resp) {
    return resp.json().then(function (j) { return j.error || String(resp.status); }, function () { return String(resp.status); });
  }
  function say(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }
  function svgImage(img, svg, alt) {
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    img.alt = alt;
  }

  if (data.kind === "open") {
    $("room-open").addEventListener("submit", function (event) {
      event.preventDefault();
      const form = event.target;
      const checked = function (name) { return form.elements.namedItem(name).checked; };
      post(data.api, {state: data.state, nicknames: checked("allow_nicknames"), hidden: checked("hide_votes")}).then(function (resp) {
        if (!resp.ok) return problem(resp).then(function (text) { say("room-status", text); });
        return resp.json().then(function (room) {
          localStorage.setItem(keyName(room.code), room.key);
          window.location.assign(room.wall + lang);
        });
      });
    });
  }

  if (data.kind === "join") {
    let token = localStorage.getItem("malmo-room-device");
    if (!token) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      token = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
      localStorage.setItem("malmo-room-device", token);
    }
    const inputs = data.keys.map(function (k) { return $("w-" + k); });
    const shares = function () {
      window.malmoLib.shareTexts(inputs.map(function (i) { return Number(i.value); }), {t: data.t}).forEach(function (text, n) {
        say("s-" + data.keys[n], text);
      });
    };
    inputs.forEach(function (i) { i.addEventListener("input", shares); });
    shares();
    $("room-vote").addEventListener("submit", function (event) {
      event.preventDefault();
      const weights = {};
      data.keys.forEach(function (k, n) { weights[k] = Number(inputs[n].value); });
      const nick = $("room-nickname");
      say("room-status", data.t.room_sending);
      post(data.api + "/vote" + lang, {token: token, weights: weights, nickname: nick ? nick.value : ""}).then(function (resp) {
        if (resp.status === 404) return say("room-status", data.t.room_gone);
        if (resp.status === 409) {  // frozen or closed: the room says which, in the page's words
          return fetch(data.api + lang).then(function (r) { return r.json(); }).then(function (room) {
            say("room-status", room.closed ? data.t.room_closed : data.t.room_frozen);
          });
        }
        if (!resp.ok) return problem(resp).then(function (text) { say("room-status", data.t.room_failed.replace("{reason}", text)); });
        return resp.json().then(function (answer) {
          say("room-status", data.t.room_sent);
          const list = $("room-own-list");
          list.replaceChildren.apply(list, answer.top.map(function (name) { const li = document.createElement("li"); li.textContent = name; return li; }));
          const img = document.createElement("img");
          svgImage(img, answer.map, answer.top.join(", "));
          $("room-own-map").replaceChildren(img);
          $("room-yours").hidden = false;
        });
      });
    });
  }

  if (data.kind === "wall") {
    const key = localStorage.getItem(keyName(data.code));
    let version = null;
    $("room-key-missing").hidden = !!key;
    document.querySelectorAll("#room-controls .button").forEach(function (b) { b.hidden = !key || b.id === "room-compare"; });
    const legend = $("room-legend");
    legend.replaceChildren.apply(legend, Object.keys(data.colours).map(function (c) {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = data.colours[c];
      li.append(swatch, data.t["room_" + c]);
      return li;
    }));

    function show(model) {
      version = model.version;
      say("room-count", model.words.count);
      say("room-flags", model.closed ? data.t.room_is_closed : model.frozen ? data.t.room_is_frozen : model.hidden ? data.t.room_hidden : "");
      const stamp = "?v=" + model.version + "&lang=" + data.lang;
      $("room-map").src = data.api + "/agreement.svg" + stamp;
      $("room-map").alt = model.words.summary || "";
      $("room-weights").src = data.api + "/weights.svg" + stamp;
      $("room-weights").alt = model.words.median || "";
      say("room-summary", model.words.summary || "");
      say("room-median", model.words.median || "");
      say("room-nicknames", (model.nicknames || []).join(" · "));
      const body = document.querySelector("#room-ranking tbody");
      body.replaceChildren.apply(body, (model.areas || []).map(function (a) {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = a.name;
        const share = document.createElement("td");
        share.textContent = a.share + "\u00a0% · " + a.class_words;
        const rank = document.createElement("td");
        rank.textContent = a.rank_low + "–" + a.rank_high;
        tr.append(th, share, rank);
        return tr;
      }));
      document.body.dataset.version = String(model.version);
    }
    function refresh() {
      return fetch(data.api + lang).then(function (resp) { return resp.ok ? resp.json().then(show) : null; }, function () { return null; });
    }
    function poll() {
      fetch(data.api + "/version?since=" + version).then(function (resp) {
        if (resp.status === 200) return refresh();
        return null;
      }, function () { return null; }).then(function () { window.setTimeout(poll, 1000); });
    }
    refresh().then(function () { window.setTimeout(poll, 1000); });

    document.querySelectorAll("#room-controls [data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        const action = button.getAttribute("data-action");
        if (action === "reset" && !window.confirm(data.t.room_reset_confirm)) return;
        post(data.api + "/" + action + lang, {}, key).then(function (resp) {
          if (!resp.ok) return problem(resp).then(function (text) { say("room-action-status", text); });
          return resp.json().then(function (answer) {
            if (action === "scenario") {
              say("room-action-status", data.t.room_saved.replace("{name}", answer.name));
              const compare = $("room-compare");
              compare.href = answer.compare;
              compare.hidden = false;
            }
            return refresh();
          });
        });
      });
    });
    ["csv", "xlsx"].forEach(function (fmt) {
      $("room-" + fmt).addEventListener("click", function (event) {  // the key goes in a header, never in a URL
        event.preventDefault();
        fetch(data.api + "/votes." + fmt + lang, {headers: {"X-Room-Key": key}}).then(function (resp) {
          if (!resp.ok) return problem(resp).then(function (text) { say("room-action-status", text); });
          return resp.blob().then(function (blob) {
            const a = document.createElement("a");
            a.href = URL.createObjectURL(blob);
            a.download = "rum-" + data.code + "-roster." + fmt;
            document.body.append(a);
            a.click();
            a.remove();
          });
        });
      });
    });
  }
})();
