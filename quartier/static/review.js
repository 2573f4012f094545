// Baulückenkataster review page. Every value from the data or from reviewers is written as text
// (textContent, DOM elements for Leaflet tooltips), never as HTML.
"use strict";
(function () {
  const PAGE = 100;
  const $ = (id) => document.getElementById(id);
  const fmt = (v, digits) => (v === null || v === undefined) ? "–"
    : Number(v).toLocaleString("de-DE", {maximumFractionDigits: digits, minimumFractionDigits: 0});
  // stored times are UTC (ISO 8601); shown in the reviewer's local time
  function localTime(ts) {
    if (!ts) return "–";
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts : ts + "Z");
    return isNaN(d) ? ts : d.toLocaleString("de-DE", {dateStyle: "medium", timeStyle: "short"});
  }
  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  let META = null;
  let features = [];            // GeoJSON features, properties updated in place after decisions
  const byId = new Map();       // gap_id -> feature
  const shapes = new Map();     // gap_id -> Leaflet layer
  let shown = [];               // filtered and sorted features
  let page = 0;
  let current = null;           // detail of the selected candidate
  const selected = new Set();   // gap_ids ticked for bulk decisions
  let map, candidateLayer;
  const context = {};

  async function getJSON(path) {
    const r = await fetch(path, {credentials: "same-origin"});
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }
  async function postJSON(path, body) {
    const r = await fetch(path, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": META.csrf},
      body: JSON.stringify(body)});
    let data = null;
    try { data = await r.json(); } catch (e) { data = {error: "HTTP " + r.status}; }
    return {status: r.status, data: data};
  }
  function say(text, kind) {
    const m = $("message");
    m.textContent = text;
    m.className = kind || "";
  }

  function colour(status) { return META.colours[status] || "#000"; }
  function style(f) {
    const cur = current && current.gap_id === f.properties.gap_id;
    return {color: cur ? "#000" : colour(f.properties.status), weight: cur ? 3 : 1.2,
            fillColor: colour(f.properties.status), fillOpacity: 0.45, opacity: 1};
  }

  // ------------------------------------------------------------------ list and filters
  function filterValues() {
    const num = (id) => $(id).value === "" ? null : Number($(id).value);
    return {status: $("f-status").value, type: $("f-type").value, unit: $("f-unit").value,
            amin: num("f-amin"), amax: num("f-amax"), conf: num("f-conf"), sort: $("f-sort").value};
  }
  function applyFilters(keepPage) {
    const f = filterValues();
    shown = features.filter((x) => {
      const p = x.properties;
      return (!f.status || p.status === f.status) && (!f.type || p.gap_type === f.type)
        && (!f.unit || p.unit_id === f.unit) && (f.amin === null || p.area_m2 >= f.amin)
        && (f.amax === null || p.area_m2 <= f.amax)
        && (f.conf === null || (p.confidence !== null && p.confidence >= f.conf));
    });
    const desc = f.sort.startsWith("-");
    const key = desc ? f.sort.slice(1) : f.sort;
    shown.sort((a, b) => {
      const x = a.properties[key], y = b.properties[key];
      if (x === y) return a.properties.gap_id < b.properties.gap_id ? -1 : 1;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * (desc ? -1 : 1);
    });
    if (!keepPage) page = 0;
    const visible = new Set(shown.map((x) => x.properties.gap_id));
    for (const [id, layer] of shapes) {
      const on = candidateLayer.hasLayer(layer);
      if (visible.has(id) && !on) candidateLayer.addLayer(layer);
      if (!visible.has(id) && on) candidateLayer.removeLayer(layer);
    }
    renderList();
  }
  function renderList() {
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    const body = $("list").tBodies[0];
    body.replaceChildren();
    for (const f of shown.slice(page * PAGE, (page + 1) * PAGE)) {
      const p = f.properties;
      const tr = el("tr", null, {"data-id": p.gap_id});
      if (current && current.gap_id === p.gap_id) tr.className = "current";
      const box = el("input", null, {type: "checkbox", "aria-label": "auswählen"});
      box.checked = selected.has(p.gap_id);
      box.addEventListener("click", (ev) => {
        ev.stopPropagation();
        if (box.checked) selected.add(p.gap_id); else selected.delete(p.gap_id);
        $("bulk-n").textContent = selected.size + " ausgewählt";
      });
      const td0 = el("td"); td0.append(box); tr.append(td0);
      const idCell = el("td", p.gap_id);
      if (p.street) idCell.append(el("br"), el("small", p.street));
      tr.append(idCell, el("td", p.gap_type), el("td", fmt(p.area_m2, 0), {class: "num"}),
                el("td", fmt(p.confidence, 2), {class: "num"}));
      const st = el("td"); const dot = el("span", null, {class: "dot"});
      dot.style.background = colour(p.status); st.append(dot, document.createTextNode(p.status));
      tr.append(st, el("td", p.unit_name || p.unit_id || "–"));
      tr.addEventListener("click", () => select(p.gap_id, true));
      body.append(tr);
    }
    $("page").textContent = "Seite " + (page + 1) + " von " + pages;
    $("listinfo").textContent = shown.length.toLocaleString("de-DE") + " von "
      + features.length.toLocaleString("de-DE") + " Kandidaten";
    $("select-page").checked = false;
    renderCounts();
  }
  function renderCounts() {
    const n = {};
    for (const f of features) n[f.properties.status] = (n[f.properties.status] || 0) + 1;
    $("counts").textContent = META.statuses.map((s) => s + ": " + (n[s] || 0)).join(" · ");
  }

  // ------------------------------------------------------------------ detail and decisions
  // an unsaved choice: a status other than the stored one, or a note typed
  function chosenStatus() {
    const checked = document.querySelector("#status-buttons input:checked");
    return checked ? checked.value : (current ? current.status : null);
  }
  function dirty() {
    return !!current && (chosenStatus() !== current.status || $("note").value.trim() !== "");
  }
  function mayLeave(nextId) {
    if (!dirty() || (current && current.gap_id === nextId)) return true;
    return window.confirm("Die Entscheidung für " + current.gap_id + " („" + chosenStatus()
      + "“" + ($("note").value.trim() ? ", mit Notiz" : "") + ") ist nicht gespeichert. "
      + "Verwerfen und zum nächsten Kandidaten wechseln?");
  }
  async function select(gapId, pan) {
    if (!mayLeave(gapId)) return;
    let d;
    try { d = await getJSON("/api/candidates/" + encodeURIComponent(gapId)); }
    catch (e) { say("Kandidat nicht geladen: " + e.message, "error"); return; }
    const previous = current;
    current = d;
    say("");
    if (!previous || previous.gap_id !== gapId) $("note").value = "";  // a note belongs to one candidate
    if (previous && shapes.has(previous.gap_id)) shapes.get(previous.gap_id).setStyle(style(byId.get(previous.gap_id)));
    const layer = shapes.get(gapId);
    if (layer) {
      layer.setStyle(style(byId.get(gapId)));
      if (pan) map.fitBounds(layer.getBounds(), {maxZoom: 18, padding: [40, 40]});
    }
    const idx = shown.findIndex((x) => x.properties.gap_id === gapId);
    if (idx >= 0 && Math.floor(idx / PAGE) !== page) page = Math.floor(idx / PAGE);
    renderList();
    const row = $("list").querySelector("tr.current");
    if (row) row.scrollIntoView({block: "nearest"});
    renderDetail();
    if (narrow() && pan !== "keep") showTab("detail");
  }
  function renderDetail() {
    const d = current;
    $("empty").hidden = true;
    $("card").hidden = false;
    $("d-id").textContent = d.gap_id;
    $("d-street").textContent = d.street ? d.street + (d.unit_name ? " · " + d.unit_name : "") : "";
    const street = d.street ? d.street + (d.street_m ? " (" + fmt(d.street_m, 0) + " m)" : "") : "–";
    const rows = [["Straße (nächste)", street], ["Typ", d.gap_type], ["Fläche", fmt(d.area_m2, 0) + " m²"],
      ["Straßenfront", fmt(d.frontage_m, 1) + " m"],
      ["Tiefe (Fläche/Front)", d.depth_m === null ? "– (keine Straßenfront)" : fmt(d.depth_m, 1) + " m"],
      ["Konfidenz", fmt(d.confidence, 2)],
      ["Einheit", d.unit_name ? d.unit_name + " (" + d.unit_id + ")" : "–"],
      ["Erkennung", d.state + (d.previous_id ? " (Vorgänger " + d.previous_id + ")" : "")],
      ["Status", d.status], ["Version", d.version],
      ["Entschieden", d.reviewer ? d.reviewer + ", " + localTime(d.decided_at) : "–"]];
    const body = $("facts").tBodies[0];
    body.replaceChildren();
    for (const [k, v] of rows) { const tr = el("tr"); tr.append(el("td", k), el("td", v)); body.append(tr); }
    $("d-rule").textContent = d.rule || "–";
    for (const input of document.querySelectorAll("#status-buttons input")) input.checked = input.value === d.status;
    const hist = $("history").tBodies[0];
    hist.replaceChildren();
    for (const h of d.history.slice().reverse()) {
      const tr = el("tr");
      tr.append(el("td", h.decision_id), el("td", localTime(h.timestamp)), el("td", h.status), el("td", h.reviewer),
                el("td", h.note || ""));
      hist.append(tr);
    }
  }
  function reviewer() {
    const name = $("reviewer").value.trim();
    if (!name) { say("Bitte oben Ihren Namen als Prüfer/in eintragen.", "error"); $("reviewer").focus(); }
    return name;
  }
  function updateFeature(gapId, status, version, who) {
    const f = byId.get(gapId);
    if (!f) return;
    Object.assign(f.properties, {status: status, version: version, reviewer: who});
    shapes.get(gapId).setStyle(style(f));
  }
  async function save(ev) {
    if (ev) ev.preventDefault();
    if (!current) return;
    const who = reviewer();
    if (!who) return;
    const checked = document.querySelector("#status-buttons input:checked");
    const status = checked ? checked.value : current.status;
    const note = $("note").value;
    const r = await postJSON("/api/candidates/" + encodeURIComponent(current.gap_id) + "/decision",
      {status: status, reviewer: who, note: note, expected_version: current.version});
    if (r.status === 200) {
      current = r.data;
      updateFeature(current.gap_id, current.status, current.version, current.reviewer);
      $("note").value = "";
      renderDetail();
      applyFilters(true);
      say("Gespeichert: " + current.status + " (Version " + current.version + ").", "ok");
    } else if (r.status === 409) {
      const c = r.data.conflict || {};
      say("Nicht gespeichert: " + (c.reviewer || "jemand") + " hat inzwischen entschieden: „"
        + c.status + "“ (Version " + c.decision_id + ", " + (c.timestamp || "") + ")"
        + (c.note ? "\nNotiz: " + c.note : "")
        + "\nIhre Eingabe ist unten erhalten; prüfen Sie die neue Lage und speichern Sie erneut.", "error");
      const keep = $("note").value;
      const fresh = await getJSON("/api/candidates/" + encodeURIComponent(current.gap_id));
      current = fresh;
      updateFeature(fresh.gap_id, fresh.status, fresh.version, fresh.reviewer);
      const msg = $("message").textContent;
      renderDetail();
      // the reviewer's own choice and text stay as typed: saving again is a deliberate act
      $("note").value = keep;
      for (const input of document.querySelectorAll("#status-buttons input")) input.checked = input.value === status;
      say(msg, "error");
      applyFilters(true);
    } else {
      say("Nicht gespeichert: " + (r.data.error || "HTTP " + r.status), "error");
    }
  }
  async function bulk() {
    if (!selected.size) { say("Keine Kandidaten ausgewählt (Kästchen in der Liste).", "error"); return; }
    const who = reviewer();
    if (!who) return;
    const status = $("bulk-status").value;
    const note = $("bulk-note").value.trim();
    if (!note) { say("Bitte eine Notiz zur Sammelentscheidung eintragen (warum alle diesen Status bekommen).", "error"); $("bulk-note").focus(); return; }
    if (!window.confirm(selected.size.toLocaleString("de-DE") + " Kandidaten auf „" + status
        + "“ setzen?\nNotiz: " + note)) return;
    const items = [...selected].map((g) => ({gap_id: g, expected_version: byId.get(g).properties.version}));
    const r = await postJSON("/api/decisions", {items: items, status: status, reviewer: who, note: note});
    if (r.status === 200) {
      for (const d of r.data.decisions) updateFeature(d.gap_id, d.status, d.version, who);
      say(r.data.decisions.length + " Kandidaten auf „" + status + "“ gesetzt.", "ok");
      selected.clear();
      $("bulk-note").value = "";
      $("bulk-n").textContent = "0 ausgewählt";
      applyFilters(true);
      if (current) select(current.gap_id, "keep");
    } else if (r.status === 409) {
      const lines = Object.entries(r.data.conflicts || {}).map(([g, c]) => {
        updateFeature(g, c.status, c.decision_id, c.reviewer);  // so a repeated bulk sees them
        return g + ": „" + c.status + "“ von " + c.reviewer + " (Version " + c.decision_id + ")";
      });
      applyFilters(true);
      say("Nichts gespeichert: inzwischen anders entschieden:\n" + lines.join("\n"), "error");
    } else {
      say("Nichts gespeichert: " + (r.data.error || "HTTP " + r.status), "error");
    }
  }
  // ------------------------------------------------------------------ phone: list, map, details as tabs
  function narrow() { return window.matchMedia("(max-width: 900px)").matches; }
  function showTab(name) {
    document.body.dataset.tab = name;
    for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    if (name === "map" && map) setTimeout(() => map.invalidateSize(), 0);
  }
  function step(delta) {
    if (!shown.length) return;
    const idx = current ? shown.findIndex((x) => x.properties.gap_id === current.gap_id) : -1;
    const next = Math.max(0, Math.min(shown.length - 1, idx + delta));
    select(shown[next].properties.gap_id, true);
  }

  // ------------------------------------------------------------------ map
  function legend() {
    const box = L.control({position: "bottomright"});
    box.onAdd = () => {
      const div = el("div", null, {class: "legend"});
      for (const s of META.statuses) {
        const row = el("div"); const dot = el("span", null, {class: "dot"});
        dot.style.background = colour(s); row.append(dot, document.createTextNode(s)); div.append(row);
      }
      if (META.layers.includes("buildings")) div.append(el("div", "Gebäude, Straßen ab Zoomstufe " + META.layer_min_zoom));
      return div;
    };
    box.addTo(map);
  }
  async function loadContext() {
    for (const name of ["buildings", "streets"]) {
      if (!META.layers.includes(name)) continue;
      if (context[name]) { map.removeLayer(context[name]); context[name] = null; }
      if (map.getZoom() < META.layer_min_zoom) continue;
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
      const data = await getJSON("/api/layers/" + name + "?bbox=" + bbox);
      context[name] = L.geoJSON(data, {pane: "context", interactive: false,
        style: name === "buildings" ? {color: "#777", weight: 0.6, fillColor: "#bbb", fillOpacity: 0.6}
                                    : {color: "#fff", weight: 3, opacity: 0.9}}).addTo(map);
    }
  }

  async function start() {
    const candidatesLoaded = getJSON("/api/candidates");  // in parallel with the metadata
    META = await getJSON("/api/meta");
    $("city").textContent = "– " + META.city;
    document.title = "Baulückenkataster " + META.city + " – Prüfung";
    $("reviewer").value = localStorage.getItem("quartier-reviewer") || "";
    $("reviewer").addEventListener("change", () => localStorage.setItem("quartier-reviewer", $("reviewer").value.trim()));
    for (const s of META.statuses) {
      $("f-status").append(el("option", s, {value: s}));
      $("bulk-status").append(el("option", s, {value: s}));
      const label = el("label"); const input = el("input", null, {type: "radio", name: "status", value: s});
      label.append(input, document.createTextNode(s)); $("status-buttons").append(label);
    }
    for (const t of META.gap_types) $("f-type").append(el("option", t, {value: t}));
    for (const [id, name] of META.units) $("f-unit").append(el("option", name + " (" + id + ")", {value: id}));

    map = L.map("map", {preferCanvas: true});
    map.createPane("context").style.zIndex = 350;
    const renderer = L.canvas({padding: 0.2});
    const b = META.bounds;
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [20, 20]});
    if (META.layers.includes("units")) {
      getJSON("/api/layers/units").then((data) => {
        L.geoJSON(data, {pane: "context", interactive: false,
          style: {color: "#1f3a5f", weight: 1.5, fill: false, dashArray: "4 3"}}).addTo(map);
      });
    }
    const data = await candidatesLoaded;
    features = data.features;
    candidateLayer = L.geoJSON(data, {renderer: renderer, style: style,
      onEachFeature: (f, layer) => { byId.set(f.properties.gap_id, f); shapes.set(f.properties.gap_id, layer); }});
    // one tooltip and one click handler for the group: 10,000 per-feature handlers cost seconds
    candidateLayer.bindTooltip((layer) => el("span", layer.feature.properties.gap_id + " · "
      + layer.feature.properties.gap_type + " · " + fmt(layer.feature.properties.area_m2, 0) + " m²"), {sticky: true});
    candidateLayer.on("click", (e) => select(e.layer.feature.properties.gap_id, false));
    candidateLayer.addTo(map);
    legend();
    applyFilters(false);
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.quartierMapDrawn = performance.now();
      document.body.dataset.ready = "1";
    }));
    map.on("moveend", () => { loadContext().catch((e) => say("Kartenebenen nicht geladen: " + e.message, "error")); });
    loadContext();
    if (META.notes.length) say(META.notes.join("\n"));

    $("filters").addEventListener("input", () => applyFilters(false));
    $("prev-page").addEventListener("click", () => { page = Math.max(0, page - 1); renderList(); });
    $("next-page").addEventListener("click", () => { page += 1; renderList(); });
    $("select-page").addEventListener("change", (ev) => {
      for (const f of shown.slice(page * PAGE, (page + 1) * PAGE)) {
        if (ev.target.checked) selected.add(f.properties.gap_id); else selected.delete(f.properties.gap_id);
      }
      const keep = ev.target.checked; renderList(); $("select-page").checked = keep;
      $("bulk-n").textContent = selected.size + " ausgewählt";
    });
    $("bulk-apply").addEventListener("click", bulk);
    $("decide").addEventListener("submit", save);
    window.addEventListener("beforeunload", (ev) => { if (dirty()) { ev.preventDefault(); ev.returnValue = ""; } });
    for (const b of document.querySelectorAll("#tabs button")) {
      b.addEventListener("click", () => showTab(b.dataset.tab));
    }
    showTab("list");
    document.addEventListener("keydown", (ev) => {
      // a status button keeps the focus after a click: the arrow keys would move the choice to
      // the next status (the browser's radio behaviour); here they move between candidates
      const radio = ev.target.tagName === "INPUT" && ev.target.type === "radio";
      const typing = !radio && ["INPUT", "TEXTAREA", "SELECT"].includes(ev.target.tagName);
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); save(); return; }
      if (typing) return;
      if (radio && ["ArrowLeft", "ArrowRight"].includes(ev.key)) { ev.preventDefault(); return; }
      if (radio && ["ArrowDown", "ArrowUp"].includes(ev.key)) ev.target.blur();
      if (ev.key === "ArrowDown" || ev.key === "j") { ev.preventDefault(); step(1); }
      else if (ev.key === "ArrowUp" || ev.key === "k") { ev.preventDefault(); step(-1); }
      else if (/^[1-5]$/.test(ev.key) && current) {
        const input = document.querySelectorAll("#status-buttons input")[Number(ev.key) - 1];
        if (input) input.checked = true;
      }
    });
  }
  start().catch((e) => say("Die Seite konnte nicht geladen werden: " + e.message, "error"));
})();
