// Cases: GET /cases (by state) with GET /cases/metrics above it; a case's history from
// GET /cases/{id}, and with a write key the change form: PATCH /cases/{id} (state, note, owner).
// A deadline past due without its response or resolution is marked overdue.
import { api, apiUrl } from "../api.js";
import { errorBox, esc, percent, when } from "../format.js";
import { t } from "../i18n.js";

const STATES = ["open", "in_progress", "resolved", "closed"];
const hours = (h) => (h === null || h === undefined ? "–" : `${h.toFixed(1)} ${t("cases.h")}`);

function due(iso, done) {
  const late = !done && new Date(iso) < new Date();
  return `<time datetime="${esc(iso)}">${esc(when(iso))}</time>${late ? ` <span class="chip negative overdue">${esc(t("cases.overdue"))}</span>` : ""}`;
}

function metricsHtml(m) {
  const item = (key, value) => `<div><dt>${esc(t(key))}</dt><dd>${value}</dd></div>`;
  return `<dl class="case-metrics" id="case-metrics">
    ${item("cases.count", `${m.cases} (${m.open} ${esc(t("cases.stillopen"))})`)}
    ${item("cases.frt", esc(hours(m.first_response_h_median)))}${item("cases.ttr", esc(hours(m.resolve_h_median)))}
    ${item("cases.fr_in_time", esc(percent(m.first_response_within_deadline, 0)))}
    ${item("cases.res_in_time", esc(percent(m.resolution_within_deadline, 0)))}
    ${item("cases.reopen", esc(percent(m.reopen_rate, 0)))}</dl>`;
}

function rowHtml(c) {
  return `<tr data-id="${c.id}"><td>${c.id}</td><td><span class="chip state-${esc(c.state)}">${esc(t(`state.${c.state}`))}</span></td>
    <td>${esc(c.owner)}</td><td><a href="#doc/${esc(c.document_id)}">${esc(c.document_id.slice(0, 12))}</a></td>
    <td>${esc(when(c.opened_at))}</td><td class="due-fr">${due(c.due_first_response, c.first_response_at)}</td>
    <td class="due-res">${due(c.due_resolution, c.resolved_at || c.closed_at)}</td>
    <td><button type="button" class="link" data-act="open">${esc(t("cases.details"))}</button></td></tr>`;
}

function detailHtml(c, canWrite) {
  const history = (c.history || []).map((e) => `<li><time datetime="${esc(e.at)}">${esc(when(e.at))}</time> · <b>${esc(e.actor)}</b>:
    ${esc(t(`event.${e.action}`))}${e.to_state ? ` → ${esc(t(`state.${e.to_state}`))}` : ""}${e.note ? ` — ${esc(e.note)}` : ""}</li>`).join("");
  const form = canWrite ? `<form id="case-form" class="sub-form">
    <label class="field"><span>${esc(t("cases.state"))}</span><select name="state">${STATES.map((s) =>
      `<option value="${s}"${s === c.state ? " selected" : ""}>${esc(t(`state.${s}`))}</option>`).join("")}</select></label>
    <label class="field"><span>${esc(t("cases.owner"))}</span><input name="owner" value="${esc(c.owner)}" maxlength="200"></label>
    <label class="field"><span>${esc(t("cases.note"))}</span><textarea name="note" rows="2" maxlength="10000"></textarea></label>
    <p class="error" id="case-error" role="alert"></p>
    <button type="submit" class="primary">${esc(t("cases.save"))}</button></form>` : "";
  return `<section id="case-detail" data-id="${c.id}"><h2>${esc(t("cases.case"))} ${c.id}</h2>
    <ol class="history">${history}</ol>${form}</section>`;
}

async function showCase(root, ctx, id) {
  const box = root.querySelector("#detail");
  const c = await api(`cases/${id}`);
  box.innerHTML = detailHtml(c, ctx.can("write"));
  box.querySelector("#case-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {};
    if (data.get("state") !== c.state) body.state = data.get("state");
    if (data.get("owner").trim() && data.get("owner").trim() !== c.owner) body.owner = data.get("owner").trim();
    if (data.get("note").trim()) body.note = data.get("note").trim();
    try {
      await api(`cases/${id}`, { method: "PATCH", body });
      await render(root, ctx, { params: ctx.casesParams, reopen: id });
    } catch (error) {
      box.querySelector("#case-error").textContent = error.message;
    }
  });
}

export async function render(root, ctx, { params, reopen }) {
  ctx.casesParams = params;
  const state = params.state ? [].concat(params.state) : [];
  const [cases, m] = await Promise.all([api("cases", { params: { state, limit: 200 } }), api("cases/metrics")]);
  root.innerHTML = `<h1>${esc(t("cases.title"))}
  <a class="json" href="${esc(apiUrl("cases", { state }))}" target="_blank" title="${esc(t("json.title"))}">${esc(t("json"))}</a></h1>
  ${metricsHtml(m.overall)}
  <p><label>${esc(t("cases.state"))} <select id="state-filter"><option value="">${esc(t("any"))}</option>${STATES.map((s) =>
    `<option value="${s}"${state.includes(s) ? " selected" : ""}>${esc(t(`state.${s}`))}</option>`).join("")}</select></label></p>
  ${cases.length ? `<table class="table" id="cases"><thead><tr><th>#</th><th>${esc(t("cases.state"))}</th><th>${esc(t("cases.owner"))}</th>
    <th>${esc(t("cases.document"))}</th><th>${esc(t("cases.opened"))}</th><th>${esc(t("cases.due_fr"))}</th><th>${esc(t("cases.due_res"))}</th><th></th></tr></thead>
    <tbody>${cases.map(rowHtml).join("")}</tbody></table>` : `<p class="muted" id="cases-empty">${esc(t("cases.empty"))}</p>`}
  <div id="detail"></div>`;
  root.querySelector("#state-filter").addEventListener("change", (event) => ctx.navigate("cases", { state: event.target.value }));
  root.querySelectorAll("#cases button[data-act=open]").forEach((button) => button.addEventListener("click", () =>
    showCase(root, ctx, button.closest("tr").dataset.id).catch((error) => {
      root.querySelector("#detail").innerHTML = errorBox(error);
    })));
  if (reopen) await showCase(root, ctx, reopen);
}
