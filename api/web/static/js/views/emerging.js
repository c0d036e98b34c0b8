// Emerging: GET /topics/emerging (complaints, negative polarity) and GET /keywords/emerging for
// the current window against the baseline before it; each item with a few example documents
// (GET /search on the current window) and a link to the full search.
import { api, apiUrl } from "../api.js";
import { bindFilterBar, filterBar, pickFilters } from "../filters.js";
import { errorBox, esc, number, snippet, when } from "../format.js";
import { t } from "../i18n.js";
import { topicName } from "../topics.js";

const WINDOWS = ["1d", "2d", "3d", "7d"];
const BASELINES = ["14d", "28d", "56d"];
/** Items that get example documents (each is one search). */
const WITH_EXAMPLES = 5;

const options = (values, current, prefix) =>
  values.map((v) => `<option value="${v}"${v === current ? " selected" : ""}>${esc(t(`${prefix}.${v}`))}</option>`).join("");

/** The search behind one item: its topic (as a complaint) or its keyword, in the current window. */
export function itemSearch(kind, key, filters, span) {
  const scoped = { ...filters, since: span.since, until: span.until, sort: "newest" };
  if (kind === "topics") return { ...scoped, topic: [`${key}:negative`] };
  const words = `"${key.replaceAll('"', "")}"`;
  return { ...scoped, q: filters.q ? `${filters.q} ${words}` : words };
}

function itemHtml(kind, item, ctx, filters, span) {
  const name = kind === "topics" ? topicName(item.key) : item.key;
  const counts = t("emerging.counts", {
    current: number(item.current), expected: number(item.expected, 1), ratio: number(item.ratio, 1), score: number(item.score, 1),
  });
  return `<li class="rising" data-key="${esc(item.key)}"><div><strong>${esc(name)}</strong>
  <span class="muted">${esc(counts)}</span>
  <a href="${esc(ctx.href("search", itemSearch(kind, item.key, filters, span)))}">${esc(t("emerging.open"))} →</a></div>
  <ul class="examples"></ul></li>`;
}

async function examples(li, kind, key, filters, span, ctx) {
  const result = await api("search", { params: { ...itemSearch(kind, key, filters, span), limit: 3 } });
  li.querySelector(".examples").innerHTML = result.results.map(({ document: d, highlights }) =>
    `<li><a href="${esc(ctx.href("doc", {}, d.id))}">${highlights.text ? snippet(highlights.text) : esc(d.text.slice(0, 160))}</a>
     <span class="muted">${esc(d.brand ?? "")} · ${esc(when(d.created_at))}</span></li>`).join("");
}

async function section(root, ctx, kind, filters, windowing) {
  const box = root.querySelector(`#rising-${kind}`);
  const params = { ...filters, ...windowing, limit: 10, ...(kind === "topics" ? { polarity: "negative" } : {}) };
  box.querySelector(".json").href = apiUrl(`${kind}/emerging`, params);
  const result = await api(`${kind}/emerging`, { params });
  const span = result.current;
  const list = box.querySelector("ol");
  list.innerHTML = result.items.length ? result.items.map((item) => itemHtml(kind, item, ctx, filters, span)).join("")
    : `<li class="empty">${esc(t("emerging.none"))}</li>`;
  await Promise.all([...list.querySelectorAll("li.rising")].slice(0, WITH_EXAMPLES)
    .map((li) => examples(li, kind, li.dataset.key, filters, span, ctx).catch((error) => li.insertAdjacentHTML("beforeend", errorBox(error)))));
}

export async function render(root, ctx, { params }) {
  const filters = pickFilters(params);
  delete filters.since;  // the windows set the dates
  delete filters.until;
  const windowing = {
    window: WINDOWS.includes(params.window) ? params.window : "2d",
    baseline: BASELINES.includes(params.baseline) ? params.baseline : "28d",
  };
  const box = (kind) => `<section class="col" id="rising-${kind}"><h2>${esc(t(`emerging.${kind}`))}
    <a class="json" target="_blank" title="${esc(t("json.title"))}">${esc(t("json"))}</a></h2><ol class="rising-list"></ol></section>`;
  root.innerHTML = `${filterBar(params)}
<div class="toolbar" id="window-controls">
  <label>${esc(t("emerging.window"))} <select name="window">${options(WINDOWS, windowing.window, "window")}</select></label>
  <label>${esc(t("emerging.baseline"))} <select name="baseline">${options(BASELINES, windowing.baseline, "baseline")}</select> ${esc(t("emerging.baseline.after"))}</label>
</div>
<div class="cols">${box("topics")}${box("keywords")}</div>`;
  root.querySelector("#filters").querySelectorAll("input[type=date]").forEach((el) => el.closest("label").remove());
  bindFilterBar(root, params, (next) => ctx.navigate("emerging", { ...next, ...windowing, since: "", until: "" }));
  for (const sel of root.querySelectorAll("#window-controls select")) {
    sel.addEventListener("change", (e) => ctx.navigate("emerging", { ...filters, ...windowing, [e.target.name]: e.target.value }));
  }
  await Promise.all([section(root, ctx, "topics", filters, windowing), section(root, ctx, "keywords", filters, windowing)]);
}
