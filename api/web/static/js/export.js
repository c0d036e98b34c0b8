// "Export CSV": every match of a search from GET /search/export, streamed by the server and
// written to disk by the browser's own download, never collected in the page.
// Without API keys it is a plain download of the export URL. With keys, a service worker
// (export-sw.js) adds the key to that one download, as a link cannot. Where service workers
// are unavailable (a page served over plain http from another host is not a secure context)
// the file is read with fetch and saved from memory, the only way left to send the header.
import { ApiError, apiKey, apiUrl, request } from "./api.js";

const SCOPE = "./search/export";
let worker;

/** The active export worker, or null where the browser has none to give. */
function exportWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return Promise.resolve(null);
  worker ??= navigator.serviceWorker.register("static/js/export-sw.js", { scope: SCOPE })
    .then((reg) => reg.active ?? new Promise((resolve) => {
      const sw = reg.installing ?? reg.waiting;
      sw.addEventListener("statechange", () => { if (sw.state === "activated") resolve(sw); });
    }))
    .catch(() => null);
  return worker;
}

/** Start the browser's download of `url` (same origin), by a link or in a hidden frame. */
function download(url, { frame = false } = {}) {
  if (frame) {
    const iframe = Object.assign(document.createElement("iframe"), { hidden: true, src: url, title: "export" });
    document.body.append(iframe);
    setTimeout(() => iframe.remove(), 60_000);
    return;
  }
  const link = Object.assign(document.createElement("a"), { href: url, download: "voclens-export.csv" });
  document.body.append(link);
  link.click();
  link.remove();
}

const READY_MS = 5_000; // a worker that does not answer by then is not used: the fallback is
const START_MS = 60_000; // the server answers an export's first page well within this

const timeout = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** Hand the worker the URL and key, open the URL, and answer with what the server said;
 * null when the worker did not take the URL (then nothing was opened). */
async function throughWorker(sw, url) {
  const channel = new MessageChannel();
  let ready;
  const isReady = new Promise((resolve) => { ready = resolve; });
  const outcome = new Promise((resolve) => {
    channel.port1.onmessage = ({ data }) => (data.ready ? ready(true) : resolve(data));
  });
  sw.postMessage({ url: new URL(url, document.baseURI).href, key: apiKey() }, [channel.port2]);
  try {
    if (!(await Promise.race([isReady, timeout(READY_MS, false)]))) return null;
    download(url, { frame: true });
    const data = await Promise.race([outcome, timeout(START_MS, { status: 0, problem: { title: "Export", detail: "the download did not start" } })]);
    if (data.status >= 200 && data.status < 300) return Number(data.total);
    const error = new ApiError(data.status, data.problem || {});
    if (data.status === 401) window.dispatchEvent(new CustomEvent("voclens:unauthorized", { detail: error }));
    throw error;
  } finally {
    channel.port1.close();
  }
}

/** The fallback: the whole file through fetch, saved from memory. */
async function throughMemory(url) {
  const response = await request(url);
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  download(href);
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return Number(response.headers.get("X-Total-Count"));
}

/**
 * Download every match of `params` as CSV; resolves to the number of rows when the server
 * says it (with a key), else to `expected` (the search's total, which the export repeats).
 */
export async function exportCsv(params, expected) {
  const url = apiUrl("search/export", params);
  if (!apiKey()) {
    download(url);
    return expected;
  }
  const sw = await exportWorker();
  return (sw && (await throughWorker(sw, url))) ?? throughMemory(url);
}
