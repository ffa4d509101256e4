// Query page: the SPARQL editor (CodeMirror 6, bundled in vendor/codemirror), running the
// query against the endpoint, the result (table, Turtle or yes/no) with its row count and time,
// downloads, a shareable link (/?query=...) and citations of named-query results.
// All values are inserted with textContent, never as HTML.
"use strict";

const form = document.getElementById("query-form");
const textarea = document.getElementById("query");
const picker = document.getElementById("example");
const statusLine = document.getElementById("status");
const errorBox = document.getElementById("error");
const results = document.getElementById("results");
const downloads = document.getElementById("downloads");
const copyButton = document.getElementById("copy-link");
const citeSection = document.getElementById("cite");
const endpoint = form.action;
const examples = new Map(Array.from(document.querySelectorAll("template.example-text"),
  (t) => [t.dataset.name, t.content.textContent]));
const R = window.EOCICResults;
let editor = null;
let knownTerms = new Set(); // prefixed names of the ontology's terms (from the vocabulary)

function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

// For an empty result: the eocic: names of the query that the ontology does not define.
function unknownTerms(query) {
  const notes = [];
  const names = new Set(query.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*/g, "")
    .match(/\beocic:[A-Za-z_][\w-]*/g) || []);
  for (const name of names) {
    if (knownTerms.has(name)) continue;
    let best = null;
    for (const term of knownTerms) {
      const d = distance(name.toLowerCase(), term.toLowerCase());
      if (d <= 2 && (!best || d < best[0])) best = [d, term];
    }
    notes.push(name + " is not a term of the ontology" + (best ? "; did you mean " + best[1] + "?" : ""));
  }
  return notes;
}
let namedQuery = null; // the example the editor holds, while unchanged

function getQuery() { return editor ? editor.getValue() : textarea.value; }
function setQuery(text) {
  textarea.value = text;
  if (editor) editor.setValue(text);
}

function shareUrl(query) {
  const url = new URL(window.location.href);
  url.search = "?query=" + encodeURIComponent(query);
  url.hash = "";
  return url.toString();
}

function showDownloads(kind, query) {
  for (const group of downloads.querySelectorAll("[data-kind]")) {
    group.hidden = group.dataset.kind !== kind;
  }
  for (const a of downloads.querySelectorAll("a[data-format]")) {
    a.href = endpoint + "?query=" + encodeURIComponent(query) + "&format=" + a.dataset.format;
  }
  downloads.hidden = false;
}

function showError(text) {
  statusLine.className = "error";
  statusLine.textContent = "The query has an error:";
  errorBox.textContent = text.replace(/^400 Bad Request: (malformed or refused query: )?/, "");
  errorBox.hidden = false;
  const where = /line (\d+), column (\d+)/.exec(text);
  if (where && editor) editor.markError(Number(where[1]));
}

async function cite(name) {
  citeSection.hidden = true;
  if (!name) return;
  try {
    const response = await fetch(citeSection.dataset.url.replace("NAME", encodeURIComponent(name)));
    if (response.ok) R.citations(citeSection, await response.json());
  } catch (error) { /* citations are optional */ }
}

async function run() {
  const query = getQuery();
  statusLine.className = "";
  statusLine.textContent = "Running…";
  errorBox.hidden = true;
  if (editor) editor.clearError();
  results.replaceChildren();
  downloads.hidden = true;
  citeSection.hidden = true;
  window.history.replaceState(null, "", shareUrl(query));
  const started = performance.now();
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json, text/turtle;q=0.9",
      },
      body: new URLSearchParams({ query }),
    });
  } catch (error) {
    statusLine.className = "error";
    statusLine.textContent = "Request failed: " + error;
    return;
  }
  const type = response.headers.get("Content-Type") || "";
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  if (!response.ok) {
    showError(text);
    return;
  }
  const truncated = response.headers.get("X-EOCIC-Truncated") === "true"
    ? " (truncated to the server's limit)" : "";
  if (type.includes("sparql-results+json")) {
    const data = JSON.parse(text);
    if ("boolean" in data) {
      const p = document.createElement("p");
      p.className = "answer";
      p.textContent = "Answer: " + (data.boolean ? "yes" : "no");
      results.replaceChildren(p);
      statusLine.textContent = "in " + ms + " ms";
    } else {
      const rows = R.table(results, data);
      statusLine.textContent = rows + (rows === 1 ? " row" : " rows") + " in " + ms + " ms" + truncated;
      const notes = rows === 0 ? unknownTerms(query) : [];
      if (notes.length) {
        errorBox.textContent = notes.join("\n");
        errorBox.hidden = false;
      }
    }
    showDownloads("table", query);
  } else {
    const pre = document.createElement("pre");
    pre.className = "turtle";
    pre.textContent = R.compactTurtle(text);
    results.replaceChildren(pre);
    const triples = (text.match(/ \.\s*$/gm) || []).length;
    statusLine.textContent = "Turtle in " + ms + " ms" + (triples ? "" : " (no triples)");
    showDownloads("graph", query);
  }
  if (namedQuery && examples.get(namedQuery) === query) cite(namedQuery);
}

picker.addEventListener("change", () => {
  if (!examples.has(picker.value)) return;
  namedQuery = picker.value;
  setQuery(examples.get(picker.value));
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});

copyButton.addEventListener("click", async () => {
  const url = shareUrl(getQuery());
  const field = document.getElementById("link");
  field.value = url;
  field.hidden = false;
  try {
    await navigator.clipboard.writeText(url);
    copyButton.textContent = "Link copied";
  } catch (error) {
    field.select();
    copyButton.textContent = "Copy the selected link";
  }
  setTimeout(() => { copyButton.textContent = "Copy link"; }, 2500);
});

async function start() {
  let vocabulary = { prefixes: {}, terms: [] };
  try {
    const response = await fetch(document.body.dataset.vocabulary);
    if (response.ok) vocabulary = await response.json();
  } catch (error) { /* completion of prefixes and terms is then unavailable */ }
  R.setPrefixes(vocabulary.prefixes);
  knownTerms = new Set((vocabulary.terms || []).filter((t) => t.kind !== "resource")
    .map((t) => t.name).filter((n) => n.startsWith("eocic:")));
  const shared = new URLSearchParams(window.location.search).get("query");
  if (shared !== null) textarea.value = shared;
  for (const [name, text] of examples) if (text === textarea.value) namedQuery = name;
  if (window.EOCICEditor) {
    const holder = document.getElementById("editor");
    editor = window.EOCICEditor.create(holder, {
      doc: textarea.value, vocabulary, onRun: run,
      onChange: () => {
        errorBox.hidden = true;
        if (statusLine.className === "error") {
          statusLine.className = "";
          statusLine.textContent = "";
        }
      },
    });
    textarea.hidden = true;
    holder.hidden = false;
    document.body.dataset.editor = "ready";
  }
  if (shared !== null) run();
}

start();
