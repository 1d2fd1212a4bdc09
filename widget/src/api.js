// The reader API of the feedback server that served this script.
export class ApiError extends Error {
  constructor(status, code, retryAfter) {
    super(code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function api(base, site) {
  const root = `${base}/api/v1/sites/${encodeURIComponent(site)}`;
  const article = (id) => `${root}/articles/${encodeURIComponent(id)}`;

  async function call(url, init) {
    // A network failure rejects with a TypeError: the caller tells it from an ApiError.
    const response = await fetch(url, { ...init, headers: init?.body ? { "Content-Type": "application/json" } : {} });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, body.error?.code, Number(response.headers.get("Retry-After")) || 0);
    return body;
  }
  const json = (method, body) => ({ method, body: JSON.stringify(body) });

  return {
    summary: (id, reader) => call(article(id) + (reader ? `?reader=${encodeURIComponent(reader)}` : "")),
    summaries: (ids) => call(`${root}/summaries?articles=${ids.map(encodeURIComponent).join(",")}`),
    vote: (id, body) => call(`${article(id)}/rating`, json("PUT", body)),
    withdraw: (id, reader) => call(`${article(id)}/rating?reader=${encodeURIComponent(reader)}`, { method: "DELETE" }),
    comments: (id, params) => call(`${article(id)}/comments?${new URLSearchParams(params)}`),
    comment: (id, body) => call(`${article(id)}/comments`, json("POST", body)),
  };
}
