// A service worker with one job: let "Export CSV" stream GET /search/export straight into the
// browser's downloads when the API needs a key. A download link cannot carry the X-API-Key
// header, and reading the answer with fetch() would collect the whole file in the page first.
// The page names one export URL with its key just before it opens that URL; this worker adds
// the header to that one request, once, and passes the server's stream through untouched.
// Every other request goes to the network as if the worker were not there.
"use strict";

const pending = new Map(); // export URL -> { key, port }
const FORGET_MS = 30_000; // a URL the page named but never opened is forgotten with its key

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const { url, key } = event.data || {};
  const [port] = event.ports;
  if (typeof url !== "string" || typeof key !== "string" || !port) return;
  const target = new URL(url, self.registration.scope);
  if (target.origin !== self.location.origin || !target.href.startsWith(self.registration.scope)) return;
  pending.set(target.href, { key, port });
  setTimeout(() => pending.delete(target.href), FORGET_MS);
  port.postMessage({ ready: true });
});

self.addEventListener("fetch", (event) => {
  const entry = event.request.method === "GET" ? pending.get(event.request.url) : undefined;
  if (!entry) return;
  pending.delete(event.request.url);
  event.respondWith((async () => {
    try {
      const response = await fetch(event.request.url, { headers: { "X-API-Key": entry.key }, cache: "no-store" });
      const problem = response.ok ? null : await response.clone().json().catch(() => ({ title: response.statusText }));
      entry.port.postMessage({ status: response.status, total: response.headers.get("X-Total-Count"), problem });
      return response;
    } catch (error) {
      entry.port.postMessage({ status: 0, problem: { title: "Network error", detail: String(error) } });
      return Response.error();
    }
  })());
});
