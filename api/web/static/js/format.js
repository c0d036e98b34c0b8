// Small pure helpers that turn API values into HTML: escaping, times, chips, stars.
import { lang, t } from "./i18n.js";
import { isOwn, topicName } from "./topics.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put in HTML (customer text is never trusted). */
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'" };
const unescape = (text) => text.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (e) => ENTITIES[e]);

/** A search snippet as HTML. The API sends HTML-escaped text with matches in <mark>; only the
 * marks are kept as markup, every other part is read as text and escaped again, so nothing in a
 * document can become markup even if a backend escaped less. */
export const snippet = (html) =>
  html.split(/(<\/?mark>)/).map((part) => (part === "<mark>" || part === "</mark>" ? part : esc(unescape(part)))).join("");

/** The viewer's own time zone (buckets and times are shown in it). */
export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const locale = () => (lang() === "zh" ? "zh-CN" : "en-GB");

/** An ISO instant in the viewer's time zone and language. */
export function when(iso, { time = true } = {}) {
  if (!iso) return "";
  const options = time ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

export const number = (n, digits = 0) =>
  n === null || n === undefined ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);

export const percent = (share, digits = 1) =>
  share === null || share === undefined ? "–" : `${(share * 100).toFixed(digits)}%`;

/** A chip for a sentiment or a topic, coloured by polarity. */
export function chip(label, polarity, title = "", extra = "") {
  return `<span class="chip ${esc(polarity)}${extra && ` ${esc(extra)}`}" title="${esc(title || t(`polarity.${polarity}`))}">${esc(label)}</span>`;
}

/** A topic's chip; an own topic's is marked (outlined, and named so in its title). */
export function topicChip(topic) {
  const own = isOwn(topic.topic);
  const title = `${own ? `${t("topics.mark")} · ` : ""}${t(`polarity.${topic.polarity}`)} · ${number(topic.score, 2)}`;
  return chip(topicName(topic.topic), topic.polarity, title, own ? "own" : "");
}

export function stars(rating) {
  if (rating === null || rating === undefined) return "";
  const full = Math.round(rating);
  return `<span class="stars" title="${esc(t("rating"))} ${esc(rating)}">${"★".repeat(full)}${"☆".repeat(5 - full)}</span>`;
}

/** The start of a local calendar day as an ISO instant with the viewer's offset ("2026-11-18" -> ...+08:00). */
export function localDayStart(day) {
  const [y, m, d] = day.split("-").map(Number);
  return isoWithOffset(new Date(y, m - 1, d));
}

/** `date` (a Date) as ISO 8601 with the viewer's UTC offset, seconds precision. */
export function isoWithOffset(date) {
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** The viewer's calendar day (YYYY-MM-DD) of an ISO instant, for date inputs. */
export function localDay(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A short error line for a failed call (the API's detail, else the status). */
export const errorBox = (error) =>
  `<p class="error" role="alert">${esc(error.problem?.title || t("error"))}: ${esc(error.message)}</p>`;
