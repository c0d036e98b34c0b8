// Digests: GET/POST /subscriptions, POST .../pause and .../resume, DELETE, and the next digest
// from GET .../preview?format=html. The API's 422 names the field; its message goes beside it.
// A read-only key sees the list and previews, without the form or the buttons that change things.
// The form covers what POST /subscriptions takes: the digest schedule, an alert rule (a topic
// spike or a volume threshold, alone or beside the digest) and a webhook's own signing secret.
import { api, apiUrl, ApiError, request } from "../api.js";
import { errorBox, esc, viewerZone, when } from "../format.js";
import { t } from "../i18n.js";
import { topicKeys, topicName } from "../topics.js";

const config = JSON.parse(document.getElementById("voclens-config").textContent);
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FORMATS = ["json", "slack", "feishu", "dingtalk", "wecom"];
const ALERT_KINDS = ["emerging", "volume"];

const opts = (values, label, current) =>
  values.map((v) => `<option value="${esc(v)}"${v === current ? " selected" : ""}>${esc(label(v))}</option>`).join("");

/** One labelled input with the place its field error goes (`field` is the API's field name). */
function field(name, label, control) {
  return `<label class="field" data-field="${name}"><span>${esc(t(label))}</span>${control}
  <small class="field-error" data-for="${name}" role="alert"></small></label>`;
}

function formHtml() {
  const hours = Array.from({ length: 24 }, (_, h) => String(h));
  return `<form id="sub-form" class="sub-form" novalidate>
  <h2>${esc(t("digests.new"))}</h2>
  <div class="grid">
  ${field("name", "d.name", `<input name="name" required maxlength="200">`)}
  ${field("owner", "d.owner", `<input name="owner" required maxlength="200">`)}
  ${field("q", "d.q", `<input name="q" maxlength="${config.max_query_chars}">`)}
  ${field("filters.brand", "d.brand", `<input name="brand" title="${esc(t("f.list"))}">`)}
  ${field("filters.topics", "d.topic", `<select name="topic"><option value="">${esc(t("any"))}</option>${opts(topicKeys(), topicName)}</select>
     <select name="polarity" aria-label="${esc(t("f.polarity"))}"><option value="">${esc(t("any"))}</option>${opts(config.polarities, (p) => t(`polarity.${p}`), "negative")}</select>`)}
  ${field("digest", "d.digest", `<span class="check"><input type="checkbox" name="digest" checked> ${esc(t("d.digest.on"))}</span>`)}
  ${field("frequency", "d.frequency", `<select name="frequency">${opts(["daily", "weekly", "cron"], (f) => t(`freq.${f}`), "weekly")}</select>`)}
  ${field("weekday", "d.weekday", `<select name="weekday">${opts(WEEKDAYS, (w) => t(`wd.${w}`), "mon")}</select>`)}
  ${field("hour", "d.hour", `<select name="hour">${opts(hours, (h) => `${h.padStart(2, "0")}:00`, "9")}</select>`)}
  ${field("cron", "d.cron", `<input name="cron" placeholder="0 9 * * 1-5">`)}
  ${field("tz", "d.tz", `<input name="tz" value="${esc(viewerZone())}">`)}
  ${field("channel", "d.channel", `<select name="channel">${opts(["email", "webhook"], (c) => t(`ch.${c}`), "email")}</select>`)}
  ${field("email_to", "d.email_to", `<input name="email_to" title="${esc(t("f.list"))}" placeholder="pm@example.com">`)}
  ${field("webhook_url", "d.webhook_url", `<input name="webhook_url" placeholder="https://hooks.example.com/…">`)}
  ${field("webhook_format", "d.webhook_format", `<select name="webhook_format">${opts(FORMATS, (f) => f, "json")}</select>`)}
  ${field("webhook_secret", "d.webhook_secret", `<input type="password" name="webhook_secret" autocomplete="new-password" placeholder="${esc(t("d.webhook_secret.hint"))}">`)}
  </div>
  <h3>${esc(t("d.alert.title"))}</h3>
  <div class="grid">
  ${field("alert", "d.alert", `<select name="alert_kind"><option value="">${esc(t("d.alert.none"))}</option>${opts(ALERT_KINDS, (k) => t(`alert.${k}`))}</select>`)}
  ${field("alert.threshold", "d.threshold", `<input name="alert_threshold" inputmode="decimal" placeholder="10">`)}
  ${field("alert.window", "d.window", `<input name="alert_window" value="1d" placeholder="12h, 1d, 7d">`)}
  ${field("alert.baseline", "d.baseline", `<input name="alert_baseline" value="28d" placeholder="28d">`)}
  ${field("alert.min_count", "d.min_count", `<input name="alert_min_count" inputmode="numeric" value="3">`)}
  </div>
  <p class="muted" id="alert-help"></p>
  <p class="error" id="form-error" role="alert"></p>
  <button type="submit" class="primary">${esc(t("digests.create"))}</button> <span id="form-ok" class="ok"></span>
</form>`;
}

const list = (value) => value.split(/[,，;\s]+/).map((v) => v.trim()).filter(Boolean);

/** The alert rule the form says, or null; values go to the API as typed, so its rules are the only ones. */
function alertRule(data) {
  const kind = data.get("alert_kind");
  if (!kind) return null;
  const rule = { kind };
  const names = kind === "emerging" ? ["threshold", "window", "baseline", "min_count"] : ["threshold", "window"];
  for (const name of names) {
    const value = data.get(`alert_${name}`).trim();
    if (value) rule[name] = value; // left empty: the API's default, or its "Field required"
  }
  return rule;
}

/** The POST /subscriptions body the form says (empty optional values left out). */
export function subscriptionBody(form) {
  const data = new FormData(form);
  const body = {
    name: data.get("name").trim(), owner: data.get("owner").trim(), q: data.get("q").trim(),
    tz: data.get("tz").trim(), channel: data.get("channel"), digest: data.get("digest") === "on",
    filters: { brand: list(data.get("brand")), topics: data.get("topic") ? [{ topic: data.get("topic"), polarity: data.get("polarity") || null }] : [] },
  };
  if (body.digest) {
    Object.assign(body, { frequency: data.get("frequency"), hour: Number(data.get("hour")) });
    if (body.frequency === "weekly") body.weekday = data.get("weekday");
    if (body.frequency === "cron") body.cron = data.get("cron").trim();
  }
  const alert = alertRule(data);
  if (alert) body.alert = alert;
  if (body.channel === "email") body.email_to = list(data.get("email_to"));
  else {
    Object.assign(body, { webhook_url: data.get("webhook_url").trim(), webhook_format: data.get("webhook_format") });
    if (data.get("webhook_secret")) body.webhook_secret = data.get("webhook_secret");
  }
  return body;
}

/** The error slot for an API field name: its own, else the nearest enclosing one (alert.kind -> alert). */
function slotFor(form, name) {
  const slots = [...form.querySelectorAll(".field-error")];
  for (let n = name; n; n = n.includes(".") ? n.slice(0, n.lastIndexOf(".")) : "") {
    const slot = slots.find((el) => el.dataset.for === n && !el.closest(".field").hidden);
    if (slot) return slot;
  }
  return null;
}

/** Put each of the API's field errors beside its field; the rest (no such field here) above the button. */
function showErrors(form, error) {
  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  const rest = [];
  for (const [name, message] of Object.entries(fields)) {
    const slot = slotFor(form, name);
    if (slot) {
      slot.textContent = message;
      slot.closest(".field").classList.add("invalid");
    } else rest.push(`${name}: ${message}`);
  }
  if (!Object.keys(fields).length) rest.push(error.message);
  form.querySelector("#form-error").textContent = rest.join("; ");
}

function clearErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll(".field.invalid")) el.classList.remove("invalid");
  form.querySelector("#form-error").textContent = "";
  form.querySelector("#form-ok").textContent = "";
}

function showFields(form) {
  const data = new FormData(form);
  const digest = data.get("digest") === "on";
  const frequency = data.get("frequency");
  const kind = data.get("alert_kind");
  const webhook = data.get("channel") === "webhook";
  const visible = {
    frequency: digest, weekday: digest && frequency === "weekly", cron: digest && frequency === "cron",
    hour: digest && frequency !== "cron", email_to: !webhook, webhook_url: webhook, webhook_format: webhook,
    webhook_secret: webhook, "alert.threshold": !!kind, "alert.window": !!kind,
    "alert.baseline": kind === "emerging", "alert.min_count": kind === "emerging",
  };
  for (const [name, shown] of Object.entries(visible)) form.querySelector(`.field[data-field="${name}"]`).hidden = !shown;
  form.querySelector("#alert-help").textContent = kind ? t(`alert.${kind}.help`) : t("alert.help");
}

function what(sub) {
  const parts = [sub.q && `“${sub.q}”`, ...sub.filters.brand, ...sub.filters.topics.map((x) => `${topicName(x.topic)}${x.polarity ? `:${t(`polarity.${x.polarity}`)}` : ""}`)];
  return parts.filter(Boolean).join(" · ") || t("d.everything");
}

/** An alert rule in words ("topic spike: G² ≥ 10 over 1d against 28d"). */
export function alertText(rule) {
  if (!rule) return "";
  return t(`alert.${rule.kind}.rule`, { threshold: rule.threshold, window: rule.window, baseline: rule.baseline, min_count: rule.min_count });
}

function schedule(sub) {
  if (!sub.digest) return t("d.alertonly");
  if (sub.frequency === "cron") return `cron ${sub.cron} (${sub.tz})`;
  const at = `${String(sub.hour).padStart(2, "0")}:00`;
  return `${t(`freq.${sub.frequency}`)}${sub.frequency === "weekly" ? ` ${t(`wd.${sub.weekday}`)}` : ""} ${at} (${sub.tz})`;
}

/** The `send_day` that makes the API's preview the *next* digest: its local day (daily, weekly) or,
 * for cron, a minute after the next fire (the latest fire before it); "" without a next send. */
export function nextSendDay(sub) {
  if (!sub.next_send_at) return "";
  const next = new Date(sub.next_send_at);
  if (sub.frequency === "cron") return new Date(next.getTime() + 60_000).toISOString();
  return new Intl.DateTimeFormat("en-CA", { timeZone: sub.tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(next);
}

function rowHtml(sub, canWrite) {
  const target = sub.channel === "email" ? sub.email_to.join(", ")
    : `${sub.webhook_format} → ${new URL(sub.webhook_url).host}${sub.has_webhook_secret ? ` (${t("d.signed")})` : ""}`;
  const alert = sub.alert ? `<br><span class="alert-rule">${esc(alertText(sub.alert))}</span>` : "";
  const status = sub.enabled ? t("d.active") : `${t("d.paused")}${sub.paused_reason ? ` (${sub.paused_reason})` : ""}`;
  const toggle = sub.enabled ? ["pause", t("d.pause")] : ["resume", t("d.resume")];
  const buttons = canWrite ? `<button type="button" data-act="${toggle[0]}">${esc(toggle[1])}</button>
    <button type="button" data-act="delete" class="danger">${esc(t("d.delete"))}</button>` : "";
  return `<tr data-id="${esc(sub.id)}" data-name="${esc(sub.name)}" data-send-day="${esc(nextSendDay(sub))}" class="${sub.enabled ? "" : "paused"}">
  <td><strong>${esc(sub.name)}</strong><br><span class="muted">${esc(sub.owner)}</span></td><td>${esc(what(sub))}</td>
  <td>${esc(schedule(sub))}${alert}</td><td>${esc(t(`ch.${sub.channel}`))}: ${esc(target)}</td><td class="status">${esc(status)}</td>
  <td>${sub.next_send_at ? esc(when(sub.next_send_at)) : "–"}</td>
  <td class="actions"><button type="button" data-act="preview">${esc(t("d.preview"))}</button>${buttons}</td></tr>`;
}

async function preview(root, { id, name, sendDay }) {
  const panel = root.querySelector("#preview");
  panel.hidden = false;
  panel.querySelector("h2").textContent = t(sendDay ? "d.previewof" : "d.previewlast", { name });
  const params = { send_day: sendDay || undefined };
  const response = await request(`subscriptions/${encodeURIComponent(id)}/preview`, { params: { ...params, format: "html" } });
  const html = await response.text();
  const frame = panel.querySelector("iframe");
  frame.srcdoc = html;
  panel.querySelector(".json").href = apiUrl(`subscriptions/${id}/preview`, { ...params, format: "json" });
}

async function loadList(root, ctx) {
  const subs = await api("subscriptions");
  const body = root.querySelector("#subs tbody");
  body.innerHTML = subs.length ? subs.map((s) => rowHtml(s, ctx.can("write"))).join("")
    : `<tr><td colspan="7" class="empty">${esc(t("digests.empty"))}</td></tr>`;
}

export async function render(root, ctx) {
  const canWrite = ctx.can("write");
  root.innerHTML = `<h1>${esc(t("digests.title"))} <a class="json" href="subscriptions" target="_blank" title="${esc(t("json.title"))}">${esc(t("json"))}</a></h1>
${canWrite ? "" : `<p class="note" id="readonly-note">${esc(t("digests.readonly"))}</p>`}
<table class="table" id="subs"><thead><tr><th>${esc(t("d.name"))}</th><th>${esc(t("d.q"))}</th><th>${esc(t("d.frequency"))}</th>
<th>${esc(t("d.channel"))}</th><th>${esc(t("d.status"))}</th><th>${esc(t("d.next"))}</th><th></th></tr></thead><tbody></tbody></table>
<p class="error" id="list-error" role="alert"></p>
<section id="preview" class="preview" hidden><h2></h2><a class="json" target="_blank">${esc(t("json"))}</a>
<iframe sandbox="" title="preview"></iframe></section>
${canWrite ? formHtml() : ""}`;
  root.querySelector("#subs").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const tr = button.closest("tr");
    const { id, name } = tr.dataset;
    root.querySelector("#list-error").textContent = "";
    try {
      if (button.dataset.act === "preview") return await preview(root, tr.dataset);
      if (button.dataset.act === "delete") {
        if (!window.confirm(t("d.confirm", { name }))) return;
        await api(`subscriptions/${encodeURIComponent(id)}`, { method: "DELETE" });
      } else {
        await api(`subscriptions/${encodeURIComponent(id)}/${button.dataset.act}`, { method: "POST" });
      }
      await loadList(root, ctx);
    } catch (error) {
      root.querySelector("#list-error").textContent = error.message;
    }
  });
  const form = root.querySelector("#sub-form");
  if (form) {
    showFields(form);
    form.addEventListener("change", () => showFields(form));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        await api("subscriptions", { method: "POST", body: subscriptionBody(form) });
        form.reset();
        form.querySelector("input[name=tz]").value = viewerZone();
        showFields(form);
        form.querySelector("#form-ok").textContent = t("digests.created");
        await loadList(root, ctx);
      } catch (error) {
        showErrors(form, error);
      }
    });
  }
  try {
    await loadList(root, ctx);
  } catch (error) {
    root.querySelector("#list-error").insertAdjacentHTML("afterend", errorBox(error));
  }
}
