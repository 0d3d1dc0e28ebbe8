// detente web page: load/upload a scenario, edit it, run forecasts, draw charts (inline SVG).
// Plain JavaScript, no library and nothing fetched from outside this server.
"use strict";

(function () {
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  const state = { scenario: null, original: null, forecast: null, busy: false };

  // ------------------------------------------------------------------ helpers
  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    const s = Number(v).toFixed(digits === undefined ? 2 : digits);
    return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function colorOf(model) {
    const i = cfg.models.indexOf(model);
    return cfg.colors[(i < 0 ? 0 : i) % cfg.colors.length];
  }
  function selectedModels() {
    return Array.from(document.querySelectorAll("#model-choice input:checked")).map((x) => x.value);
  }
  function label(obj) { return obj.name || obj.id; }

  function showMessage(text, kind, problems) {
    const box = $("message");
    box.hidden = false;
    box.className = kind || "info";
    box.textContent = text;
    if (problems && problems.length) {
      const ul = el("ul");
      for (const p of problems) {
        const where = [p.source, [p.location, p.field].filter(Boolean).join(".")].filter(Boolean).join(": ");
        ul.appendChild(el("li", {}, (where ? where + ": " : "") + p.problem));
      }
      box.appendChild(ul);
    }
  }
  function clearMessage() { const b = $("message"); b.hidden = true; b.textContent = ""; }

  async function call(path, options) {
    let resp;
    try {
      resp = await fetch(path, options);
    } catch (err) {
      throw { message: "the server could not be reached (" + err + ")", problems: [] };
    }
    const type = resp.headers.get("content-type") || "";
    if (!resp.ok) {
      let body = { message: resp.status + " " + resp.statusText, problems: [] };
      if (type.indexOf("application/json") >= 0) {
        const j = await resp.json();
        body = { message: j.message || JSON.stringify(j.detail || j), problems: j.problems || [] };
      }
      body.status = resp.status;
      throw body;
    }
    return type.indexOf("application/json") >= 0 ? resp.json() : resp.blob();
  }
  function postJSON(path, body) {
    return call(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }
  function setBusy(b) {
    state.busy = b;
    const has = !!state.scenario;
    $("run").disabled = b || !has;
    $("download-scenario").disabled = !has;
    $("download-report").disabled = b || !has;
    document.body.classList.toggle("busy", b);
  }

  // ------------------------------------------------------------------ scenario in, editor
  function setScenario(sc, how) {
    state.scenario = JSON.parse(JSON.stringify(sc));
    state.original = JSON.parse(JSON.stringify(sc));
    state.forecast = null;
    $("scenario-info").hidden = false;
    $("scenario-title").textContent = (sc.title || sc.name) + " (" + sc.name + ")";
    $("scenario-description").textContent = sc.description || "";
    $("results").hidden = true;
    renderEditor();
    renderCharts();
    setBusy(false);
    showMessage(how + ": " + sc.actors.length + " actors, " + sc.issues.length + " issues. Edit the table, then run the forecast.", "info");
  }

  function positionEntry(actor, issue) {
    return state.scenario.positions.find((p) => p.actor === actor && p.issue === issue);
  }
  function originalEntry(actor, issue) {
    return state.original.positions.find((p) => p.actor === actor && p.issue === issue);
  }
  function numberOrRaw(v) {
    if (v.trim() === "") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }

  function renderEditor() {
    const sc = state.scenario;
    const t = $("edit-table");
    t.textContent = "";
    const head = el("tr");
    head.appendChild(el("th", {}, "actor"));
    head.appendChild(el("th", {}, "power"));
    for (const iss of sc.issues) {
      const th = el("th", { title: iss.id + " [" + iss.scale.min + ", " + iss.scale.max + "]" }, label(iss));
      head.appendChild(th);
    }
    const thead = el("thead");
    thead.appendChild(head);
    t.appendChild(thead);
    const body = el("tbody");
    for (const act of sc.actors) {
      const tr = el("tr", { "data-actor": act.id });
      tr.appendChild(el("th", {}, label(act) + (act.present === false ? (act.veto ? " (absent, veto)" : " (absent)") : "")));
      const pw = el("input", { type: "number", step: "any", min: "0", id: "power-" + act.id, "aria-label": "power of " + act.id });
      pw.value = act.power;
      pw.addEventListener("change", () => { act.power = numberOrRaw(pw.value); markChanged(pw, act.power !== originalActor(act.id).power); });
      const tdp = el("td", { class: "num" });
      tdp.appendChild(pw);
      tr.appendChild(tdp);
      for (const iss of sc.issues) {
        const td = el("td", { class: "num" });
        const p = positionEntry(act.id, iss.id);
        if (!p) { td.textContent = "-"; tr.appendChild(td); continue; }
        const pos = el("input", { type: "number", step: "any", min: iss.scale.min, max: iss.scale.max,
          id: "pos-" + act.id + "-" + iss.id, "data-actor": act.id, "data-issue": iss.id, class: "pos",
          "aria-label": "position of " + act.id + " on " + iss.id });
        pos.value = p.position;
        const sal = el("input", { type: "number", step: "0.05", min: "0", max: "1",
          id: "sal-" + act.id + "-" + iss.id, class: "sal", "aria-label": "salience of " + act.id + " on " + iss.id });
        sal.value = p.salience;
        const onChange = () => {
          p.position = numberOrRaw(pos.value);
          p.salience = numberOrRaw(sal.value);
          const o = originalEntry(act.id, iss.id);
          markChanged(td, !o || o.position !== p.position || o.salience !== p.salience);
          renderCharts();
        };
        pos.addEventListener("change", onChange);
        sal.addEventListener("change", onChange);
        td.appendChild(pos);
        td.appendChild(document.createTextNode(" / "));
        td.appendChild(sal);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    t.appendChild(body);
    $("editor").hidden = false;
  }
  function originalActor(id) { return state.original.actors.find((a) => a.id === id) || {}; }
  function markChanged(node, changed) {
    const td = node.tagName === "TD" ? node : node.parentElement;
    td.classList.toggle("changed", changed);
  }

  // ------------------------------------------------------------------ forecast
  async function runForecast() {
    if (!state.scenario) return;
    const models = selectedModels();
    if (!models.length) { showMessage("Choose at least one model.", "error"); return; }
    setBusy(true);
    $("forecast-status").textContent = "running...";
    try {
      const res = await postJSON("/forecast", { scenario: state.scenario, models: models });
      state.forecast = res;
      renderResults();
      renderCharts();
      clearMessage();
      $("forecast-status").textContent = "Forecast at " + new Date().toLocaleTimeString() + " with " + models.join(", ") + ".";
    } catch (err) {
      $("forecast-status").textContent = "";
      showMessage("The forecast could not be run: " + err.message, "error", err.problems);
    } finally {
      setBusy(false);
    }
  }

  function renderResults() {
    const sc = state.scenario, fc = state.forecast;
    const t = $("forecast-table");
    t.textContent = "";
    const head = el("tr");
    for (const h of ["issue", "status quo"]) head.appendChild(el("th", {}, h));
    for (const f of fc.forecasts) {
      const th = el("th", {}, f.model);
      th.style.borderBottom = "3px solid " + colorOf(f.model);
      head.appendChild(th);
    }
    head.appendChild(el("th", {}, "zone of agreement"));
    const thead = el("thead");
    thead.appendChild(head);
    t.appendChild(thead);
    const body = el("tbody");
    for (const iss of sc.issues) {
      const tr = el("tr", { "data-issue": iss.id });
      tr.appendChild(el("th", { title: iss.id }, label(iss)));
      tr.appendChild(el("td", { class: "num" }, fmt(iss.status_quo)));
      for (const f of fc.forecasts) {
        const v = f.outcome[iss.id];
        const blocked = (f.blocked_by[iss.id] || []).join(", ");
        const td = el("td", { class: "num" + (v === null ? " no-answer" : ""), id: "fc-" + f.model + "-" + iss.id,
          title: blocked ? "rejected by the red lines of " + blocked : "" }, v === null ? "no answer" : fmt(v));
        tr.appendChild(td);
      }
      const z = fc.zone_of_agreement[iss.id];
      tr.appendChild(el("td", {}, z.empty ? "empty: impasse" : "[" + fmt(z.low) + ", " + fmt(z.high) + "]"));
      body.appendChild(tr);
    }
    t.appendChild(body);
    const notes = $("forecast-notes");
    notes.textContent = "";
    for (const f of fc.forecasts) {
      for (const n of f.notes) notes.appendChild(el("li", {}, f.model + ": " + n));
      for (const [iss, who] of Object.entries(f.blocked_by)) {
        notes.appendChild(el("li", {}, f.model + ": on " + iss + " the forecast is outside the red lines of " + who.join(", ")));
      }
    }
    $("results").hidden = false;
  }

  // ------------------------------------------------------------------ charts (inline SVG)
  function renderCharts() {
    const sc = state.scenario;
    const box = $("charts");
    box.textContent = "";
    if (!sc) return;
    const legend = $("legend");
    legend.textContent = "";
    const forecasts = state.forecast ? state.forecast.forecasts : [];
    for (const f of forecasts) {
      const s = el("span", {});
      const i = el("i", {});
      i.style.background = colorOf(f.model);
      s.appendChild(i);
      s.appendChild(document.createTextNode(f.model));
      legend.appendChild(s);
    }
    const W = 760, left = 170, right = 20, rowH = 26, top = 10;
    const actors = sc.actors;
    let wmax = 0;
    for (const p of sc.positions) {
      const a = actors.find((x) => x.id === p.actor);
      const w = Number(a && a.power) * Number(p.salience);
      if (Number.isFinite(w) && w > wmax) wmax = w;
    }
    for (const iss of sc.issues) {
      const lo = Number(iss.scale.min), hi = Number(iss.scale.max);
      const H = top + rowH * actors.length + 34;
      const x = (v) => left + (W - left - right) * (Number(v) - lo) / (hi - lo);
      const wrap = el("div", { class: "chart", id: "chart-" + iss.id });
      wrap.appendChild(el("h3", {}, label(iss)));
      const g = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
        "aria-label": "positions and forecasts on " + label(iss) });
      const zone = state.forecast ? state.forecast.zone_of_agreement[iss.id] : null;
      if (zone && !zone.empty) {
        g.appendChild(svg("rect", { x: x(zone.low), y: top - 4, width: Math.max(1, x(zone.high) - x(zone.low)),
          height: rowH * actors.length + 4, fill: "#2ca02c", "fill-opacity": 0.1 }));
      }
      // axis
      const yAxis = top + rowH * actors.length + 4;
      g.appendChild(svg("line", { x1: left, x2: W - right, y1: yAxis, y2: yAxis, stroke: "#888" }));
      for (let k = 0; k <= 10; k++) {
        const v = lo + (hi - lo) * k / 10;
        g.appendChild(svg("line", { x1: x(v), x2: x(v), y1: yAxis, y2: yAxis + 4, stroke: "#888" }));
        g.appendChild(svg("text", { x: x(v), y: yAxis + 16, "font-size": 10, "text-anchor": "middle", fill: "#555" }, fmt(v, 1)));
      }
      actors.forEach((a, i) => {
        const y = top + rowH * i + rowH / 2;
        g.appendChild(svg("text", { x: left - 8, y: y + 4, "font-size": 11, "text-anchor": "end", fill: "#222" }, label(a)));
        g.appendChild(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#eee" }));
        const rls = (sc.red_lines || []).filter((r) => r.actor === a.id && r.issue === iss.id);
        for (const r of rls) {
          g.appendChild(svg("rect", { x: x(Math.max(lo, r.min)), y: y - 7, width: Math.max(1, x(Math.min(hi, r.max)) - x(Math.max(lo, r.min))),
            height: 14, fill: "#d62728", "fill-opacity": 0.18, stroke: "#d62728", "stroke-width": 0.8 }));
        }
        const p = positionEntry(a.id, iss.id);
        if (p && Number.isFinite(Number(p.position))) {
          const w = Number(a.power) * Number(p.salience);
          const r = 3 + 9 * Math.sqrt(Math.max(0, Number.isFinite(w) ? w : 0) / (wmax || 1));
          g.appendChild(svg("circle", { cx: x(p.position), cy: y, r: r, fill: "#444", "fill-opacity": 0.85,
            stroke: "#fff", class: "actor-dot", "data-actor": a.id }));
        }
      });
      if (iss.status_quo !== null && iss.status_quo !== undefined) {
        g.appendChild(svg("line", { x1: x(iss.status_quo), x2: x(iss.status_quo), y1: top - 6, y2: yAxis,
          stroke: "#555", "stroke-dasharray": "5 4", "stroke-width": 1.4 }));
      }
      for (const f of forecasts) {
        const v = f.outcome[iss.id];
        if (v === null || v === undefined) continue;
        const line = svg("line", { x1: x(v), x2: x(v), y1: top - 6, y2: yAxis, stroke: colorOf(f.model),
          "stroke-width": 2.2, class: "forecast-line", "data-model": f.model });
        line.appendChild(svg("title", {}, f.model + ": " + fmt(v)));
        g.appendChild(line);
      }
      wrap.appendChild(g);
      box.appendChild(wrap);
    }
    $("charts-section").hidden = false;
  }

  // ------------------------------------------------------------------ upload and downloads
  function contentTypeFor(name) {
    const ext = (name.split(".").pop() || "").toLowerCase();
    if (ext === "json") return "application/json";
    if (ext === "csv" || ext === "tsv" || ext === "txt") return "text/csv";
    return "application/yaml";
  }
  async function upload(file) {
    if (file.size > cfg.maxBodyBytes) {
      showMessage(file.name + ": the file is larger than this server accepts (" + cfg.maxBodyBytes + " bytes).", "error");
      return;
    }
    setBusy(true);
    try {
      const text = await file.text();
      const res = await call("/validate?filename=" + encodeURIComponent(file.name),
        { method: "POST", headers: { "Content-Type": contentTypeFor(file.name) }, body: text });
      $("scenario-select").value = "";
      setScenario(res.scenario, "Loaded " + file.name);
    } catch (err) {
      showMessage("The file was not accepted: " + err.message, "error", err.problems);
    } finally {
      setBusy(false);
    }
  }
  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  }
  async function downloadReport() {
    setBusy(true);
    try {
      const blob = await postJSON("/report", { scenario: state.scenario, models: selectedModels() });
      download(blob, state.scenario.name + "-report.html");
    } catch (err) {
      showMessage("The report could not be built: " + err.message, "error", err.problems);
    } finally {
      setBusy(false);
    }
  }

  // ------------------------------------------------------------------ wiring
  $("scenario-select").addEventListener("change", async (ev) => {
    const name = ev.target.value;
    if (!name) return;
    setBusy(true);
    try {
      setScenario(await call("/scenarios/" + encodeURIComponent(name)), "Loaded " + name);
    } catch (err) {
      showMessage("Could not load " + name + ": " + err.message, "error", err.problems);
    } finally {
      setBusy(false);
    }
  });
  $("upload").addEventListener("change", (ev) => { if (ev.target.files.length) upload(ev.target.files[0]); ev.target.value = ""; });
  $("run").addEventListener("click", runForecast);
  $("download-scenario").addEventListener("click", () => {
    download(new Blob([JSON.stringify(state.scenario, null, 2)], { type: "application/json" }), state.scenario.name + ".json");
  });
  $("download-report").addEventListener("click", downloadReport);
  document.body.setAttribute("data-ready", "1");
})();
