// The shell: routes "#view/arg?params" to a view module, asks for an API key where one is
// needed, and re-renders on language switch. Views only call the JSON API (see api.js).
import { api, clearApiKey, setApiKey } from "./api.js";
import { parseParams } from "./filters.js";
import { esc, errorBox } from "./format.js";
import { lang, setLang, t } from "./i18n.js";
import { loadOwnTopics } from "./topics.js";
import * as cases from "./views/cases.js";
import * as digests from "./views/digests.js";
import * as documentView from "./views/document.js";
import * as emerging from "./views/emerging.js";
import * as search from "./views/search.js";
import * as trends from "./views/trends.js";

const VIEWS = { search, trends, emerging, doc: documentView, digests, cases };
const NAV = ["search", "trends", "emerging", "digests", "cases"];

const ctx = {
  access: null,
  charts: [],
  /** Open `view` with `params` (and a path argument, e.g. a document id); the URL holds them all. */
  navigate(view, params = {}, arg = "") {
    location.hash = href(view, params, arg);
  },
  href: (view, params, arg) => href(view, params, arg),
  can: (scope) => Boolean(ctx.access?.scopes.includes(scope)),
};

/** "#view/arg?a=1&b=2": list values repeat their name, empty values are left out. */
function href(view, params = {}, arg = "") {
  const qs = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") qs.append(name, v);
  }
  const s = qs.toString();
  return `#${view}${arg ? `/${encodeURIComponent(arg)}` : ""}${s ? `?${s}` : ""}`;
}

function route() {
  const hash = location.hash.replace(/^#/, "");
  const [path, search = ""] = hash.split(/\?(.*)/s, 2);
  const [name, arg = ""] = path.split("/", 2);
  return { name: VIEWS[name] ? name : "search", arg: decodeURIComponent(arg), params: parseParams(search) };
}

function header(current) {
  document.getElementById("nav").innerHTML = NAV
    .map((v) => `<a href="#${v}" class="${v === current ? "active" : ""}" data-view="${v}">${esc(t(`nav.${v}`))}</a>`).join("");
  const lbtn = document.getElementById("lang");
  lbtn.textContent = t("lang.switch");
  lbtn.setAttribute("aria-label", t("lang.switch"));
  const who = document.getElementById("who");
  if (ctx.access?.keys_required && ctx.access.key) {
    const ro = ctx.can("write") ? "" : ` · ${esc(t("access.readonly"))}`;
    who.innerHTML = `🔑 ${esc(ctx.access.key)}${ro} <button type="button" class="link" id="signout">${esc(t("access.signout"))}</button>`;
    who.querySelector("#signout").addEventListener("click", () => { clearApiKey(); ctx.access = null; render(); });
  } else {
    who.innerHTML = "";
  }
}

function keyForm(main, message = "") {
  main.innerHTML = `<section class="access">
  <h1>${esc(t("access.title"))}</h1><p>${esc(t("access.help"))}</p>
  <form id="key-form"><label>${esc(t("access.key"))} <input type="password" name="key" autocomplete="off" required></label>
  <button type="submit" class="primary">${esc(t("access.open"))}</button></form>
  <p class="error" role="alert" id="key-error">${esc(message)}</p></section>`;
  main.querySelector("#key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setApiKey(new FormData(event.target).get("key").trim());
    try {
      ctx.access = await api("access");
      render();
    } catch (error) {
      clearApiKey();
      main.querySelector("#key-error").textContent = error.status === 401 ? t("access.invalid") : error.message;
    }
  });
}

let rendering = 0;

async function render() {
  const token = ++rendering;
  const current = route();
  for (const chart of ctx.charts.splice(0)) chart.dispose();
  const main = document.getElementById("view");
  if (!ctx.access) {
    try {
      ctx.access = await api("access");
    } catch (error) {
      ctx.access = null;
      if (token !== rendering) return;
      header(current.name);
      if (error.status === 401) {
        clearApiKey();
        keyForm(main, t("access.expired"));
      } else {
        main.innerHTML = errorBox(error);
      }
      return;
    }
  }
  if (token !== rendering) return;
  header(current.name);
  if (ctx.access.keys_required && !ctx.access.scopes.includes("read")) {
    ctx.access = null;  // asking for a key: a 401 while trying one is the form's to report
    keyForm(main);
    return;
  }
  await loadOwnTopics();  // their names in menus, chips and charts (read again every 30 s at most)
  if (token !== rendering) return;
  const root = document.createElement("div");
  root.className = `view view-${current.name}`;
  root.dataset.hash = location.hash;
  main.replaceChildren(root);
  try {
    await VIEWS[current.name].render(root, ctx, current);
    root.dataset.ready = "ok";  // every request of the first render answered (tests and screenshots wait for it)
  } catch (error) {
    if (token === rendering) root.insertAdjacentHTML("beforeend", errorBox(error));
    root.dataset.ready = "error";
  }
}

window.addEventListener("hashchange", render);
window.addEventListener("voclens:unauthorized", () => {
  if (!ctx.access) return;
  clearApiKey();
  ctx.access = null;
  render();
});
document.getElementById("lang").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  render();
});
document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
render();
