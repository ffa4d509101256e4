// Query page: runs the editor's query against the endpoint and shows the result.
// All values are inserted with textContent, never as HTML.
"use strict";

const form = document.getElementById("query-form");
const editor = document.getElementById("query");
const picker = document.getElementById("example");
const statusLine = document.getElementById("status");
const results = document.getElementById("results");
const downloads = document.getElementById("downloads");
const examples = Array.from(document.querySelectorAll("template.example-text"));
const endpoint = form.action;

picker.addEventListener("change", () => {
  editor.value = examples[Number(picker.value)].content.textContent;
});

function cell(term) {
  const td = document.createElement("td");
  if (!term) return td;
  if (term.type === "uri" && /^https?:\/\//i.test(term.value)) {
    const a = document.createElement("a");
    a.href = term.value;
    a.textContent = term.value;
    td.appendChild(a);
  } else if (term.type === "bnode") {
    td.textContent = "_:" + term.value;
  } else {
    td.textContent = term.value;
    const note = term["xml:lang"] ? "@" + term["xml:lang"] : "";
    if (note) td.title = note;
  }
  return td;
}

function showTable(data) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of data.head.vars) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of data.results.bindings) {
    const tr = body.insertRow();
    for (const name of data.head.vars) tr.appendChild(cell(row[name]));
  }
  results.replaceChildren(table);
  statusLine.textContent = data.results.bindings.length + " rows";
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

async function run() {
  const query = editor.value;
  statusLine.className = "";
  statusLine.textContent = "Running…";
  results.replaceChildren();
  downloads.hidden = true;
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
  if (!response.ok) {
    statusLine.className = "error";
    statusLine.textContent = await response.text();
    return;
  }
  if (type.includes("sparql-results+json")) {
    const data = await response.json();
    if ("boolean" in data) {
      const p = document.createElement("p");
      p.textContent = "Answer: " + data.boolean;
      results.replaceChildren(p);
      statusLine.textContent = "";
    } else {
      showTable(data);
    }
    showDownloads("table", query);
  } else {
    const pre = document.createElement("pre");
    pre.textContent = await response.text();
    results.replaceChildren(pre);
    statusLine.textContent = "";
    showDownloads("graph", query);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});

const shared = new URLSearchParams(window.location.search).get("query");
if (shared !== null) {
  editor.value = shared;
  run();
}
