// Document: GET /documents/{id}: the full text with each topic's evidence marked, every label
// with its polarity and score, the model version and the source metadata.
import { api, apiUrl } from "../api.js";
import { chip, esc, number, stars, when } from "../format.js";
import { t } from "../i18n.js";
import { topicName } from "../topics.js";

/** The text with the evidence spans of its topics marked (spans may nest or overlap: merged). */
export function markedText(text, topics) {
  const spans = topics.filter((x) => x.evidence).map((x) => [...x.evidence]).sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [s, e] of spans) {
    if (merged.length && s <= merged[merged.length - 1][1]) merged[merged.length - 1][1] = Math.max(merged[merged.length - 1][1], e);
    else merged.push([s, e]);
  }
  const chars = [...text];  // evidence offsets count code points, as Python does
  let out = "";
  let pos = 0;
  for (const [s, e] of merged) {
    out += esc(chars.slice(pos, s).join("")) + `<mark class="evidence">${esc(chars.slice(s, e).join(""))}</mark>`;
    pos = e;
  }
  return out + esc(chars.slice(pos).join(""));
}

function row(key, value) {
  return value === null || value === undefined || value === "" ? "" : `<dt>${esc(t(key))}</dt><dd>${value}</dd>`;
}

export async function render(root, ctx, { arg }) {
  const d = await api(`documents/${encodeURIComponent(arg)}`);
  const chars = [...d.text];
  const topics = d.topics.map((x) => `<tr><td>${esc(topicName(x.topic))} <code class="muted">${esc(x.topic)}</code></td>
    <td>${chip(t(`polarity.${x.polarity}`), x.polarity)}</td><td class="num">${number(x.score, 2)}</td>
    <td>${x.evidence ? `“${esc(chars.slice(x.evidence[0], x.evidence[1]).join(""))}”` : ""}</td></tr>`).join("");
  const url = d.url ? `<a href="${esc(d.url)}" target="_blank" rel="noopener noreferrer">${esc(d.url)}</a>` : "";
  root.innerHTML = `<p><a href="#" id="back">← ${esc(t("doc.back"))}</a>
  <a class="json" href="${esc(apiUrl(`documents/${d.id}`))}" target="_blank" title="${esc(t("json.title"))}">${esc(t("json"))}</a></p>
<article class="doc">
  <h1>${esc(d.title || d.product_name || d.source_id)} ${stars(d.rating)}</h1>
  <p class="fulltext" lang="${esc(d.lang === "zh" ? "zh" : d.lang === "en" ? "en" : "")}">${markedText(d.text, d.topics)}</p>
  <h2>${esc(t("doc.labels"))}</h2>
  <p>${esc(t("doc.sentiment"))}: ${d.sentiment ? `${chip(t(`polarity.${d.sentiment.label}`), d.sentiment.label)} ${number(d.sentiment.score, 2)}` : "–"}
   · ${esc(t("doc.model"))}: <code id="model-version">${esc(d.model_version ?? "–")}</code></p>
  ${topics ? `<table class="table" id="topic-labels"><thead><tr><th>${esc(t("doc.topic"))}</th><th>${esc(t("doc.polarity"))}</th>
    <th class="num">${esc(t("doc.score"))}</th><th>${esc(t("doc.evidence"))}</th></tr></thead><tbody>${topics}</tbody></table>`
    : `<p class="muted">${esc(t("doc.notopics"))}</p>`}
  ${d.keywords.length ? `<p>${esc(t("doc.keywords"))}: ${d.keywords.map((k) => `<span class="chip">${esc(k)}</span>`).join("")}</p>` : ""}
  <h2>${esc(t("doc.meta"))}</h2>
  <dl class="meta-list">
    ${row("m.source", esc(d.source))}${row("m.source_id", esc(d.source_id))}${row("m.channel", esc(t(`channel.${d.channel}`)))}
    ${row("m.url", url)}${row("m.brand", esc(d.brand ?? ""))}${row("m.product_id", esc(d.product_id ?? ""))}
    ${row("m.product_name", esc(d.product_name ?? ""))}${row("m.lang", d.lang ? esc(t(`lang.${d.lang}`)) : "")}
    ${row("m.rating", d.rating === null ? "" : esc(d.rating))}
    ${row("m.created_at", `<time datetime="${esc(d.created_at)}">${esc(when(d.created_at))}</time>`)}
    ${row("m.fetched_at", `<time datetime="${esc(d.fetched_at)}">${esc(when(d.fetched_at))}</time>`)}
    ${row("m.author_hash", d.author_hash ? `<code>${esc(d.author_hash)}</code>` : "")}${row("m.id", `<code>${esc(d.id)}</code>`)}
    ${row("m.meta", Object.keys(d.meta).length ? `<pre>${esc(JSON.stringify(d.meta, null, 2))}</pre>` : "")}
  </dl>
</article>`;
  root.querySelector("#back").addEventListener("click", (event) => {
    event.preventDefault();
    if (history.length > 1) history.back(); else ctx.navigate("search");
  });
}
