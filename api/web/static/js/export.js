// "Export CSV": every match of a search from GET /search/export, streamed by the server and
// written to disk by the browser's own download, never collected in the page.
// Without an API key it is a plain download of the export URL. With a key, which a download
// cannot send as a header, the page first asks for a signed link of that export
// (POST /search/export/links, with the key): the same URL plus a token bound to exactly those
// parameters, usable once and for a minute; then the browser downloads that URL by itself.
// This works on any origin, plain http from another host included (no service worker needed).
import { api, apiKey, apiUrl } from "./api.js";

// Versions before signed links registered a service worker for the export path: let it go.
navigator.serviceWorker?.getRegistrations()
  .then((registrations) => registrations.filter((r) => r.scope.endsWith("/search/export")).forEach((r) => r.unregister()))
  .catch(() => {});

/** Start the browser's download of `url` (same origin) with a link. */
function download(url) {
  const link = Object.assign(document.createElement("a"), { href: url, download: "voclens-export.csv" });
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * Download every match of `params` as CSV; resolves to the number of rows: the link's count
 * (with a key), else `expected` (the search's total, which the export repeats).
 */
export async function exportCsv(params, expected) {
  if (!apiKey()) {
    download(apiUrl("search/export", params));
    return expected;
  }
  const link = await api("search/export/links", { method: "POST", params });
  // The URL from the parameters sent (relative, as every call of the page: it works under a path prefix).
  download(apiUrl("search/export", { ...params, token: link.token }));
  return link.total;
}
