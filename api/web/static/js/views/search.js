// Search: GET /search with the filters in the URL, cursor paging with no cap ("More results"),
// and the whole result set as CSV from GET /search/export, streamed to the downloads (../export.js).
import { api, apiUrl } from "../api.js";
import { exportCsv } from "../export.js";
import { bindFilterBar, filterBar, pickFilters } from "../filters.js";
import { chip, errorBox, esc, number, snippet, stars, topicChip, when } from "../format.js";
import { t } from "../i18n.js";

const config = JSON.parse(document.getElementById("voclens-config").textContent);
const SORTS = ["relevance", "newest", "oldest"];

/** One result: what a reader needs to decide whether to open it. */
export function hitHtml(hit, href) {
  const d = hit.document;
  const marked = hit.highlights.text ?? hit.highlights.title;
  const text = marked ? snippet(marked) : esc(d.text.length > 280 ? `${d.text.slice(0, 280)}…` : d.text);
  const source = d.url ? `<a href="${esc(d.url)}" target="_blank" rel="noopener noreferrer">${esc(d.source)}</a>` : esc(d.source);
  const meta = [
    `<time datetime="${esc(d.created_at)}">${esc(when(d.created_at))}</time>`, d.brand && esc(d.brand), source,
    esc(t(`channel.${d.channel}`)), d.lang && esc(t(`lang.${d.lang}`)),
  ].filter(Boolean).join(" · ");
  const sentiment = d.sentiment ? chip(t(`polarity.${d.sentiment.label}`), d.sentiment.label) : "";
  return `<li class="hit" data-id="${esc(d.id)}">
  <div class="hit-head"><a class="title" href="${esc(href("doc", {}, d.id))}">${esc(d.title || d.product_name || d.source_id)}</a>
  ${stars(d.rating)}</div>
  <p class="snippet">${text}</p>
  <div class="hit-foot"><span class="meta">${meta}</span> <span class="chips">${sentiment}${d.topics.map(topicChip).join("")}</span></div>
</li>`;
}

async function exportClicked(button, params, total) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t("search.exporting");
  for (const box of button.parentElement.querySelectorAll(".export-error")) box.remove();
  try {
    const rows = await exportCsv(params, total());
    button.textContent = t("search.exported", { n: number(rows) });
  } catch (error) {
    button.textContent = label;
    button.insertAdjacentHTML("afterend", errorBox(error).replace('class="error"', 'class="error export-error"'));
  } finally {
    button.disabled = false;
  }
}

export async function render(root, ctx, { params }) {
  const filters = pickFilters(params);
  const sort = SORTS.includes(params.sort) ? params.sort : filters.q ? "relevance" : "newest";
  const query = { ...filters, sort, limit: config.page_size };
  const sortOptions = SORTS.map((s) => `<option value="${s}"${s === sort ? " selected" : ""}>${esc(t(`sort.${s}`))}</option>`).join("");
  root.innerHTML = `${filterBar(params)}
<div class="toolbar"><strong id="total">${esc(t("loading"))}</strong><span id="shown" class="muted"></span>
  <span class="spacer"></span>
  <label>${esc(t("search.sort"))} <select id="sort">${sortOptions}</select></label>
  <button type="button" id="export">${esc(t("search.export"))}</button>
  <a class="json" href="${esc(apiUrl("search", query))}" title="${esc(t("json.title"))}" target="_blank">${esc(t("json"))}</a></div>
<ol class="hits" id="hits"></ol>
<button type="button" id="more" hidden>${esc(t("search.more"))}</button>`;
  bindFilterBar(root, params, (next) => ctx.navigate("search", { ...next, sort: params.sort }));
  root.querySelector("#sort").addEventListener("change", (e) => ctx.navigate("search", { ...filters, sort: e.target.value }));
  let total = 0;
  root.querySelector("#export").addEventListener("click", (e) => exportClicked(e.target, { ...filters, sort }, () => total));

  const list = root.querySelector("#hits");
  const more = root.querySelector("#more");
  let shown = 0;
  const page = async (cursor) => {
    const result = await api("search", { params: { ...query, cursor } });
    total = result.total;
    root.querySelector("#total").textContent = t("search.total", { n: number(result.total) });
    list.insertAdjacentHTML("beforeend", result.results.map((hit) => hitHtml(hit, ctx.href)).join(""));
    shown += result.results.length;
    root.querySelector("#shown").textContent = result.next_cursor ? t("search.shown", { shown: number(shown), total: number(result.total) }) : "";
    if (!result.total) list.innerHTML = `<li class="empty">${esc(t("none"))}</li>`;
    more.hidden = !result.next_cursor;
    more.onclick = async () => {
      more.disabled = true;
      try { await page(result.next_cursor); } catch (error) { more.insertAdjacentHTML("afterend", errorBox(error)); }
      more.disabled = false;
    };
  };
  await page(undefined);
}
