// Query page: the SPARQL editor (CodeMirror 6, bundled in vendor/codemirror), running the
// query, the result with its row count and time in the views it offers (table, bar chart and
// graph from views.js; Turtle; yes/no), a notice when the server cut it at its row limit,
// downloads, a shareable link (with the view shown), the query as text with PREFIX lines, and
// citations of named-query results.
// A named query picked from the examples, while its text is unchanged, runs as the API runs it
// (/api/queries/NAME with the parameters of its form), so its rows are the API's; edited, it is
// an ad-hoc query sent as written to the endpoint, with no parameters bound and no citation.
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
const standaloneButton = document.getElementById("copy-standalone");
const standaloneField = document.getElementById("standalone");
const citeSection = document.getElementById("cite");
const modeLine = document.getElementById("mode");
const restoreButton = document.getElementById("restore");
const viewSwitch = document.getElementById("views");
const truncationNotice = document.getElementById("truncated");
const endpoint = form.action;
// name -> {text, api, cite, standalone} (the URLs only for the named queries of the API)
const examples = new Map(Array.from(document.querySelectorAll("template.example-text"),
  (t) => [t.dataset.name, { text: t.content.textContent, ...t.dataset }]));
const fieldsets = new Map(Array.from(document.querySelectorAll("fieldset.parameters"),
  (f) => [f.dataset.name, f]));
const R = window.EOCICResults;
const V = window.EOCICViews;
const VIEW_NAMES = { table: "Table", chart: "Bar chart", graph: "Graph", turtle: "Turtle" };
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
let chosen = null; // the example last picked (or opened by a link), edited or not
// The result shown: {kind: "bindings", data, labels} | {kind: "triples", text, url, triples}
// | {kind: "boolean"}, the views it offers (the first its default) and the one shown.
let result = null;
let requestedView = null; // the view asked for by a click or a link, kept across runs
let shown = null; // the chart or graph drawn (destroyed before another is drawn)

function getQuery() { return editor ? editor.getValue() : textarea.value; }
function setQuery(text) {
  textarea.value = text;
  if (editor) editor.setValue(text);
}

// The named query the editor holds, unchanged, or null (an ad-hoc query).
function named() {
  const example = chosen && examples.get(chosen);
  return example && example.api && getQuery() === example.text ? chosen : null;
}

// What a link (/?example=NAME&...) gives that the form of NAME cannot hold: parameters the
// query does not take, and a parameter given again. They go on to the API with the form's, so
// its 400 names them (the link ran the query with its defaults instead); picking a query from
// the examples forgets them.
let linkExtras = null; // { name, params: URLSearchParams }

function inputs(name) {
  const fieldset = fieldsets.get(name);
  return fieldset ? Array.from(fieldset.querySelectorAll("input")) : [];
}

// The parameters of the named query's form, as the API takes them.
function args(name) {
  const params = new URLSearchParams();
  for (const input of inputs(name)) params.append(input.name, input.value);
  if (linkExtras && linkExtras.name === name) {
    for (const [key, value] of linkExtras.params) params.append(key, value);
  }
  const text = params.toString();
  return text ? "?" + text : "";
}

// Result column names: a parameter's readable name for its variable.
function columnLabels(name) {
  return Object.fromEntries(inputs(name).map((input) => [input.dataset.variable, input.dataset.label]));
}

// Show which query Run runs: the named query with its form, or an ad-hoc one.
function showMode() {
  const name = named();
  for (const [n, fieldset] of fieldsets) {
    fieldset.hidden = n !== chosen;
    fieldset.disabled = n !== name;
  }
  const text = modeLine.querySelector(".mode-text");
  modeLine.hidden = false;
  modeLine.className = name ? "named" : "ad-hoc";
  restoreButton.hidden = !(chosen && examples.get(chosen).api) || name !== null;
  if (name) {
    text.textContent = "Named query " + name + ": Run asks the API (" + examples.get(name).api +
      ") with " + (inputs(name).length ? "the parameters below" : "no parameters") +
      ", so the rows are the API's.";
  } else if (restoreButton.hidden) {
    text.textContent = "Ad-hoc query: Run sends the text as written to the endpoint.";
  } else {
    text.textContent = "Ad-hoc query (edited from the named query " + chosen + "): Run sends " +
      "the text as written to the endpoint; parameters are not bound and no citation is given.";
    citeSection.hidden = true;
  }
}

let termLabels = new Map(); // IRI -> label, for the IRI parameters' fields

// Under an IRI parameter's field, the label of the resource it names.
function describe(input) {
  const output = input.parentElement.querySelector("output.term-label");
  if (output) output.textContent = termLabels.get(input.value) || "";
}

// Suggestions for the IRI parameters: the resources the parameter's query accepts when it
// says what it takes (`instances`: its data-takes -> {iris, more}), else those of the kind of
// its default; each labelled by its label or prefixed name.
function suggest(terms, instances) {
  termLabels = new Map(terms.filter((t) => t.label).map((t) => [t.iri, t.label]));
  const names = new Map(terms.map((t) => [t.iri, t.label || t.name]));
  for (const fieldset of fieldsets.values()) {
    for (const input of fieldset.querySelectorAll("input[data-type=iri]")) {
      describe(input);
      input.addEventListener("input", () => describe(input));
      const { kind, takes } = input.dataset;
      if (!kind && !takes) continue;
      const accepted = takes ? instances[takes] || { iris: [], more: false } : null;
      const id = "suggestions-" + (takes || kind);
      let list = document.getElementById(id);
      if (!list) {
        list = document.createElement("datalist");
        list.id = id;
        const iris = accepted ? accepted.iris : terms
          .filter((t) => t.kind === "resource" && t.name.startsWith(kind + ":")).map((t) => t.iri);
        for (const iri of iris) {
          list.appendChild(new Option(names.get(iri) || R.prefixed(iri) || iri, iri));
        }
        form.appendChild(list);
      }
      if (accepted && accepted.more) {
        input.title = "Suggests the first " + accepted.iris.length + " of the resources it takes;" +
          " it takes the others too";
      }
      input.setAttribute("list", id);
    }
  }
}

function choose(name) {
  chosen = name;
  linkExtras = null;
  for (const input of inputs(name)) {
    input.value = input.defaultValue;
    describe(input);
  }
  picker.value = name;
  setQuery(examples.get(name).text);
  clearResult();
  downloads.hidden = true;
  citeSection.hidden = true;
  errorBox.hidden = true;
  statusLine.className = "";
  statusLine.textContent = "";
  showMode();
}

// `&view=...` when a view other than the result's default is asked for (and, once there is
// a result, offered by it).
function viewParameter() {
  const offered = !result || result.views.includes(requestedView);
  return requestedView && offered && requestedView !== (result && result.views[0])
    ? "&view=" + requestedView : "";
}

// A link to this page with the query: a named one by name and parameters, else by its text,
// and the view shown.
function shareUrl(query, name) {
  const url = new URL(window.location.href);
  url.search = (name ? "?example=" + encodeURIComponent(name) + args(name).replace("?", "&")
    : "?query=" + encodeURIComponent(query)) + viewParameter();
  url.hash = "";
  return url.toString();
}

// `base` is a URL with its query string, to which `format=` is added.
function showDownloads(kind, base) {
  for (const group of downloads.querySelectorAll("[data-kind]")) {
    group.hidden = group.dataset.kind !== kind;
  }
  for (const a of downloads.querySelectorAll("a[data-format]")) {
    a.href = base + (base.includes("?") ? "&" : "?") + "format=" + a.dataset.format;
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

// The citations of the rows of the named query `name` run with `parameters` (shown unless the
// editor holds another query by the time they come).
async function cite(name, parameters) {
  citeSection.hidden = true;
  try {
    const response = await fetch(examples.get(name).cite + parameters);
    if (response.ok && named() === name) R.citations(citeSection, await response.json());
  } catch (error) { /* citations are optional */ }
}

async function run() {
  const query = getQuery();
  const name = named();
  const parameters = name ? args(name) : "";
  statusLine.className = "";
  statusLine.textContent = "Running…";
  errorBox.hidden = true;
  if (editor) editor.clearError();
  clearResult();
  downloads.hidden = true;
  citeSection.hidden = true;
  window.history.replaceState(null, "", shareUrl(query, name));
  const started = performance.now();
  let response;
  try {
    response = name
      ? await fetch(examples.get(name).api + parameters,
        { headers: { "Accept": "application/sparql-results+json" } })
      : await fetch(endpoint, {
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
  const data = type.includes("sparql-results+json") ? JSON.parse(text) : null;
  const truncated = response.headers.get("X-EOCIC-Truncated") === "true" || !!(data && data.truncated);
  const base = name ? examples.get(name).api + parameters
    : endpoint + "?query=" + encodeURIComponent(query);
  if (data && "boolean" in data) {
    const p = document.createElement("p");
    p.className = "answer";
    p.textContent = "Answer: " + (data.boolean ? "yes" : "no");
    results.replaceChildren(p);
    statusLine.textContent = "in " + ms + " ms";
    showResult({ kind: "boolean" });
    showDownloads("table", base);
  } else if (data) {
    const rows = data.results.bindings.length;
    statusLine.textContent = rows + (rows === 1 ? " row" : " rows") + " in " + ms + " ms" +
      (truncated ? " (truncated to the server's limit)" : "");
    showResult({ kind: "bindings", data, labels: name ? columnLabels(name) : {} });
    const notes = rows === 0 ? unknownTerms(query) : [];
    if (notes.length) {
      errorBox.textContent = notes.join("\n");
      errorBox.hidden = false;
    }
    showDownloads("table", base);
  } else {
    const triples = (text.match(/ \.\s*$/gm) || []).length;
    statusLine.textContent = "Turtle in " + ms + " ms" + (triples ? "" : " (no triples)") +
      (truncated ? " (truncated to the server's limit)" : "");
    showResult({ kind: "triples", text, url: base, triples: null });
    showDownloads("graph", base);
  }
  if (truncated) {
    showTruncation(data ? data.results.bindings.length + " rows"
      : (response.headers.get("X-EOCIC-Max-Rows") || "") + " triples");
  }
  window.history.replaceState(null, "", shareUrl(query, name));
  if (name) cite(name, parameters);
}

function clearResult() {
  if (shown) shown.destroy();
  shown = null;
  result = null;
  results.replaceChildren();
  delete results.dataset.view;
  delete results.dataset.shown;
  viewSwitch.hidden = true;
  truncationNotice.hidden = true;
}

// Say on the page that the result was cut at a row limit, after `shown` ("500 rows").
function showTruncation(shown) {
  truncationNotice.textContent = "Only the first " + shown + " are shown: the server cuts " +
    "every result at its row limit (--max-rows, or the SPARQL engine's own). Narrow the query " +
    "(FILTER, LIMIT and OFFSET) to see the others.";
  truncationNotice.hidden = false;
}

// Show `next` (a result) in the view asked for if it offers it, else in its default view,
// with buttons for the views it offers.
function showResult(next) {
  result = { ...next, views: V.available(next) };
  viewSwitch.replaceChildren(...result.views.map((view) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.view = view;
    button.textContent = VIEW_NAMES[view];
    button.addEventListener("click", () => {
      requestedView = view;
      showView(view);
      window.history.replaceState(null, "", shareUrl(getQuery(), named()));
    });
    return button;
  }));
  viewSwitch.hidden = result.views.length < 2;
  if (result.views.length) {
    showView(result.views.includes(requestedView) ? requestedView : result.views[0]);
  }
}

async function showView(view) {
  const current = result;
  if (shown) shown.destroy();
  shown = null;
  results.dataset.view = view;
  delete results.dataset.shown; // set once the view is drawn
  for (const button of viewSwitch.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
  }
  const labels = current.labels || {};
  const options = {
    labels: termLabels,
    columnName: (variable) => labels[variable] || variable,
    chartLibrary: document.body.dataset.chartLibrary,
    graphLibrary: document.body.dataset.graphLibrary,
  };
  try {
    if (view === "table") {
      R.table(results, current.data, labels);
    } else if (view === "turtle") {
      const pre = document.createElement("pre");
      pre.className = "turtle";
      pre.textContent = R.compactTurtle(current.text);
      results.replaceChildren(pre);
    } else if (view === "chart") {
      results.replaceChildren();
      const chart = await V.chart(results, current.data, options);
      if (result === current && results.dataset.view === view) shown = chart;
      else chart.destroy();
    } else if (view === "graph") {
      results.replaceChildren();
      if (current.kind === "triples" && current.triples === null) {
        const response = await fetch(current.url + (current.url.includes("?") ? "&" : "?") +
          "format=ntriples");
        if (!response.ok) throw new Error(await response.text());
        current.triples = V.parseNTriples(await response.text());
      }
      if (result !== current || results.dataset.view !== view) return;
      const graph = await V.graph(results, current, options);
      if (result === current && results.dataset.view === view) shown = graph;
      else graph.destroy();
    }
  } catch (error) {
    errorBox.textContent = "The " + VIEW_NAMES[view].toLowerCase() + " view failed: " + error.message;
    errorBox.hidden = false;
    return;
  }
  if (result === current && results.dataset.view === view) results.dataset.shown = view;
}

picker.addEventListener("change", () => {
  if (examples.has(picker.value)) choose(picker.value);
});
restoreButton.addEventListener("click", () => choose(chosen));
textarea.addEventListener("input", showMode);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});

// Copy `text` and show it in `field` (selected, for copying by hand where the clipboard is
// refused); `button` says which happened for a moment.
async function copy(text, field, button) {
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  field.value = text;
  field.hidden = false;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (error) {
    field.select();
    button.textContent = "Copy the selected text";
  }
  setTimeout(() => { button.textContent = label; }, 2500);
}

copyButton.addEventListener("click", () => {
  copy(shareUrl(getQuery(), named()), document.getElementById("link"), copyButton);
});

// The query with PREFIX lines for the predeclared prefixes it uses (a named query's parameters
// bound as the API binds them), written by the server, which knows the grammar.
standaloneButton.addEventListener("click", async () => {
  const name = named();
  errorBox.hidden = true;
  let response;
  try {
    response = name ? await fetch(examples.get(name).standalone + args(name))
      : await fetch(standaloneButton.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: getQuery() }),
      });
  } catch (error) {
    statusLine.className = "error";
    statusLine.textContent = "Request failed: " + error;
    return;
  }
  const text = await response.text();
  if (!response.ok) {
    showError(text);
    return;
  }
  copy(text, standaloneField, standaloneButton);
});

// Put `text` at the cursor of the editor (in place of its selection), the cursor after it.
function insertAtCursor(text) {
  if (editor) {
    editor.insert(text);
    return;
  }
  textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, "end");
  textarea.focus();
  showMode();
}
window.EOCICQueryPage = { insert: insertAtCursor };

async function start() {
  let vocabulary = { prefixes: {}, terms: [] };
  try {
    const response = await fetch(document.body.dataset.vocabulary);
    if (response.ok) vocabulary = await response.json();
  } catch (error) { /* completion of prefixes and terms is then unavailable */ }
  R.setPrefixes(vocabulary.prefixes);
  knownTerms = new Set((vocabulary.terms || []).filter((t) => t.kind !== "resource")
    .map((t) => t.name).filter((n) => n.startsWith("eocic:")));
  const params = new URLSearchParams(window.location.search);
  const shared = params.get("query");
  const linked = params.get("example");
  requestedView = params.get("view");
  if (shared !== null) {
    textarea.value = shared;
  } else if (examples.has(linked)) {
    textarea.value = examples.get(linked).text;
    chosen = linked;
    const fields = new Map(inputs(linked).map((input) => [input.name, input]));
    const extras = new URLSearchParams();
    for (const [key, value] of params) {
      if (["example", "view", "format"].includes(key)) continue; // the page's own choices
      const input = fields.get(key);
      if (input) {
        input.value = value;
        fields.delete(key); // a second value of it is an extra
      } else {
        extras.append(key, value);
      }
    }
    if (extras.toString()) linkExtras = { name: linked, params: extras };
  } else if (examples.size) {
    chosen = examples.keys().next().value; // the page opens with the first example
  }
  if (shared === null && linked !== null && !examples.has(linked)) {
    statusLine.className = "error";
    statusLine.textContent = "The link names no named query \"" + linked +
      "\"; the page shows the first example instead: pick one from the list.";
  }
  if (chosen) picker.value = chosen;
  suggest(vocabulary.terms || [], vocabulary.instances || {});
  if (window.EOCICEditor) {
    const holder = document.getElementById("editor");
    editor = window.EOCICEditor.create(holder, {
      doc: textarea.value, vocabulary, onRun: run,
      onChange: () => {
        showMode();
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
  showMode();
  document.body.dataset.ready = "yes";
  if (shared !== null || (linked !== null && chosen === linked)) run();
}

start();
