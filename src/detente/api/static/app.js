// detente web page: load/upload a scenario, edit it, run forecasts, draw charts (inline SVG).
// Plain JavaScript, no library and nothing fetched from outside this server.
"use strict";

(function () {
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  const state = { scenario: null, original: null, forecast: null, busy: false, gen: 0, loads: 0, tracks: null, uploadData: null };

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

  // "positions[7]" means little to an analyst: name the actor and the issue instead
  function humanLocation(loc, data) {
    if (!loc) return "";
    const d = data || state.original || state.uploadData;
    if (!d) return loc;
    const name = (list, id) => { const o = (list || []).find((x) => x.id === id); return o ? label(o) : id; };
    return loc.replace(/(positions|red_lines|threats|actors|issues|walk_away)\[(\d+)\]/g, (m, kind, k) => {
      const e = (d[kind] || [])[Number(k)];
      if (!e) return m;
      if (kind === "positions" || kind === "red_lines") {
        return (kind === "red_lines" ? "red line of " : "") + "actor " + name(d.actors, e.actor) + ", issue " + name(d.issues, e.issue);
      }
      if (kind === "threats") return "threat by " + name(d.actors, e.issuer) + " against " + name(d.actors, e.target);
      if (kind === "walk_away") return "walk-away value of " + name(d.actors, e.actor);
      if (kind === "actors") return "actor " + label(e);
      return "issue " + label(e);
    });
  }
  function showMessage(text, kind, problems, data) {
    const box = $("message");
    box.hidden = false;
    box.className = kind || "info";
    box.textContent = "";
    if (problems && problems.length) {
      // the problems repeat the message: show the headline and each located problem, once
      box.appendChild(el("span", {}, text.split(": ")[0] + ":"));
      const ul = el("ul");
      for (const p of problems) {
        const where = [p.source, humanLocation([p.location, p.field].filter(Boolean).join("."), data)].filter(Boolean).join(": ");
        ul.appendChild(el("li", {}, (where ? where + ": " : "") + p.problem));
      }
      box.appendChild(ul);
    } else {
      box.textContent = text;
    }
  }
  function clearMessage() { const b = $("message"); b.hidden = true; b.className = ""; b.textContent = ""; }
  const OUTPUT_SECTIONS = ["results", "deal-section", "mc-section", "sim-section", "charts-section"];
  function clearOutputs() {
    state.forecast = null;
    for (const id of OUTPUT_SECTIONS) $(id).hidden = true;
    for (const id of ["forecast-table", "forecast-notes", "deal", "mc", "sim"]) $(id).textContent = "";
  }
  function clearScenario() {
    state.gen++;
    state.scenario = null;
    state.original = null;
    clearOutputs();
    for (const id of ["scenario-info", "editor", "track-section", "sens-section"]) $(id).hidden = true;
    for (const id of ["edit-table", "actor-table", "threat-table", "changes", "charts", "track", "track-table", "sens-table"]) $(id).textContent = "";
    $("scenario-select").value = "";
    setBusy(false);
  }

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
    $("reset").disabled = b || !has;
    $("download-scenario").disabled = !has;
    $("download-report").disabled = b || !has;
    document.body.classList.toggle("busy", b);
  }

  // ------------------------------------------------------------------ scenario in, editor
  function setScenario(sc, how) {
    state.gen++;
    clearOutputs();
    state.scenario = JSON.parse(JSON.stringify(sc));
    state.original = JSON.parse(JSON.stringify(sc));
    $("scenario-info").hidden = false;
    $("scenario-title").textContent = (sc.title || sc.name) + " (" + sc.name + ")";
    $("scenario-description").textContent = sc.description || "";
    renderEditor();
    renderCharts();
    setBusy(false);
    showMessage(how + ": " + sc.actors.length + " actors, " + sc.issues.length + " issues. Edit any input, then run the forecast.", "info");
    runSensitivity();
    loadTrack();
  }

  function positionEntry(actor, issue) {
    return state.scenario.positions.find((p) => p.actor === actor && p.issue === issue);
  }
  function numberOrRaw(v) {
    if (v.trim() === "") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  function str(v) { return v === null || v === undefined ? "" : String(v); }
  // an editable input: data-path is the what-if path (docs/api.md), data-orig its value as loaded
  function input(path, value, attrs) {
    const e = el("input", Object.assign({ "data-path": path, "data-orig": str(value), class: "whatif" }, attrs || {}));
    if (attrs && attrs.type === "checkbox") e.checked = !!value; else e.value = str(value);
    e.addEventListener("change", () => {
      const td = e.parentElement;
      td.classList.toggle("changed", currentValue(e) !== e.getAttribute("data-orig"));
      syncChartInputs();
    });
    return e;
  }
  function currentValue(e) { return e.type === "checkbox" ? String(e.checked) : e.value.trim(); }
  function redLine(actor, issue) {
    const mine = (state.original.red_lines || []).filter((r) => r.actor === actor && r.issue === issue);
    if (!mine.length) return "";
    return Math.max(...mine.map((r) => r.min)) + ":" + Math.min(...mine.map((r) => r.max));
  }
  function walkAway(actor) {
    const w = (state.original.walk_away || []).find((x) => x.actor === actor);
    return w && w.utility !== null && w.utility !== undefined ? w.utility : "";
  }

  function renderEditor() {
    const sc = state.original;
    const t = $("edit-table");
    t.textContent = "";
    const head = el("tr");
    head.appendChild(el("th", {}, "actor"));
    for (const iss of sc.issues) head.appendChild(el("th", { title: iss.id + " [" + iss.scale.min + ", " + iss.scale.max + "]" }, label(iss)));
    const thead = el("thead");
    thead.appendChild(head);
    t.appendChild(thead);
    const body = el("tbody");
    for (const act of sc.actors) {
      const tr = el("tr", { "data-actor": act.id });
      tr.appendChild(el("th", {}, label(act)));
      for (const iss of sc.issues) {
        const td = el("td", { class: "num" });
        const p = sc.positions.find((x) => x.actor === act.id && x.issue === iss.id);
        if (!p) { td.textContent = "-"; tr.appendChild(td); continue; }
        const base = act.id + "." + iss.id + ".";
        td.appendChild(input(base + "position", p.position, { type: "number", step: "any", id: "pos-" + act.id + "-" + iss.id,
          class: "whatif pos", "aria-label": "position of " + label(act) + " on " + label(iss) }));
        td.appendChild(document.createTextNode(" / "));
        td.appendChild(input(base + "salience", p.salience, { type: "number", step: "0.05", id: "sal-" + act.id + "-" + iss.id,
          class: "whatif sal", "aria-label": "salience of " + label(act) + " on " + label(iss) }));
        td.appendChild(document.createTextNode(" "));
        td.appendChild(input(base + "red_line", redLine(act.id, iss.id), { type: "text", id: "rl-" + act.id + "-" + iss.id,
          class: "whatif rl", placeholder: "red line", "aria-label": "red line of " + label(act) + " on " + label(iss) }));
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    t.appendChild(body);

    const at = $("actor-table");
    at.textContent = "";
    const ah = el("tr");
    for (const h of ["actor", "power", "present", "veto", "walk-away utility"]) ah.appendChild(el("th", {}, h));
    const athead = el("thead");
    athead.appendChild(ah);
    at.appendChild(athead);
    const abody = el("tbody");
    for (const act of sc.actors) {
      const tr = el("tr");
      tr.appendChild(el("th", {}, label(act)));
      const cells = [
        input(act.id + ".power", act.power, { type: "number", step: "any", id: "power-" + act.id, "aria-label": "power of " + label(act) }),
        input(act.id + ".present", act.present !== false, { type: "checkbox", id: "present-" + act.id, "aria-label": label(act) + " present" }),
        input(act.id + ".veto", !!act.veto, { type: "checkbox", id: "veto-" + act.id, "aria-label": label(act) + " has a veto" }),
        input(act.id + ".walk_away", walkAway(act.id), { type: "number", step: "any", id: "walk-" + act.id, placeholder: "none",
          "aria-label": "walk-away utility of " + label(act) }),
      ];
      for (const c of cells) { const td = el("td", { class: "num" }); td.appendChild(c); tr.appendChild(td); }
      abody.appendChild(tr);
    }
    at.appendChild(abody);

    const tt = $("threat-table");
    tt.textContent = "";
    const threats = sc.threats || [];
    if (threats.length) {
      const th = el("tr");
      for (const h of ["threat by", "against", "credibility", "cost to target", "cost to issuer"]) th.appendChild(el("th", {}, h));
      const tthead = el("thead");
      tthead.appendChild(th);
      tt.appendChild(tthead);
      const tbody = el("tbody");
      const count = {};
      for (const x of threats) {
        const k = count[x.issuer] = (count[x.issuer] === undefined ? 0 : count[x.issuer] + 1);
        const tr = el("tr");
        const who = (id) => label(sc.actors.find((a) => a.id === id) || { id: id });
        tr.appendChild(el("th", {}, who(x.issuer)));
        tr.appendChild(el("td", {}, who(x.target)));
        for (const f of ["credibility", "cost_to_target", "cost_to_issuer"]) {
          const td = el("td", { class: "num" });
          td.appendChild(input(x.issuer + ".threats[" + k + "]." + f, x[f], { type: "number", step: "any",
            id: "threat-" + x.issuer + "-" + k + "-" + f, "aria-label": f + " of threat " + k + " by " + who(x.issuer) }));
          tr.appendChild(td);
        }
        tbody.appendChild(tr);
      }
      tt.appendChild(tbody);
    }
    $("changes").textContent = "";
    $("editor").hidden = false;
  }
  // the charts follow the edited positions, saliences and powers at once
  function syncChartInputs() {
    const sc = state.scenario;
    for (const a of sc.actors) {
      const pw = $("power-" + a.id);
      if (pw) a.power = numberOrRaw(pw.value);
    }
    for (const p of sc.positions) {
      const pos = $("pos-" + p.actor + "-" + p.issue), sal = $("sal-" + p.actor + "-" + p.issue);
      if (pos) p.position = numberOrRaw(pos.value);
      if (sal) p.salience = numberOrRaw(sal.value);
    }
    renderCharts();
  }
  function collectChanges() {
    const out = [];
    for (const e of document.querySelectorAll("#editor input.whatif")) {
      const v = currentValue(e);
      const orig = e.getAttribute("data-orig");
      if (v === orig) continue;
      out.push(e.getAttribute("data-path") + "=" + (v === "" ? "none" : v));
    }
    return out;
  }
  function resetEdits() {
    if (!state.original) return;
    const sc = state.original;
    state.scenario = JSON.parse(JSON.stringify(sc));
    renderEditor();
    renderCharts();
    runAll();
  }

  // ------------------------------------------------------------------ runs
  async function runAll() {
    if (!state.scenario) return;
    const models = selectedModels();
    if (!models.length) { showMessage("Choose at least one model.", "error"); return; }
    const gen = ++state.gen;
    const changes = collectChanges();
    const sc = state.original;
    const list = $("changes");
    list.textContent = "";
    for (const c of changes) list.appendChild(el("li", {}, "what-if: " + c));
    setBusy(true);
    $("forecast-status").textContent = "running...";
    const fc = postJSON("/forecast", { scenario: sc, models: models, changes: changes });
    const deal = changes.length ? null : postJSON("/deal_probability", { scenario: sc });
    const mc = postJSON("/montecarlo", { scenario: sc, changes: changes, draws: 2000, seed: 0 });
    const sim = postJSON("/simulate", { scenario: sc, changes: changes, runs: 300, seed: 0 });
    try {
      const res = await fc;
      if (gen !== state.gen) return;
      state.forecast = res;
      renderResults();
      renderCharts();
      clearMessage();
      $("forecast-status").textContent = "Forecast with " + models.join(", ") + (changes.length ? ", after " + changes.length + " what-if change(s)" : "") + ".";
    } catch (err) {
      if (gen !== state.gen) return;
      clearOutputs();  // never leave the forecast of another input on screen
      showMessage("The forecast could not be run: " + err.message, "error", err.problems, sc);
      setBusy(false);
      return;
    }
    const [d, m, s] = await Promise.allSettled([deal || Promise.resolve(null), mc, sim]);
    if (gen !== state.gen) return;
    renderDeal(d.status === "fulfilled" ? d.value : null, m, s);
    renderMonteCarlo(m);
    renderSimulation(s);
    setBusy(false);
  }

  function renderResults() {
    const sc = state.original, fc = state.forecast, wi = fc.what_if;
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
      const sq = fc.scenario.issues.find((x) => x.id === iss.id);
      tr.appendChild(el("td", { class: "num" }, fmt(sq ? sq.status_quo : iss.status_quo)));
      for (const f of fc.forecasts) {
        const v = f.outcome[iss.id];
        const blocked = (f.blocked_by[iss.id] || []).join(", ");
        const td = el("td", { class: "num" + (v === null ? " no-answer" : ""),
          title: blocked ? "rejected by the red lines of " + blocked : "" });
        td.appendChild(el("span", { id: "fc-" + f.model + "-" + iss.id }, v === null ? "no answer" : fmt(v)));
        const o = wi && wi.outcomes[f.model] ? wi.outcomes[f.model][iss.id] : null;
        if (o) {
          const diff = o.difference;
          const txt = diff === null ? (o.base === null ? "was: no answer" : "was " + fmt(o.base))
            : (diff > 0 ? "+" : diff < 0 ? "\u2212" : "\u00b1") + fmt(Math.abs(diff));
          td.appendChild(el("small", { class: "diff" + (diff ? " moved" : ""), id: "diff-" + f.model + "-" + iss.id,
            title: "base " + (o.base === null ? "no answer" : fmt(o.base)) }, " " + txt));
        }
        tr.appendChild(td);
      }
      const z = fc.zone_of_agreement[iss.id];
      tr.appendChild(el("td", {}, z.empty ? "empty: impasse" : "[" + fmt(z.low) + ", " + fmt(z.high) + "]"));
      body.appendChild(tr);
    }
    t.appendChild(body);
    const notes = $("forecast-notes");
    notes.textContent = "";
    if (wi) for (const c of wi.changes) notes.appendChild(el("li", {}, "what-if: " + c.description));
    for (const f of fc.forecasts) {
      for (const n of f.notes) notes.appendChild(el("li", {}, f.model + ": " + n));
      for (const [iss, who] of Object.entries(f.blocked_by)) {
        notes.appendChild(el("li", {}, f.model + ": on " + iss + " the forecast is outside the red lines of " + who.join(", ")));
      }
    }
    $("results").hidden = false;
  }

  function pct(v) { return v === null || v === undefined ? "-" : fmt(100 * v, 1) + "%"; }
  function card(id, title, value, sub) {
    const c = el("div", { class: "card", id: id });
    c.appendChild(el("div", { class: "card-title" }, title));
    c.appendChild(el("div", { class: "card-value" }, value));
    if (sub) c.appendChild(el("div", { class: "note" }, sub));
    return c;
  }
  function renderDeal(doc, mc, sim) {
    const box = $("deal");
    box.textContent = "";
    const wi = state.forecast && state.forecast.what_if;
    let value, sub;
    if (wi) {
      const dp = wi.deal_probability;
      value = dp.changed === null ? "not available" : pct(dp.changed);
      sub = dp.changed === null ? "the calibrated deal model is not installed on this server"
        : "was " + pct(dp.base) + " before the what-if";
    } else if (doc && doc.available) {
      value = pct(doc.deal_probability);
      sub = (doc.low !== undefined && doc.low !== null) ? "interval " + pct(doc.low) + " to " + pct(doc.high) : "";
    } else {
      value = "not available";
      sub = "the calibrated deal model is not installed on this server";
    }
    const c = card("deal-calibrated", "Calibrated deal probability", value, sub);
    if (value === "not available") c.classList.add("na");
    box.appendChild(c);
    if (wi) {
      const deals = Object.entries(wi.deal).map(([m, d]) => m + ": " + (d.base ? "deal" : "no deal") + " \u2192 " + (d.changed ? "deal" : "no deal"));
      box.appendChild(card("deal-models", "Models' forecasts that are deals", String(Object.values(wi.deal).filter((d) => d.changed).length) + " of " + deals.length, deals.join("; ")));
    }
    if (mc.status === "fulfilled" && mc.value.deal_probability !== undefined) {
      const ci = mc.value.deal_interval_95 || [];
      box.appendChild(card("deal-mc", "Monte Carlo deal rate (" + mc.value.model + ")", pct(mc.value.deal_probability),
        mc.value.n_draws + " draws" + (ci.length ? ", 95% " + pct(ci[0]) + " to " + pct(ci[1]) : "")));
    }
    if (sim.status === "fulfilled" && sim.value.deal_rate !== undefined) {
      box.appendChild(card("deal-sim", "Simulated deal rate (" + sim.value.protocol + ")", pct(sim.value.deal_rate), sim.value.runs + " negotiations"));
    }
    $("deal-section").hidden = false;
  }

  function notAvailable(id, settled) {
    const err = settled.reason || {};
    $(id).textContent = (err.status === 501 ? "Not available on this server: " : "Not run: ") + (err.message || "");
  }
  function renderMonteCarlo(settled) {
    const box = $("mc");
    box.textContent = "";
    $("mc-section").hidden = false;
    if (settled.status !== "fulfilled") { notAvailable("mc-status", settled); return; }
    const r = settled.value;
    if (!r.issues) { $("mc-status").textContent = "Running as a job on this server; not shown here."; return; }
    $("mc-status").textContent = "Model " + r.model + ", " + r.n_draws + " draws (seed " + r.seed_entropy +
      "). Bars: share of draws between the 5, 25, 50, 75 and 95% quantiles, drawn as density; line: mean.";
    const W = 360, H = 110, L = 8, R = 8, T = 8, B = 24;
    for (const iss of state.original.issues) {
      const q = r.issues[iss.id];
      if (!q) continue;
      const lo = Number(iss.scale.min), hi = Number(iss.scale.max);
      const x = (v) => L + (W - L - R) * (Number(v) - lo) / (hi - lo);
      const wrap = el("div", { class: "hist", id: "hist-" + iss.id });
      wrap.appendChild(el("h3", {}, label(iss) + ": mean " + fmt(q.mean, 1) + ", sd " + fmt(q.sd, 1) +
        (q.no_outcome_share ? ", no answer in " + pct(q.no_outcome_share) : "")));
      const g = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "Monte Carlo histogram of " + label(iss) });
      const qs = ["0.05", "0.25", "0.5", "0.75", "0.95"].map((k) => q.quantiles[k]);
      const mass = [0.2, 0.25, 0.25, 0.2];
      const dens = mass.map((m, i) => m / Math.max(1e-9, (qs[i + 1] - qs[i]) / (hi - lo)));
      const dmax = Math.max(...dens.filter(Number.isFinite), 1e-9);
      for (let i = 0; i < 4; i++) {
        if (!Number.isFinite(qs[i]) || !Number.isFinite(qs[i + 1])) continue;
        const h = (H - T - B) * Math.min(1, dens[i] / dmax);
        const bar = svg("rect", { x: x(qs[i]), y: H - B - h, width: Math.max(1, x(qs[i + 1]) - x(qs[i])), height: h,
          fill: "#1f77b4", "fill-opacity": 0.55, stroke: "#fff", class: "bar" });
        bar.appendChild(svg("title", {}, fmt(qs[i]) + " to " + fmt(qs[i + 1]) + ": " + pct(mass[i]) + " of the draws"));
        g.appendChild(bar);
      }
      g.appendChild(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#888" }));
      for (let k = 0; k <= 4; k++) {
        const v = lo + (hi - lo) * k / 4;
        g.appendChild(svg("text", { x: x(v), y: H - B + 14, "font-size": 10, "text-anchor": "middle", fill: "#555" }, fmt(v, 1)));
      }
      if (Number.isFinite(q.mean)) g.appendChild(svg("line", { x1: x(q.mean), x2: x(q.mean), y1: T, y2: H - B, stroke: "#d62728", "stroke-width": 1.5 }));
      wrap.appendChild(g);
      box.appendChild(wrap);
    }
  }
  function endedLabel(key) {
    const [how, who] = key.split(":");
    const what = { walk_away: "walk-out by ", veto: "veto by ", agreement: "deal", deal: "deal", deadline: "deadline" }[how];
    return what === undefined ? key : what + (who || "");
  }
  function renderSimulation(settled) {
    const box = $("sim");
    box.textContent = "";
    $("sim-section").hidden = false;
    if (settled.status !== "fulfilled") { notAvailable("sim-status", settled); return; }
    const r = settled.value;
    if (!r.ended_by) { $("sim-status").textContent = "Running as a job on this server; not shown here."; return; }
    $("sim-status").textContent = r.runs + " negotiations, protocol " + r.protocol + " (seed " + r.seed_entropy + "); deals: " + pct(r.deal_rate) + ".";
    const t = el("table", { class: "data shares", id: "ended-by" });
    const entries = Object.entries(r.ended_by).sort((a, b) => b[1] - a[1]);
    for (const [key, n] of entries) {
      const tr = el("tr");
      tr.appendChild(el("th", {}, endedLabel(key)));
      const td = el("td", { class: "bar-cell" });
      const bar = el("span", { class: "share-bar" });
      bar.style.width = (100 * n / r.runs).toFixed(1) + "%";
      td.appendChild(bar);
      tr.appendChild(td);
      tr.appendChild(el("td", { class: "num" }, pct(n / r.runs)));
      t.appendChild(tr);
    }
    box.appendChild(t);
  }

  async function runSensitivity() {
    const gen = state.gen, sc = state.original;
    const t = $("sens-table");
    t.textContent = "";
    $("sens-section").hidden = false;
    $("sens-status").textContent = "computing (a background job)...";
    try {
      const job = await postJSON("/sensitivity", { scenario: sc, samples: 64, seed: 0 });
      let j;
      for (;;) {
        await new Promise((ok) => setTimeout(ok, 700));
        if (gen !== state.gen && state.original !== sc) return;
        j = await call(job.status_url);
        if (j.status !== "queued" && j.status !== "running") break;
      }
      if (state.original !== sc) return;
      if (j.status !== "done") { $("sens-status").textContent = "Not available: " + (j.error ? j.error.message : j.status); return; }
      const best = {};
      for (const r of j.result.indices) {
        const k = r.input;
        if (!best[k] || r.ST > best[k].ST) best[k] = r;
      }
      const rows = Object.values(best).sort((a, b) => b.ST - a.ST).slice(0, 10);
      $("sens-status").textContent = "Sobol total-order index (ST) of the scenario as loaded, model " + j.result.summary.model +
        ", " + j.result.summary.n_evaluations + " evaluations: the inputs that move the forecast most.";
      const head = el("tr");
      for (const h of ["rank", "input", "on issue", "ST", "S1"]) head.appendChild(el("th", {}, h));
      t.appendChild(head);
      rows.forEach((r, i) => {
        const tr = el("tr");
        tr.appendChild(el("td", { class: "num" }, String(i + 1)));
        tr.appendChild(el("td", {}, r.input));
        tr.appendChild(el("td", {}, r.output));
        tr.appendChild(el("td", { class: "num" }, fmt(r.ST)));
        tr.appendChild(el("td", { class: "num" }, fmt(r.S1)));
        t.appendChild(tr);
      });
    } catch (err) {
      if (state.original === sc) $("sens-status").textContent = "Not available: " + err.message;
    }
  }

  // ------------------------------------------------------------------ timeline (tracked scenarios)
  async function loadTrack() {
    const sc = state.original;
    $("track-section").hidden = true;
    $("track").textContent = "";
    $("track-table").textContent = "";
    try {
      if (!state.tracks) state.tracks = await call("/tracks");
      if (!(sc.name in state.tracks)) return;
      $("track-section").hidden = false;
      $("track-status").textContent = "loading the dated versions...";
      const tr = await postJSON("/track", { track: sc.name, models: selectedModels() });
      if (state.original !== sc) return;
      renderTrack(tr);
    } catch (err) {
      if (state.original === sc) { $("track-section").hidden = false; $("track-status").textContent = "Not available: " + err.message; }
    }
  }
  function renderTrack(tr) {
    const vs = tr.versions;
    $("track-status").textContent = tr.title + ": " + vs.length + " dated versions, each coded with only what was known on its date" +
      (tr.outcome ? "; dots at the right: the recorded outcome (" + tr.outcome.date + ")." : ".");
    const box = $("track");
    const issues = state.original.issues;
    const W = 360, H = 150, L = 30, R = 14, T = 10, B = 22;
    const n = vs.length + (tr.outcome ? 1 : 0);
    const xi = (i) => L + (W - L - R) * (n > 1 ? i / (n - 1) : 0.5);
    for (const iss of issues) {
      const lo = Number(iss.scale.min), hi = Number(iss.scale.max);
      const y = (v) => T + (H - T - B) * (1 - (Number(v) - lo) / (hi - lo));
      const wrap = el("div", { class: "hist track-chart", id: "track-" + iss.id });
      wrap.appendChild(el("h3", {}, label(iss)));
      const g = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "forecasts of " + label(iss) + " over time" });
      g.appendChild(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#888" }));
      g.appendChild(svg("text", { x: L - 4, y: y(hi) + 4, "font-size": 9, "text-anchor": "end", fill: "#555" }, fmt(hi, 0)));
      g.appendChild(svg("text", { x: L - 4, y: y(lo), "font-size": 9, "text-anchor": "end", fill: "#555" }, fmt(lo, 0)));
      vs.forEach((v, i) => g.appendChild(svg("text", { x: xi(i), y: H - 6, "font-size": 9, "text-anchor": "middle", fill: "#555" }, v.date.slice(5))));
      for (const m of tr.models) {
        let d = "";
        vs.forEach((v, i) => {
          const val = (v.forecasts[m] || {})[iss.id];
          if (val === null || val === undefined) return;
          d += (d ? " L " : "M ") + xi(i).toFixed(1) + " " + y(val).toFixed(1);
        });
        if (!d) continue;
        const path = svg("path", { d: d, fill: "none", stroke: colorOf(m), "stroke-width": 1.8, class: "track-line", "data-model": m });
        path.appendChild(svg("title", {}, m));
        g.appendChild(path);
      }
      const o = tr.outcome ? (tr.outcome.issues || []).find((x) => x.issue === iss.id) : null;
      if (o && o.value !== null && o.value !== undefined) {
        const dot = svg("circle", { cx: xi(n - 1), cy: y(o.value), r: 4, fill: "#000", class: "outcome-dot" });
        dot.appendChild(svg("title", {}, "recorded outcome " + fmt(o.value) + (o.note ? ": " + o.note : "")));
        g.appendChild(dot);
      }
      wrap.appendChild(g);
      box.appendChild(wrap);
    }
    const t = $("track-table");
    const head = el("tr");
    for (const h of ["date", "version", "models forecasting a deal", "calibrated deal probability", "zone of agreement"]) head.appendChild(el("th", {}, h));
    t.appendChild(head);
    for (const v of vs) {
      const row = el("tr", { class: "version" });
      row.appendChild(el("td", {}, v.date));
      row.appendChild(el("td", { title: (v.sources || []).join("\n") }, v.label));
      row.appendChild(el("td", { class: "num" }, pct(v.deal_share)));
      row.appendChild(el("td", { class: "num" }, v.deal_probability === null ? "not available" : pct(v.deal_probability)));
      row.appendChild(el("td", {}, v.zone_open ? "open" : "closed"));
      t.appendChild(row);
    }
    if (tr.outcome) {
      const row = el("tr", { class: "outcome" });
      row.appendChild(el("td", {}, tr.outcome.date));
      row.appendChild(el("td", {}, "Recorded outcome: " + (tr.outcome.summary || "")));
      row.appendChild(el("td", { class: "num" }, tr.outcome.deal ? "deal" : "no deal"));
      row.appendChild(el("td", {}, ""));
      row.appendChild(el("td", {}, ""));
      t.appendChild(row);
    }
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
    const token = ++state.loads;
    setBusy(true);
    let data = null;
    try {
      const text = await file.text();
      try { data = JSON.parse(text); } catch (e) { data = null; }  // to name actors and issues in errors
      const res = await call("/validate?filename=" + encodeURIComponent(file.name),
        { method: "POST", headers: { "Content-Type": contentTypeFor(file.name) }, body: text });
      if (token !== state.loads) return;
      $("scenario-select").value = "";
      setScenario(res.scenario, "Loaded " + file.name);
      runAll();
    } catch (err) {
      if (token !== state.loads) return;
      clearScenario();  // the scenario on screen is not the one the user just gave
      showMessage("The file was not accepted: " + err.message, "error", err.problems, data || {});
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
      const blob = await postJSON("/report", { scenario: state.original, models: selectedModels(), changes: collectChanges() });
      download(blob, state.scenario.name + "-report.html");
    } catch (err) {
      showMessage("The report could not be built: " + err.message, "error", err.problems);
    } finally {
      setBusy(false);
    }
  }

  // ------------------------------------------------------------------ wiring
  async function loadBuiltin(name) {
    const token = ++state.loads;  // a later choice or upload wins over this one
    setBusy(true);
    try {
      const sc = await call("/scenarios/" + encodeURIComponent(name));
      if (token !== state.loads) return;
      setScenario(sc, "Loaded " + name);
      await runAll();
    } catch (err) {
      if (token !== state.loads) return;
      clearScenario();
      showMessage("Could not load " + name + ": " + err.message, "error", err.problems);
    } finally {
      setBusy(false);
    }
  }
  $("scenario-select").addEventListener("change", (ev) => { if (ev.target.value) loadBuiltin(ev.target.value); });
  $("upload").addEventListener("change", (ev) => { if (ev.target.files.length) upload(ev.target.files[0]); ev.target.value = ""; });
  $("run").addEventListener("click", runAll);
  $("reset").addEventListener("click", resetEdits);
  $("download-scenario").addEventListener("click", () => {
    download(new Blob([JSON.stringify(state.scenario, null, 2)], { type: "application/json" }), state.scenario.name + ".json");
  });
  $("download-report").addEventListener("click", downloadReport);
  document.body.setAttribute("data-ready", "1");
  // the default scenario is preselected in the list: load and forecast it at once
  if ($("scenario-select").value) loadBuiltin($("scenario-select").value);
})();
