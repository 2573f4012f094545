// quartier's map: layers, popups, search, layer panel, legend of the visible layers, title and
// print layout, drawn from one payload. Every string of the payload is escaped text (HTML
// entities) made by quartier: it is written as HTML only as such, never as code; links are
// checked against a pattern of file names. (No template syntax in this file: folium renders it
// through Jinja2.)
"use strict";
(function () {
  const Q = {};
  window.quartier = Q;
  const SMALL = 700;                 // below this width: panel and legend start collapsed
  const ORDER = {base: 0, theme: 1, outline: 2, gaps: 3, pois: 4};
  let D = null, map = null, T = null;
  const layers = new Map();          // key -> {spec, layer}
  let unitRow = new Map();           // unit position -> row of D.units
  let featureOf = new Map();         // unit position -> GeoJSON feature
  let areaInfo = new Map();          // area id -> properties
  let activeTheme = null;
  let legendBox = null, panelBox = null, baseLayer = null;

  function el(tag, cls, html) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html !== undefined && html !== null) e.innerHTML = html;   // escaped text from quartier
    return e;
  }
  const safeLink = (href) => /^[\w.\/-]+\.html$/.test(href || "");
  const safeColour = (c) => /^(#[0-9a-fA-F]{3,8}|transparent)$/.test(c || "") ? c : "#999";
  function decode(text) {                 // entities to characters, for matching only
    const t = document.createElement("textarea");
    t.innerHTML = text;
    return t.value;
  }
  const norm = (s) => decode(s).toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss");

  // ---------------------------------------------------------------------------------- styles
  // outlines thinner when the whole city is in view (a phone), full width from zoom 12
  const lineScale = () => (map && map.getZoom() < 11 ? 0.5 : map && map.getZoom() < 12 ? 0.75 : 1);
  Q.flaggedStyle = function () {
    return {color: "#000", weight: 2.4 * lineScale(), fill: false, opacity: 0.95};
  };
  const areaStyle = () => ({color: D.colours.area, weight: 3.5 * lineScale(), opacity: 0.9});
  function themeStyle(spec) {
    return function (f) {
      const c = spec.cls[f.properties._i];
      return {fillColor: c >= 0 ? spec.palette[c] : D.colours.no_data, fillOpacity: spec.op,
              color: "#666", weight: 0.4, opacity: 0.8};
    };
  }

  // ---------------------------------------------------------------------------------- popups
  // never wider than the screen (a phone), panned clear of the title and the controls
  const popOpts = () => ({maxWidth: Math.min(380, window.innerWidth - 60),
                          minWidth: Math.min(230, window.innerWidth - 60),
                          autoPanPaddingTopLeft: [20, window.innerWidth < SMALL ? 160 : 60],
                          autoPanPaddingBottomRight: [20, 40]});
  function unitPopup(pos, themeKey) {
    const r = unitRow.get(pos);
    if (r === undefined) return null;
    const U = D.units, row = U.rows[r];
    const box = el("div", "q-pop");
    const head = el("div", "q-pop-h");
    head.append(el("b", null, row[1]));
    head.append(el("span", "q-sub", "Nr. " + row[0] + (row[2] ? " · " + row[2] : "")));
    box.append(head);
    if (U.flag) {
      const f = U.flag[r];
      box.append(el("div", f ? "q-flag" : "q-noflag",
                    f ? T.flag.replace("{reason}", f === "✓" ? "" : f) : T.not_flagged));
    }
    const tbl = el("table", "q-figs");
    const spec = themeKey ? layers.get(themeKey).spec : null;
    const shown = new Set(U.fig);
    if (spec && spec.val && !shown.has(spec.name)) {
      const tr = el("tr"); tr.append(el("th", null, spec.name), el("td", null, spec.val[pos]));
      tbl.append(tr);
    }
    U.fig.forEach((label, k) => {
      const v = row[3][k];
      if (v === undefined || v === "–") return;
      const tr = el("tr"); tr.append(el("th", null, label), el("td", null, v)); tbl.append(tr);
    });
    box.append(tbl);
    if (U.area && U.area[r]) {
      const a = areaInfo.get(U.area[r]) || {};
      const line = el("div", "q-area", T.area_member.replace("{id}", U.area[r])
                      .replace("{name}", a.name || ""));
      if (safeLink(a.profile)) {
        const link = el("a", null, " → " + T.area_profile); link.href = a.profile;
        line.append(link);
      }
      box.append(line);
    }
    if (U.reasons && U.reasons[r] && U.reasons[r].length) {
      const d = el("details", "q-reasons"); d.open = U.reasons[r].length <= 6;
      d.append(el("summary", null, T.reasons));
      const ul = el("ul");
      for (const x of U.reasons[r]) ul.append(el("li", null, x));
      d.append(ul); box.append(d);
    }
    if (safeLink(U.profile[r])) {
      const a = el("a", "q-link", T.profile + " →"); a.href = U.profile[r];
      box.append(a);
    }
    return box;
  }
  function tooltipOf(pos, spec) {
    const r = unitRow.get(pos);
    const row = r === undefined ? null : D.units.rows[r];
    const name = row ? "<b>" + row[1] + "</b> (" + row[0] + ")" : "";
    return name + (spec && spec.val ? "<br>" + spec.name + ": " + spec.val[pos] : "");
  }
  function figsTable(figs) {
    const tbl = el("table", "q-figs");
    for (const [k, v] of figs) {
      if (!v || v === "–") continue;
      const tr = el("tr"); tr.append(el("th", null, k), el("td", null, v)); tbl.append(tr);
    }
    return tbl;
  }

  // ---------------------------------------------------------------------------------- layers
  function buildTheme(spec) {
    const style = themeStyle(spec);
    const gj = L.geoJSON(D.units.geo, {style: style});
    gj.bindTooltip((l) => tooltipOf(l.feature.properties._i, spec), {sticky: true});
    gj.on("click", (e) => {
      const box = unitPopup(e.layer.feature.properties._i, spec.key);
      if (box) L.popup(popOpts()).setLatLng(e.latlng)
        .setContent(box).openOn(map);
    });
    gj.on("mouseover", (e) => e.layer.setStyle({weight: 2.2, color: "#111"}));
    gj.on("mouseout", (e) => gj.resetStyle(e.layer));
    return gj;
  }
  function buildFlagged(spec) {
    const feats = spec.units.map((i) => featureOf.get(i)).filter(Boolean);
    return L.geoJSON({type: "FeatureCollection", features: feats},
                     {style: Q.flaggedStyle, interactive: false});
  }
  function buildAreas(spec) {
    const gj = L.geoJSON(spec.geo, {style: areaStyle});
    gj.bindTooltip((l) => "<b>" + l.feature.properties.id + "</b> " + l.feature.properties.name,
                   {sticky: true});
    gj.on("click", (e) => {
      const p = e.layer.feature.properties;
      const box = el("div", "q-pop");
      const head = el("div", "q-pop-h");
      head.append(el("b", null, p.id + " " + p.name));
      box.append(head, figsTable(p.fig), el("p", "q-small", p.reasons));
      if (safeLink(p.profile)) {
        const a = el("a", "q-link", T.area_profile + " →"); a.href = p.profile; box.append(a);
      }
      L.popup(popOpts()).setLatLng(e.latlng).setContent(box).openOn(map);
      L.DomEvent.stop(e);
    });
    return gj;
  }
  function buildGaps(spec) {
    const gj = L.geoJSON(spec.geo, {style: (f) => ({color: "#222", weight: 0.8,
      fillColor: safeColour(f.properties.c), fillOpacity: 0.85})});
    gj.bindTooltip((l) => "<b>" + l.feature.properties.id + "</b>", {sticky: true});
    gj.on("click", (e) => {
      const p = e.layer.feature.properties;
      const box = el("div", "q-pop");
      box.append(el("div", "q-pop-h", "<b>" + p.id + "</b>"), figsTable(p.fig));
      box.append(el("p", "q-small", "<b>" + T.gap_rule + ":</b> " + p.rule));
      L.popup(popOpts()).setLatLng(e.latlng).setContent(box).openOn(map);
      L.DomEvent.stop(e);
    });
    return gj;
  }
  function buildSites(spec) {
    const group = L.featureGroup();
    for (const p of spec.pts) {
      const sel = p[2] === 1;
      const m = L.circleMarker([p[0], p[1]], {radius: p[3], color: sel ? "#000" : "#777",
        weight: sel ? 1.2 : 0.5, fillColor: sel ? safeColour(spec.colour) : "#bbbbbb",
        fillOpacity: 0.85});
      m.bindTooltip(p[4] + (sel ? " · " + p[5] : ""));
      m.on("click", (e) => {
        const box = el("div", "q-pop");
        box.append(el("div", "q-pop-h", "<b>" + p[4] + "</b>"), el("p", "q-small", p[6]));
        L.popup(popOpts()).setLatLng(e.latlng).setContent(box).openOn(map);
        L.DomEvent.stop(e);
      });
      group.addLayer(m);
    }
    return group;
  }
  function poiIcon(spec, extra) {
    return L.divIcon({className: "q-poi-wrap", iconSize: null,
      html: "<span class=\"q-poi\" style=\"background:" + safeColour(spec.colour) + "\">"
        + spec.glyph + "</span>" + (extra || "")});
  }
  function buildPois(spec) {
    const group = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 45,
      iconCreateFunction: (c) => L.divIcon({className: "q-poi-wrap", iconSize: null,
        html: "<span class=\"q-poi q-cluster\" style=\"border-color:" + safeColour(spec.colour)
          + ";color:" + safeColour(spec.colour) + "\">" + spec.glyph + " "
          + c.getChildCount().toLocaleString(D.lang) + "</span>"})});
    const icon = poiIcon(spec);
    const markers = spec.pts.map((p) => L.marker([p[0], p[1]], {icon: icon})
      .bindTooltip(spec.label + ": " + p[2]));
    group.addLayers(markers);
    return group;
  }
  function layerOf(key) {
    const item = layers.get(key);
    if (item.layer) return item.layer;
    const s = item.spec;
    if (s.group === "theme") item.layer = buildTheme(s);
    else if (s.key === "flagged") item.layer = buildFlagged(s);
    else if (s.key === "areas") item.layer = buildAreas(s);
    else if (s.key === "gaps") item.layer = buildGaps(s);
    else if (s.key === "sites") item.layer = buildSites(s);
    else if (s.group === "pois") item.layer = buildPois(s);
    return item.layer;
  }
  function isOn(key) {
    const item = layers.get(key);
    return !!(item && item.layer && map.hasLayer(item.layer));
  }
  function show(key, on) {
    const item = layers.get(key);
    if (!item) return;
    if (on) {
      if (item.spec.group === "theme") {
        for (const [k, other] of layers) {
          if (k !== key && other.spec.group === "theme" && other.layer) map.removeLayer(other.layer);
        }
        activeTheme = key;
      }
      map.addLayer(layerOf(key));
    } else {
      if (item.layer) map.removeLayer(item.layer);
      if (activeTheme === key) activeTheme = null;
    }
    restack();
    renderLegend();
    syncPanel();
  }
  function restack() {
    // one canvas draws every vector layer in the order added: themes below, outlines above,
    // gaps above sites, so each layer's click reaches it; images below the canvas
    const on = [...layers.values()].filter((x) => x.layer && map.hasLayer(x.layer));
    on.sort((a, b) => ORDER[a.spec.group] - ORDER[b.spec.group]
      || (a.spec.key === "sites" ? -1 : 0) - (b.spec.key === "sites" ? -1 : 0));
    for (const x of on.slice().reverse()) {
      if (x.layer instanceof L.ImageOverlay) x.layer.bringToBack();
    }
    for (const x of on) {
      if (x.layer instanceof L.ImageOverlay || !x.layer.bringToFront) continue;
      if (x.spec.group === "pois") continue;
      x.layer.bringToFront();
    }
  }

  // ---------------------------------------------------------------------------------- legend
  function swatch(shape, colour, glyph) {
    const s = el("span", "q-sw q-sw-" + shape);
    const c = safeColour(colour);
    if (shape === "line") s.style.borderColor = c;
    else if (shape === "symbol") { s.className = "q-poi"; s.style.background = c; s.innerHTML = glyph || ""; }
    else s.style.background = c;
    return s;
  }
  function renderLegend() {
    const body = legendBox.querySelector(".q-legend-body");
    body.replaceChildren();
    const on = [...layers.values()].filter((x) => x.spec.legend && x.layer && map.hasLayer(x.layer));
    on.sort((a, b) => ORDER[a.spec.group] - ORDER[b.spec.group]);
    for (const x of on) {
      const lg = x.spec.legend;
      const sec = el("div", "quartier-legend-section");
      sec.append(el("div", "q-legend-title", lg.title));
      const rows = lg.rows;
      rows.forEach((row, k) => {
        const line = el("div", "q-legend-row");
        line.append(swatch(lg.shape, row[0], x.spec.glyph), el("span", null, row[1]));
        if (lg.ends && k === 0) line.append(el("span", "q-end", "← " + lg.ends[0]));
        const lastRamp = lg.ends && (k === rows.length - 1 || (k === rows.length - 2
          && rows[rows.length - 1][0] !== rows[0][0] && /^(#bdbdbd|transparent)$/.test(rows[rows.length - 1][0])));
        if (lastRamp && k > 0) line.append(el("span", "q-end", "← " + lg.ends[1]));
        sec.append(line);
      });
      if (lg.note) sec.append(el("div", "quartier-legend-note", lg.note));
      body.append(sec);
    }
    legendBox.hidden = !on.length;
  }
  function legendControl() {
    const ctl = L.control({position: "bottomleft"});
    ctl.onAdd = () => {
      legendBox = el("div", "quartier-legend q-box");
      const head = el("button", "q-toggle", T.legend);
      head.type = "button";
      head.setAttribute("aria-expanded", "true");
      const body = el("div", "q-legend-body");
      head.addEventListener("click", () => {
        const open = legendBox.classList.toggle("q-collapsed");
        head.setAttribute("aria-expanded", String(!open));
      });
      legendBox.append(head, body);
      if (window.innerWidth < SMALL) legendBox.classList.add("q-collapsed");
      L.DomEvent.disableClickPropagation(legendBox);
      L.DomEvent.disableScrollPropagation(legendBox);
      return legendBox;
    };
    ctl.addTo(map);
  }

  // ----------------------------------------------------------------------------------- panel
  function panelControl() {
    const ctl = L.control({position: "topright"});
    ctl.onAdd = () => {
      panelBox = el("div", "q-panel q-box");
      const head = el("button", "q-toggle", T.layers);
      head.type = "button";
      head.setAttribute("aria-expanded", "true");
      head.addEventListener("click", () => {
        const closed = panelBox.classList.toggle("q-collapsed");
        head.setAttribute("aria-expanded", String(!closed));
      });
      const body = el("div", "q-panel-body");
      const groups = [["theme", T.group_theme], ["outline", T.group_outline],
                      ["gaps", T.group_gaps], ["pois", T.group_pois]];
      for (const [g, title] of groups) {
        const items = [...layers.values()].filter((x) => x.spec.group === g);
        if (!items.length) continue;
        const fs = el("fieldset");
        fs.append(el("legend", null, title));
        if (g === "theme") {
          fs.append(choice("radio", "", T.theme_none, null));
        }
        for (const x of items) {
          fs.append(choice(g === "theme" ? "radio" : "checkbox", x.spec.key, x.spec.name,
                           g === "pois" ? x.spec : null));
        }
        body.append(fs);
      }
      if (baseLayer) {
        const fs = el("fieldset");
        fs.append(el("legend", null, T.group_base));
        const lab = el("label");
        const box = el("input"); box.type = "checkbox"; box.checked = map.hasLayer(baseLayer);
        box.addEventListener("change", () => box.checked ? map.addLayer(baseLayer)
          : map.removeLayer(baseLayer));
        lab.append(box, el("span", null, T.basemap));
        fs.append(lab);
        body.append(fs);
      }
      panelBox.append(head, body);
      if (window.innerWidth < SMALL) panelBox.classList.add("q-collapsed");
      L.DomEvent.disableClickPropagation(panelBox);
      L.DomEvent.disableScrollPropagation(panelBox);
      return panelBox;
    };
    ctl.addTo(map);
  }
  function choice(type, key, name, poi) {
    const lab = el("label");
    const input = el("input");
    input.type = type;
    if (type === "radio") input.name = "q-theme";
    input.dataset.key = key;
    input.addEventListener("change", () => {
      if (type === "radio") {
        if (key) show(key, true);
        else for (const [k, x] of layers) if (x.spec.group === "theme" && isOn(k)) show(k, false);
      } else show(key, input.checked);
    });
    lab.append(input);
    if (poi) lab.append(swatch("symbol", poi.colour, poi.glyph));
    lab.append(el("span", null, name));
    return lab;
  }
  function syncPanel() {
    if (!panelBox) return;
    for (const input of panelBox.querySelectorAll("input[data-key]")) {
      const key = input.dataset.key;
      input.checked = key ? isOn(key) : !activeTheme;
    }
  }

  // ------------------------------------------------------------------------ title and search
  function titleControl() {
    const ctl = L.control({position: "topleft"});
    ctl.onAdd = () => {
      const box = el("div", "q-title q-box");
      box.append(el("h1", null, D.title), el("div", "q-subtitle", D.subtitle));
      const links = el("div", "q-links");
      if (safeLink(D.links.report)) {
        const a = el("a", null, T.report); a.href = D.links.report; links.append(a);
      }
      if (safeLink(D.links.profiles)) {
        const a = el("a", null, T.profiles); a.href = D.links.profiles; links.append(a);
      }
      if (D.sources.length) {
        const d = el("details", "q-sources");
        d.append(el("summary", null, T.sources));
        const ul = el("ul");
        for (const s of D.sources) ul.append(el("li", null, s));
        d.append(ul);
        links.append(d);
      }
      box.append(links);
      if (D.units && D.units.rows.length) box.append(searchBox());
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
  }
  function searchBox() {
    const wrap = el("div", "q-search");
    const label = el("label", null, "<span class=\"q-vh\">" + T.search + "</span>");
    const input = el("input");
    input.type = "search";
    input.id = "q-search";
    input.placeholder = T.search + ": " + T.search_placeholder;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-label", decode(T.search));
    label.append(input);
    const list = el("ul", "q-hits");
    list.setAttribute("role", "listbox");
    wrap.append(label, list);
    const index = D.units.rows.map((row, r) => [r, norm(row[0]), norm(row[1]), norm(row[2] || "")]);
    let hits = [];
    function render() {
      list.replaceChildren();
      const q = norm(input.value.trim());
      if (!q) { hits = []; return; }
      hits = index.filter((x) => x[1].startsWith(q) || x[2].includes(q) || x[3].includes(q))
        .sort((a, b) => (b[2].startsWith(q) - a[2].startsWith(q)) || (a[2] < b[2] ? -1 : 1))
        .slice(0, 8);
      if (!hits.length) { list.append(el("li", "q-none", T.search_none)); return; }
      hits.forEach((x, k) => {
        const row = D.units.rows[x[0]];
        const li = el("li", k === 0 ? "q-active" : "", row[1] + " <span class=\"q-sub\">"
                      + row[0] + (row[2] ? " · " + row[2] : "") + "</span>");
        li.setAttribute("role", "option");
        li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pick(x[0]); });
        list.append(li);
      });
    }
    function pick(r) {
      const pos = D.units.pos[r];
      const b = D.units.bbox[r];
      list.replaceChildren();
      input.value = decode(D.units.rows[r][1]);
      input.blur();
      if (!b) return;
      const bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      map.fitBounds(bounds, {maxZoom: 15, paddingTopLeft: [20, 120], paddingBottomRight: [20, 20]});
      const f = featureOf.get(pos);
      let at = bounds.getCenter();
      if (f) {
        const inner = L.geoJSON(f).getLayers()[0];
        if (inner && inner.getCenter) at = inner.getCenter();
      }
      const box = unitPopup(pos, activeTheme);
      if (box) L.popup(popOpts()).setLatLng(at).setContent(box).openOn(map);
    }
    input.addEventListener("input", render);
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && hits.length) { ev.preventDefault(); pick(hits[0][0]); }
      if (ev.key === "Escape") { input.value = ""; render(); }
    });
    Q.search = (text) => { input.value = text; render(); if (hits.length) pick(hits[0][0]); };
    return wrap;
  }

  function listedUnitAt(ll) {             // the listed unit whose box centre is nearest
    let best = null, dist = Infinity;
    D.units.bbox.forEach((b, r) => {
      if (!b || ll.lng < b[0] || ll.lng > b[2] || ll.lat < b[1] || ll.lat > b[3]) return;
      const d = Math.abs(ll.lng - (b[0] + b[2]) / 2) + Math.abs(ll.lat - (b[1] + b[3]) / 2);
      if (d < dist) { dist = d; best = r; }
    });
    return best;
  }

  // ------------------------------------------------------------------------------------ print
  function printLayout() {
    const foot = el("div", "q-print-foot", "<b>" + T.print_sources + ":</b> " + D.sources.join(" · "));
    map.getContainer().parentNode.append(foot);
    // the printed page shows what the screen showed: the same bounds on the page's map size
    let view = null;
    const toPrint = () => {
      if (view) return;
      view = {bounds: map.getBounds(), snap: map.options.zoomSnap};
      if (legendBox) legendBox.classList.remove("q-collapsed");
      map.options.zoomSnap = 0.05;
      map.invalidateSize({animate: false});
      map.fitBounds(view.bounds, {animate: false, padding: [4, 4]});
    };
    const toScreen = () => {
      if (!view) return;
      map.options.zoomSnap = view.snap;
      map.invalidateSize({animate: false});
      map.fitBounds(view.bounds, {animate: false});
      view = null;
    };
    window.addEventListener("beforeprint", toPrint);
    window.addEventListener("afterprint", toScreen);
    if (window.matchMedia) {
      const mq = window.matchMedia("print");
      if (mq.addEventListener) mq.addEventListener("change", () => (mq.matches ? toPrint() : toScreen()));
    }
  }

  // ------------------------------------------------------------------------------------- init
  Q.init = function (leafletMap, registry, data) {
    D = data; map = leafletMap; T = data.t;
    if (D.units) {
      D.units.pos.forEach((p, r) => unitRow.set(p, r));
      if (D.units.geo) for (const f of D.units.geo.features) featureOf.set(f.properties._i, f);
    }
    map.eachLayer((l) => { if (l instanceof L.TileLayer) baseLayer = l; });
    for (const spec of D.layers) {
      layers.set(spec.key, {spec: spec, layer: spec.folium ? registry[spec.key] : null});
      if (spec.key === "areas") for (const f of spec.geo.features) areaInfo.set(f.properties.id, f.properties);
    }
    titleControl();
    panelControl();
    legendControl();
    L.control.zoom({position: "bottomright"}).addTo(map);
    L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
    for (const spec of D.layers) {
      const item = layers.get(spec.key);
      if (spec.folium && item.layer && map.hasLayer(item.layer) && !spec.show) map.removeLayer(item.layer);
      if (spec.show) {
        if (spec.group === "theme") activeTheme = spec.key;
        map.addLayer(layerOf(spec.key));
      }
    }
    restack();
    renderLegend();
    syncPanel();
    printLayout();
    map.on("zoomend", () => {
      for (const key of ["flagged", "areas"]) {
        const item = layers.get(key);
        if (item && item.layer && item.layer.setStyle && !item.spec.folium) {
          item.layer.setStyle(key === "areas" ? areaStyle : Q.flaggedStyle);
        }
      }
    });
    document.addEventListener("keydown", (ev) => {
      const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(ev.target.tagName);
      if (typing) return;
      if (ev.key === "/" && document.getElementById("q-search")) {
        ev.preventDefault(); document.getElementById("q-search").focus();
      }
    });
    // an open popup says more than the hover tooltip, which would sit under it
    map.on("popupopen", () => map.getContainer().classList.add("q-popup-open"));
    map.on("popupclose", () => map.getContainer().classList.remove("q-popup-open"));
    Q.map = map;
    Q.layers = layers;
    Q.show = show;
    Q.openUnit = (pos, latlng) => {
      const box = unitPopup(pos, activeTheme);
      if (box) L.popup(popOpts()).setLatLng(latlng).setContent(box).openOn(map);
    };
    if (D.units && !D.units.geo) {
      // a large map is an image: a click opens the unit of the priority list under it
      map.on("click", (e) => {
        const r = listedUnitAt(e.latlng);
        if (r !== null) Q.openUnit(D.units.pos[r], e.latlng);
      });
    }
    document.body.dataset.quartierReady = "1";
  };
})();
