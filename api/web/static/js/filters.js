// The filter bar shared by Search, Trends and Emerging. Its values live in the URL (the part
// after #view?), named exactly as the API's query parameters, so a view is shared by its link
// and the same parameters work over curl.
import { api } from "./api.js";
import { esc, isoWithOffset, localDay, localDayStart } from "./format.js";
import { t } from "./i18n.js";
import { taxonomy, topicKeys, topicName } from "./topics.js";

const config = JSON.parse(document.getElementById("voclens-config").textContent);

/** Parameters every read endpoint takes as filters (lists repeat the name: any of). */
export const LIST_FILTERS = ["brand", "product_id", "source", "channel", "lang", "sentiment", "topic"];
export const FILTERS = ["q", ...LIST_FILTERS, "rating_min", "rating_max", "since", "until"];

/** {name: string | [strings]} from a query string; list filters are always arrays. */
export function parseParams(search) {
  const qs = new URLSearchParams(search);
  const out = {};
  for (const name of new Set(qs.keys())) {
    const values = qs.getAll(name);
    out[name] = LIST_FILTERS.includes(name) ? values : values[values.length - 1];
  }
  return out;
}

/** Only the filter parameters of `params`. */
export function pickFilters(params) {
  const out = {};
  for (const name of FILTERS) if (params[name] !== undefined && params[name] !== "" && params[name]?.length !== 0) out[name] = params[name];
  return out;
}

const list = (values) => [].concat(values ?? []);

function select(name, label, options, value) {
  const opts = [["", t("any")], ...options]
    .map(([v, text]) => `<option value="${esc(v)}"${v === value ? " selected" : ""}>${esc(text)}</option>`).join("");
  return `<label>${esc(label)} <select name="${name}">${opts}</select></label>`;
}

/** What a menu shows closed: "any", the chosen names, or the first and how many more. */
function chosenText(names) {
  if (!names.length) return t("any");
  return names.length <= 2 ? names.join(", ") : `${names[0]} +${names.length - 1}`;
}

/** A menu of checkboxes for one list filter: several values mean any of them, as in the API.
 * An option's third element names its group: a heading opens each new group (the own topics). */
function multi(name, label, options, values) {
  const chosen = new Set(values);
  const items = options.map(([v, text, group = ""], i) =>
    `${group && group !== (options[i - 1]?.[2] ?? "") ? `<div class="menu-group" data-group="${esc(group)}">${esc(t(`topics.${group}`))}</div>` : ""}` +
    `<label${group ? ` class="own" data-group="${esc(group)}"` : ""}><input type="checkbox" name="${name}" value="${esc(v)}"${chosen.has(v) ? " checked" : ""}> ${esc(text)}</label>`).join("");
  const names = options.filter(([v]) => chosen.has(v)).map(([, text]) => text);
  return `<details class="multi" data-name="${name}"><summary>${esc(label)}${esc(t("colon"))}<span class="chosen">${esc(chosenText(names))}</span></summary>
    <div class="menu">${items}</div></details>`;
}

/** The topic keys of `topic` values ("logistics:negative") and the polarity they share, if one. */
function topicParts(values) {
  const keys = values.map((v) => v.split(":")[0]);
  const polarities = new Set(values.map((v) => v.split(":")[1] ?? ""));
  return { keys, polarity: polarities.size === 1 ? [...polarities][0] : "" };
}

const SYNTAX = [
  ["物流 慢", "syntax.both"], ['"物流太慢"', "syntax.phrase"], ["-好评", "syntax.not"], ["物流 OR 快递", "syntax.or"],
  ["brand:Voltra source:jd channel:ticket lang:zh", "syntax.fields"],
  ["sentiment:negative topic:logistics:negative", "syntax.labels"], ["rating:<=2 since:2026-11-01", "syntax.ranges"],
];

/** The filter bar's HTML for the current parameters. */
export function filterBar(params) {
  const topics = topicParts(list(params.topic));
  const syntax = SYNTAX.map(([code, key]) => `<tr><td><code>${esc(code)}</code></td><td>${esc(t(key))}</td></tr>`).join("");
  return `<form class="filters" id="filters" autocomplete="off">
  <div class="qrow">
    <input type="search" name="q" aria-label="${esc(t("f.q"))}" value="${esc(params.q ?? "")}"
      maxlength="${config.max_query_chars}" placeholder="${esc(t("f.q.placeholder"))}">
    <button type="submit" class="primary">${esc(t("f.go"))}</button>
    <details class="syntax"><summary>${esc(t("syntax.title"))}</summary><table>${syntax}</table></details>
  </div>
  <div class="frow">
    <label>${esc(t("f.brand"))} <input name="brand" list="dl-brand" title="${esc(t("f.list"))}" value="${esc([].concat(params.brand ?? []).join(", "))}"></label>
    <label>${esc(t("f.source"))} <input name="source" list="dl-source" title="${esc(t("f.list"))}" value="${esc([].concat(params.source ?? []).join(", "))}"></label>
    ${multi("channel", t("f.channel"), config.channels.map((c) => [c, t(`channel.${c}`)]), list(params.channel))}
    ${multi("lang", t("f.lang"), config.langs.map((l) => [l, t(`lang.${l}`)]), list(params.lang))}
    ${multi("sentiment", t("f.sentiment"), config.polarities.map((p) => [p, t(`polarity.${p}`)]), list(params.sentiment))}
    ${multi("topic", t("f.topic"), topicKeys().map((k) => [k, topicName(k), taxonomy(k)]), topics.keys)}
    ${select("topic_polarity", t("f.polarity"), config.polarities.map((p) => [p, t(`polarity.${p}`)]), topics.polarity)}
    <label>${esc(t("f.since"))} <input type="date" name="since" value="${esc(localDay(params.since))}"></label>
    <label>${esc(t("f.until"))} <input type="date" name="until" value="${esc(localDay(params.until))}"></label>
    <button type="button" class="link" id="clear-filters">${esc(t("f.clear"))}</button>
  </div>
  <datalist id="dl-brand"></datalist><datalist id="dl-source"></datalist>
</form>`;
}

const splitList = (value) => value.split(/[,，]/).map((v) => v.trim()).filter(Boolean);

/** The filter parameters the form says, keeping exact instants from the URL whose day was not changed. */
export function readFilterBar(form, params) {
  const data = new FormData(form);
  const out = { q: data.get("q").trim(), brand: splitList(data.get("brand")), source: splitList(data.get("source")) };
  for (const name of ["channel", "lang", "sentiment"]) out[name] = data.getAll(name);
  const polarity = data.get("topic_polarity");
  // One polarity applies to every chosen topic; a link's own mix (topic=a:negative&topic=b) stays until they are changed.
  out.topic = form.dataset.topicsChanged ? data.getAll("topic").map((k) => (polarity ? `${k}:${polarity}` : k)) : list(params.topic);
  for (const name of ["since", "until"]) {
    const day = data.get(name);
    out[name] = !day ? "" : day === localDay(params[name]) ? params[name] : localDayStart(day);
  }
  for (const name of ["product_id", "rating_min", "rating_max"]) if (params[name] !== undefined) out[name] = params[name];
  return out;
}

const suggestions = {};
/** Suggest the brands and sources of the last 90 days: those a team works with now, not every name ever imported. */
const SUGGEST_DAYS = 90;

async function suggest(form, split) {
  if (!suggestions[split]) {
    const now = new Date();
    const since = isoWithOffset(new Date(now.getFullYear(), now.getMonth(), now.getDate() - SUGGEST_DAYS));
    suggestions[split] = api("trends", { params: { split, since, interval: "month", split_limit: 50 } })
      .then((r) => r.series.map((s) => s.key).filter(Boolean)).catch(() => []);
  }
  const keys = await suggestions[split];
  // A suggestion replaces the whole box, so each one carries the values typed before the last
  // comma: picking "Voltra" after "Qinghe, " gives "Qinghe, Voltra", not "Voltra".
  const box = form.querySelector(`input[name=${split}]`);
  const typed = splitList(box.value.slice(0, Math.max(box.value.lastIndexOf(","), box.value.lastIndexOf("，")) + 1));
  const prefix = typed.length ? `${typed.join(", ")}, ` : "";
  form.querySelector(`#dl-${split}`).innerHTML = keys.filter((k) => !typed.includes(k))
    .map((k) => `<option value="${esc(prefix + k)}">`).join("");
}

/** Close open menus on a click elsewhere or Escape (once per page: views re-render the bar). */
function closeMenusOutside() {
  const close = (keep) => {
    for (const menu of document.querySelectorAll("details.multi[open]")) if (!menu.contains(keep)) menu.open = false;
  };
  document.addEventListener("click", (event) => close(event.target));
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(null); });
}
closeMenusOutside();

/** Wire the bar: submit and clear call `apply(newFilters)`; brand and source suggest the index's values on focus.
 * Selects and dates apply at once; a menu of checkboxes applies when it closes, so several can be ticked. */
export function bindFilterBar(root, params, apply) {
  const form = root.querySelector("#filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply(readFilterBar(form, params));
  });
  form.querySelector("#clear-filters").addEventListener("click", () => apply({}));
  for (const split of ["brand", "source"]) {
    const box = form.querySelector(`input[name=${split}]`);
    box.addEventListener("focus", () => suggest(form, split), { once: true });
    box.addEventListener("input", () => { if (suggestions[split]) suggest(form, split); });
  }
  for (const sel of form.querySelectorAll("select, input[type=date]")) {
    sel.addEventListener("change", () => {
      if (sel.name === "topic_polarity") form.dataset.topicsChanged = "1";
      form.requestSubmit();
    });
  }
  for (const menu of form.querySelectorAll("details.multi")) {
    menu.addEventListener("change", () => {
      menu.dataset.changed = "1";
      if (menu.dataset.name === "topic") form.dataset.topicsChanged = "1";
      const names = [...menu.querySelectorAll("input:checked")].map((box) => box.parentElement.textContent.trim());
      menu.querySelector(".chosen").textContent = chosenText(names);
    });
    menu.addEventListener("toggle", () => {
      if (!menu.open && menu.dataset.changed) form.requestSubmit();
    });
  }
}
