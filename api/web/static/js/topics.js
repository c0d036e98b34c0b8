// The topics a filter, a chip or a chart may name: the taxonomy's default topics (written into
// the shell) and the index's own topics (GET /own-topics, issue 19: the analyst's own and the
// customer journey's stages and touchpoints). Own labels sit on documents like default ones, so
// the API filters, splits and counts them alike; the page only needs their names, and marks them.
import { api } from "./api.js";
import { lang } from "./i18n.js";

const config = JSON.parse(document.getElementById("voclens-config").textContent);
/** Own topics are defined while the app is open (`voclens topics add`): read again after this. */
const FRESH_MS = 30_000;

let own = new Map(); // key -> {key, name_zh, name_en, taxonomy}
let loaded = null; // {at, promise}

/** Read the own topics (once per FRESH_MS); a failure leaves the default topics alone to offer. */
export function loadOwnTopics() {
  if (!loaded || Date.now() - loaded.at > FRESH_MS) {
    const promise = api("own-topics")
      .then((topics) => { own = new Map(topics.map((x) => [x.key, x])); })
      .catch(() => { loaded = null; });
    loaded = { at: Date.now(), promise };
  }
  return loaded.promise;
}

/** True for an own topic's key (one of the index's, not the taxonomy's). */
export const isOwn = (key) => own.has(key);

/** The own topic's taxonomy ("own", "stage" or "touchpoint"), or "" for a default topic. */
export const taxonomy = (key) => own.get(key)?.taxonomy ?? "";

/** A topic's display name: own topics by their names, default ones from the taxonomy (Chinese) or the key. */
export function topicName(key) {
  const mine = own.get(key);
  if (mine) return lang() === "zh" ? mine.name_zh : mine.name_en;
  return lang() === "zh" ? config.topic_names_zh[key] ?? key : String(key).replaceAll("_", " ");
}

/** Every topic key a filter may offer, the default topics first, then the own ones by taxonomy. */
export function topicKeys() {
  const order = ["own", "stage", "touchpoint"];
  const mine = [...own.values()].sort((a, b) => order.indexOf(a.taxonomy) - order.indexOf(b.taxonomy));
  return [...config.topics, ...mine.map((x) => x.key)];
}
