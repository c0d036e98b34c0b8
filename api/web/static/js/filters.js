// The filter bar shared by Search, Trends and Emerging. Its values live in the URL (the part
// after #view?), named exactly as the API's query parameters, so a view is shared by its link
// and the same parameters work over curl.
import { api } from "./api.js";
import { esc, isoWithOffset, localDay, localDayStart } from "./format.js";
import { t, topicName } from "./i18n.js";

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

const first = (values) => [].concat(values ?? [])[0] ?? "";

function select(name, label, options, value) {
  const opts = [["", t("any")], ...options]
    .map(([v, text]) => `<option value="${esc(v)}"${v === value ? " selected" : ""}>${esc(text)}</option>`).join("");
  return `<label>${esc(label)} <select name="${name}">${opts}</select></label>`;
}

const SYNTAX = [
  ["物流 慢", "syntax.both"], ['"物流太慢"', "syntax.phrase"], ["-好评", "syntax.not"], ["物流 OR 快递", "syntax.or"],
  ["brand:Voltra source:jd channel:ticket lang:zh", "syntax.fields"],
  ["sentiment:negative topic:logistics:negative", "syntax.labels"], ["rating:<=2 since:2026-11-01", "syntax.ranges"],
];

/** The filter bar's HTML for the current parameters. */
export function filterBar(params) {
  const [topic, polarity] = first(params.topic).split(":");
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
    ${select("channel", t("f.channel"), config.channels.map((c) => [c, t(`channel.${c}`)]), first(params.channel))}
    ${select("lang", t("f.lang"), config.langs.map((l) => [l, t(`lang.${l}`)]), first(params.lang))}
    ${select("sentiment", t("f.sentiment"), config.polarities.map((p) => [p, t(`polarity.${p}`)]), first(params.sentiment))}
    ${select("topic", t("f.topic"), config.topics.map((k) => [k, topicName(k)]), topic ?? "")}
    ${select("topic_polarity", t("f.polarity"), config.polarities.map((p) => [p, t(`polarity.${p}`)]), polarity ?? "")}
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
  for (const name of ["channel", "lang", "sentiment"]) out[name] = data.get(name) ? [data.get(name)] : [];
  const topic = data.get("topic");
  out.topic = topic ? [data.get("topic_polarity") ? `${topic}:${data.get("topic_polarity")}` : topic] : [];
  for (const name of ["since", "until"]) {
    const day = data.get(name);
    out[name] = !day ? "" : day === localDay(params[name]) ? params[name] : localDayStart(day);
  }
  for (const name of ["product_id", "rating_min", "rating_max"]) if (params[name] !== undefined) out[name] = params[name];
  return out;
}

const suggestions = {};
/** Suggest the brands and sources of the last 90 days: a split over the whole index costs a scan of it. */
const SUGGEST_DAYS = 90;

async function suggest(form, split) {
  if (!suggestions[split]) {
    const now = new Date();
    const since = isoWithOffset(new Date(now.getFullYear(), now.getMonth(), now.getDate() - SUGGEST_DAYS));
    suggestions[split] = api("trends", { params: { split, since, interval: "month", split_limit: 50 } })
      .then((r) => r.series.map((s) => s.key).filter(Boolean)).catch(() => []);
  }
  const keys = await suggestions[split];
  form.querySelector(`#dl-${split}`).innerHTML = keys.map((k) => `<option value="${esc(k)}">`).join("");
}

/** Wire the bar: submit and clear call `apply(newFilters)`; brand and source suggest the index's values on focus. */
export function bindFilterBar(root, params, apply) {
  const form = root.querySelector("#filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply(readFilterBar(form, params));
  });
  form.querySelector("#clear-filters").addEventListener("click", () => apply({}));
  for (const split of ["brand", "source"]) {
    form.querySelector(`input[name=${split}]`).addEventListener("focus", () => suggest(form, split), { once: true });
  }
  for (const sel of form.querySelectorAll("select, input[type=date]")) {
    sel.addEventListener("change", () => form.requestSubmit());
  }
}
