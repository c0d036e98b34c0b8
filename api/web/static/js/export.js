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

/** Hand the worker the URL and key, open the URL, and answer with what the server said. */
async function throughWorker(sw, url) {
  const channel = new MessageChannel();
  const outcome = new Promise((resolve) => {
    channel.port1.onmessage = ({ data }) => {
      if (data.ready) download(url, { frame: true });
      else resolve(data);
    };
  });
  sw.postMessage({ url: new URL(url, document.baseURI).href, key: apiKey() }, [channel.port2]);
  const data = await outcome;
  channel.port1.close();
  if (data.status < 200 || data.status >= 300) throw new ApiError(data.status, data.problem || {});
  return Number(data.total);
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
  return sw ? throughWorker(sw, url) : throughMemory(url);
}
