/* Scenarios (the "Scenarier" panel) and the wall's presentation mode.
   - Save the current view under a name (POST /api/scenarios); this browser keeps each id with its
     edit token in localStorage ("Mina scenarier"): only it can rename or delete them.
   - "Workshop": the shared list (GET /api/workshop), pinned by whoever has the workshop key.
   - Presentation mode (?mode=present): ← → step through the workshop's scenarios by setting the
     controls (the map recolours in place, with a transition); C opens the comparison with the
     previous scenario, and C there comes back.
   Names are data: they are set as textContent, never as markup. */
(function () {
  "use strict";
  const STORE = "malmo.scenarios.v1";
  const texts = function () { return window.malmoTexts || window.malmoCompareTexts || null; };
  const base = function () { return (texts() && texts().base) || "/"; };
  const say = function (key, values) { const tx = texts(); return tx ? window.malmoLib.say(tx, key, values) : key; };

  function mine() {
    try { const list = JSON.parse(window.localStorage.getItem(STORE) || "[]"); return Array.isArray(list) ? list : []; }
    catch (e) { return []; }
  }
  function keep(list) { try { window.localStorage.setItem(STORE, JSON.stringify(list)); } catch (e) { /* private mode: kept for this page only */ } }

  function el(tag, props, text) {
    const node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { if (k === "className") node.className = props[k]; else node.setAttribute(k, props[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function status(text) { const s = document.getElementById("scenario-status"); if (s) s.textContent = text; }
  function lang() { return (texts() && texts().lang) || "sv"; }
  function openUrl(id, extra) { return base() + "?s=" + encodeURIComponent(id) + "&lang=" + lang() + (extra || ""); }
  function currentState() { return (window.malmoQuery || window.location.search).replace(/^\?/, ""); }

  function api(method, path, body, token, extra) {
    const headers = Object.assign({"Content-Type": "application/json"}, extra || {});
    if (token) headers["X-Edit-Token"] = token;
    return fetch(base() + "api/" + path, {method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
                                          cache: "no-store"})
      .then(function (r) {
        if (r.status === 204) return {};
        return r.text().then(function (body) {
          if (!r.ok) {  // every error is {"ok": false, "status", "error", "request_id"} (dashboard/guard.py)
            let message = String(r.status);
            try { message = JSON.parse(body).error || message; } catch (e) { /* a proxy's own page */ }
            throw new Error(message);
          }
          return body ? JSON.parse(body) : {};
        });
      });
  }

  let workshopIds = [];
  function render() {
    const list = document.getElementById("my-scenarios");
    // the list is drawn anew: a focused button (pin, unpin, delete) is found again by its scenario and kind (2.4.3)
    const had = list && list.contains(document.activeElement) ? document.activeElement : null;
    const again = had && had.getAttribute("data-id") ? "button." + had.className.split(" ").filter(function (c) { return c.indexOf("scenario-") === 0; })[0] +
                  "[data-id='" + CSS.escape(had.getAttribute("data-id")) + "']" : null;
    if (list) {
      list.replaceChildren();
      const items = mine();
      if (!items.length) list.appendChild(el("li", {className: "help"}, say("scenarios_none")));
      items.forEach(function (s) {
        const li = el("li", {"data-scenario": s.id});
        li.appendChild(el("a", {href: openUrl(s.id)}, s.name));
        const tools = el("span", {className: "scenario-tools"});
        tools.appendChild(el("a", {href: base() + "compare?a=" + encodeURIComponent(s.id) + "&b=" + encodeURIComponent(currentState()) + "&lang=" + lang(),
                                   className: "scenario-compare"}, say("scenario_compare")));
        const pinned = workshopIds.indexOf(s.id) >= 0;
        tools.appendChild(el("button", {type: "button", className: "link-button scenario-pin", "data-id": s.id, "data-pinned": pinned ? "1" : "0"},
                             say(pinned ? "scenario_unpin" : "scenario_pin")));
        tools.appendChild(el("button", {type: "button", className: "link-button scenario-edit", "data-id": s.id,
                                        "aria-label": say("scenario_edit_title", {name: s.name}), "aria-expanded": "false"}, say("scenario_edit")));
        tools.appendChild(el("button", {type: "button", className: "link-button scenario-delete", "data-id": s.id,
                                        "aria-label": say("scenario_delete") + ": " + s.name}, say("scenario_delete")));
        li.appendChild(tools);
        list.appendChild(li);
      });
    }
    if (had) {
      const target = (again && list.querySelector(again)) || list.querySelector("button, a");
      if (target) target.focus({preventScroll: true});
    }
    // dcc.Upload's own file input has no name: give it the button's
    const button = document.getElementById("scenario-import-file");
    document.querySelectorAll("#scenario-import input[type=file]").forEach(function (input) {
      if (button && input.getAttribute("aria-label") !== button.textContent) input.setAttribute("aria-label", button.textContent);
    });
    const exp = document.getElementById("scenario-export");
    if (exp) exp.setAttribute("href", base() + "api/scenarios/export?ids=" + mine().map(function (s) { return s.id; }).join(","));
  }
  function renderWorkshop(scenarios) {
    workshopIds = scenarios.map(function (s) { return s.id; });
    const list = document.getElementById("workshop-scenarios");
    if (list) {
      list.replaceChildren();
      if (!scenarios.length) list.appendChild(el("li", {className: "help"}, say("scenarios_workshop_none")));
      scenarios.forEach(function (s) {
        const li = el("li", {"data-scenario": s.id});
        li.appendChild(el("a", {href: openUrl(s.id)}, s.name));
        list.appendChild(li);
      });
    }
    render();
  }
  function loadWorkshop() {
    return api("GET", "workshop").then(function (data) { renderWorkshop(data.scenarios); return data.scenarios; },
                                       function () { return []; });
  }

  function save() {
    const name = (document.getElementById("scenario-name") || {}).value || "";
    const note = (document.getElementById("scenario-note") || {}).value || "";
    if (!name.trim()) { status(say("scenario_name_needed")); return; }
    api("POST", "scenarios", {name: name, note: note, state: currentState()}).then(function (s) {
      keep(mine().concat([{id: s.id, token: s.edit_token, name: s.name}]));
      status(say("scenario_saved", {name: s.name, id: s.id}));
      // the form empties: the next scenario does not take this one's name and note by mistake
      window.dash_clientside.set_props("scenario-name", {value: ""});
      window.dash_clientside.set_props("scenario-note", {value: ""});
      render();
    }, function (err) { status(say("scenario_failed", {reason: err.message})); });
  }

  // "Ändra": the creator changes the name and the note (never the view), with the edit token.
  function edit(button) {
    const id = button.getAttribute("data-id");
    const s = mine().find(function (x) { return x.id === id; });
    const li = button.closest("li");
    const open = li && li.querySelector("form.scenario-edit-form");
    if (open) { open.remove(); button.setAttribute("aria-expanded", "false"); button.focus(); return; }
    if (!s || !li) return;
    api("GET", "scenarios/" + encodeURIComponent(id)).then(function (saved) {
      const form = el("form", {className: "scenario-edit-form", "aria-label": say("scenario_edit_title", {name: saved.name})});
      const nameId = "scenario-edit-name-" + id, noteId = "scenario-edit-note-" + id;
      form.appendChild(el("label", {"for": nameId}, say("scenario_name")));
      const name = el("input", {type: "text", id: nameId, maxlength: "80", required: "required"});
      name.value = saved.name;
      form.appendChild(name);
      form.appendChild(el("label", {"for": noteId}, say("scenario_note")));
      const note = el("textarea", {id: noteId, className: "scenario-note", maxlength: "2000"});
      note.value = saved.note || "";
      form.appendChild(note);
      form.appendChild(el("button", {type: "submit", className: "button"}, say("scenario_edit_save")));
      const cancel = el("button", {type: "button", className: "link-button"}, say("scenario_edit_cancel"));
      cancel.addEventListener("click", function () { form.remove(); button.setAttribute("aria-expanded", "false"); button.focus(); });
      form.appendChild(cancel);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        api("PATCH", "scenarios/" + encodeURIComponent(id), {name: name.value, note: note.value}, s.token).then(function (changed) {
          keep(mine().map(function (x) { return x.id === id ? Object.assign({}, x, {name: changed.name}) : x; }));
          status(say("scenario_edited", {name: changed.name}));
          render();
          loadWorkshop();
        }, function (err) { status(say("scenario_failed", {reason: err.message})); });
      });
      li.appendChild(form);
      button.setAttribute("aria-expanded", "true");
      name.focus();
    }, function (err) { status(say("scenario_failed", {reason: err.message})); });
  }

  function remove(id) {
    const s = mine().find(function (x) { return x.id === id; });
    if (!s || !window.confirm(say("scenario_confirm_delete", {name: s.name}))) return;
    api("DELETE", "scenarios/" + encodeURIComponent(id), undefined, s.token).then(function () {
      keep(mine().filter(function (x) { return x.id !== id; }));
      status(say("scenario_deleted", {name: s.name}));
      loadWorkshop();
    }, function (err) { status(say("scenario_failed", {reason: err.message})); });
  }

  // The workshop list is the facilitator's: pinning needs the workshop key (typed in, or kept in this
  // browser; the first facilitator of a server without a configured key makes it here).
  const KEY_STORE = "malmo.workshop.key.v1";
  function workshopKey() {
    const field = document.getElementById("workshop-key");
    if (field && field.value.trim()) return field.value.trim();
    try { return window.localStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; }
  }
  function rememberKey(key) {
    try { window.localStorage.setItem(KEY_STORE, key); } catch (e) { /* private mode */ }
    const field = document.getElementById("workshop-key");
    if (field && !field.value) field.value = key;
  }
  function pin(id, pinned) {
    const known = workshopKey();
    const key = known ? Promise.resolve(known) : api("POST", "workshop/key").then(function (made) {
      status(say("workshop_key_made", {key: made.key}));
      return made.key;
    });
    key.then(function (k) {
      return api(pinned ? "DELETE" : "PUT", "workshop/" + encodeURIComponent(id), undefined, null, {"X-Workshop-Key": k})
        .then(function (data) { rememberKey(k); renderWorkshop(data.scenarios); });
    }).catch(function (err) { status(say("scenario_failed", {reason: err.message})); });
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest ? event.target : null;
    if (!target) return;
    if (target.closest("#scenario-save")) { save(); return; }
    const change = target.closest("button.scenario-edit");
    if (change) { edit(change); return; }
    const del = target.closest("button.scenario-delete");
    if (del) { remove(del.getAttribute("data-id")); return; }
    const p = target.closest("button.scenario-pin");
    if (p) { pin(p.getAttribute("data-id"), p.getAttribute("data-pinned") === "1"); return; }
    const step = target.closest("button.present-step");
    if (step) present.step(step.id === "present-next" ? 1 : -1);
  });
  // A scenario saved, changed or deleted in another tab of this browser shows here at once.
  window.addEventListener("storage", function (event) { if (event.key === STORE) render(); });
  // The panel's lists are drawn when it is opened (the toggle event does not bubble: capture it).
  document.addEventListener("toggle", function (event) {
    if (event.target && event.target.id === "scenarios" && event.target.open) loadWorkshop();
  }, true);

  // --- presentation mode ----------------------------------------------------------------------
  // True when the address names no view of its own (only the mode and the language): a link with
  // weights, or the way back from the compare wall, keeps what it says.
  function noViewInAddress() {
    return Array.from(new URLSearchParams(window.location.search).keys()).every(function (k) { return k === "mode" || k === "lang"; });
  }
  const present = {
    list: null, at: -1,
    load: function () {
      if (present.list) return Promise.resolve(present.list);
      return loadWorkshop().then(function (scenarios) {
        // the workshop's list; without one, this browser's own scenarios
        present.list = scenarios.length ? scenarios : null;
        if (present.list) return present.list;
        const ids = mine().map(function (s) { return s.id; });
        if (!ids.length) { present.list = []; return []; }
        return api("GET", "scenarios?ids=" + ids.join(",")).then(function (d) { present.list = d.scenarios; return d.scenarios; },
                                                                 function () { present.list = []; return []; });
      });
    },
    step: function (delta) {
      present.load().then(function (list) {
        if (!list.length) return;
        present.at = present.at < 0 ? (delta > 0 ? 0 : list.length - 1) : (present.at + delta + list.length) % list.length;
        present.apply(list[present.at], present.at, list.length);
      });
    },
    // Every control of the scenario's view, by the spec (layers/view.py): nothing is named here, so
    // a scenario reached with → shows exactly what ?s=<id> shows.
    apply: function (s, at, count) {
      const set = window.dash_clientside.set_props;
      window.malmoFields.controls(window.malmoViewSpec, s.view).forEach(function (c) { set(c[0], c[1]); });
      const name = document.getElementById("present-name");
      if (name) name.textContent = say("present_position", {n: at + 1, count: count, name: s.name});
      window.sessionStorage.setItem("malmo.present", JSON.stringify({id: s.id, previous: present.previous || null}));
      present.previous = s.id;
      present.current = s;
    },
    // C: the comparison of the previous scenario (A) with the current one (B), on the wall too.
    compare: function () {
      const list = present.list || [];
      if (!present.current || list.length < 2) return;
      const prev = list[(present.at - 1 + list.length) % list.length];
      window.location.assign(base() + "compare?a=" + encodeURIComponent(prev.id) + "&b=" + encodeURIComponent(present.current.id) +
                             "&mode=present&lang=" + lang());
    }
  };
  window.malmoPresent = present;

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const onWall = document.querySelector("#page.present");
    const onCompareWall = document.querySelector(".compare-page.present");
    if ((onWall || onCompareWall) && event.key === "Escape") {  // Esc leaves presentation mode (the page without mode=present)
      const leave = document.getElementById("present-link");
      if (leave && onWall) { window.location.assign(leave.getAttribute("href")); return; }
    }
    // The wall's keys (← → C) work only when no control has the keyboard (2.1.4): on a button, a
    // link, a slider, a field or the map they do what that control does.
    const t = event.target;
    const inControl = t && t.closest && t.closest("a, button, input, select, textarea, summary, [role=slider], .rc-slider, .leaflet-container, [tabindex]:not(body)");
    if (inControl && !(t.closest && t.closest(".present-bar"))) return;
    if (onWall && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      event.preventDefault();
      present.step(event.key === "ArrowRight" ? 1 : -1);
    } else if (onWall && (event.key === "c" || event.key === "C")) {
      present.compare();
    } else if (onCompareWall && (event.key === "c" || event.key === "C") && window.malmoCompareBack) {
      window.location.assign(window.malmoCompareBack);  // back to B on the wall (malmo-compare.js sideB)
    }
  });

  // Imports a file of scenarios (from "Exportera"): new ids and tokens here, kept as this browser's own.
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    malmoScenarios: {
      importFile: function (contents) {
        if (!contents) return window.dash_clientside.no_update;
        let doc;
        try { doc = JSON.parse(decodeURIComponent(escape(window.atob(contents.split(",")[1] || "")))); }
        catch (e) { return say("scenario_failed", {reason: "JSON"}); }
        return api("POST", "scenarios/import", doc).then(function (data) {
          keep(mine().concat(data.scenarios.map(function (s) { return {id: s.id, token: s.edit_token, name: s.name}; })));
          render();
          return say("scenario_imported", {n: data.scenarios.length});
        }, function (err) { return say("scenario_failed", {reason: err.message}); });
      },
      // On the wall, the workshop's scenario named in the page (?s=) is where the arrows start.
      init: function (texts_) {
        window.malmoTexts = window.malmoTexts || texts_;
        render();
        if (texts_ && texts_.present) {
          // the bar wraps on a narrow wall or a phone: the map ends where the bar begins
          // and the city is fitted again into what the bar, the legend and the top list leave of the map
          const bar = document.getElementById("controls");
          if (bar && window.ResizeObserver) {
            let queued = null;
            const observer = new ResizeObserver(function () {
              document.documentElement.style.setProperty("--present-bar-h", bar.offsetHeight + "px");
              clearTimeout(queued);
              queued = setTimeout(function () { if (window.malmoMap) window.malmoMap.refit(); }, 100);
            });
            ["controls", "map-legend", "present-top", "data-notice"].forEach(function (id) {
              const el = document.getElementById(id);
              if (el) observer.observe(el);
            });
          }
          present.load().then(function (list) {
            let saved = null;
            try { saved = JSON.parse(window.sessionStorage.getItem("malmo.present") || "null"); } catch (e) { saved = null; }
            const id = texts_.scenario_id || (saved && saved.id);
            const at = list.findIndex(function (s) { return s.id === id; });
            if (at >= 0) {
              present.at = at; present.current = list[at]; present.previous = id;
              const name = document.getElementById("present-name");
              if (name) name.textContent = say("present_position", {n: at + 1, count: list.length, name: list[at].name});
            } else if (list.length && noViewInAddress()) {  // no scenario and no view in the address: the workshop's first, not "Inget scenario valt"
              (function first(tries) {  // once the page has read its view spec (the first readView), which apply uses
                if (window.malmoViewSpec) present.step(1); else if (tries < 200) setTimeout(function () { first(tries + 1); }, 50);
              })(0);
            }
          });
        }
        return window.dash_clientside.no_update;
      }
    }
  });
})();
