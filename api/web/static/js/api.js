// The JSON API, as every client sees it: relative URLs (the app works under a path prefix),
// the API key from this browser session in X-API-Key, errors as the API's problem+json.

const KEY = "voclens.apiKey";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** Field -> message for every problem the API named (422), e.g. {email_to: "..."}. */
  fieldErrors() {
    const out = {};
    for (const e of this.problem.errors || []) if (e.field) out[e.field] = e.message;
    if (this.problem.field && !(this.problem.field in out)) out[this.problem.field] = this.problem.detail;
    return out;
  }
}

export const apiKey = () => sessionStorage.getItem(KEY);
export const setApiKey = (key) => sessionStorage.setItem(KEY, key);
export const clearApiKey = () => sessionStorage.removeItem(KEY);

/** A query string from {name: value | [values]}; empty values are left out, lists repeat the name. */
export function query(params = {}) {
  const qs = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") qs.append(name, v);
  }
  const s = qs.toString();
  return s ? `?${s}` : "";
}

/** The API URL of `path` with `params`, as a curl user would write it. */
export const apiUrl = (path, params) => `${path.replace(/^\//, "")}${query(params)}`;

function headers(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, "X-API-Key": key } : extra;
}

/** The raw Response of an API call; non-2xx answers throw ApiError with the API's problem. */
export async function request(path, { params, method = "GET", body } = {}) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(apiUrl(path, params), init);
  if (!response.ok) {
    let problem = { title: response.statusText, status: response.status };
    try { problem = await response.json(); } catch { /* not JSON: keep the status line */ }
    const error = new ApiError(response.status, problem);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("voclens:unauthorized", { detail: error }));
    throw error;
  }
  return response;
}

/** The JSON body of an API call (null for 204). */
export async function api(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}
