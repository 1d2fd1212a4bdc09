// What the widget keeps in the reader's browser, per site: a random reader token (made at the
// first vote), the reader's own votes (shown on return visits), and votes not yet sent.
// localStorage may be unavailable (private modes, blocked storage): then it lasts the page.
const memory = new Map();

function read(key) {
  try {
    const text = localStorage.getItem(key);
    return text == null ? memory.get(key) : JSON.parse(text);
  } catch {
    return memory.get(key);
  }
}

function write(key, value) {
  memory.set(key, value);
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // kept in memory only
  }
}

export function readerToken(site, create = false) {
  const key = `feedback:${site}:reader`;
  let token = read(key);
  if (!token && create) {
    // getRandomValues, not randomUUID: the page may be served over plain http.
    token = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => (byte + 256).toString(16).slice(1)).join("");
    write(key, token);
  }
  return token || null;
}

const record = (kind) => ({
  get: (site, article) => (read(`feedback:${site}:${kind}`) || {})[article],
  set(site, article, value) {
    const all = read(`feedback:${site}:${kind}`) || {};
    if (value === undefined) delete all[article];
    else all[article] = value;
    write(`feedback:${site}:${kind}`, all);
  },
  all: (site) => read(`feedback:${site}:${kind}`) || {},
});

// article -> score (null: withdrawn) as last acknowledged
export const myVotes = record("mine");
// article -> { score, title, url } waiting for the server
export const queuedVotes = record("queue");
