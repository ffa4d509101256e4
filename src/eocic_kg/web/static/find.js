// Query page: find a resource by the report's words (the search of /search, as JSON) and
// insert its name (prefixed, else the IRI in <>) into the query at the editor's cursor.
// All values are inserted with textContent, never as HTML.
"use strict";

(() => {
  const R = window.EOCICResults;
  const form = document.getElementById("find");
  const words = document.getElementById("find-words");
  const status = document.getElementById("find-status");
  const list = document.getElementById("hits");

  // The snippet of a hit with its matches marked (`highlights`: [start, end) offsets).
  function snippet(hit) {
    const node = document.createElement("span");
    node.className = "snippet";
    let at = 0;
    for (const [start, end] of hit.highlights || []) {
      const mark = document.createElement("mark");
      mark.textContent = hit.snippet.slice(start, end);
      node.append(hit.snippet.slice(at, start), mark);
      at = end;
    }
    node.append(hit.snippet.slice(at));
    return node;
  }

  function item(hit) {
    const name = R.prefixed(hit.resource) || "<" + hit.resource + ">";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "insert";
    button.dataset.name = name;
    button.textContent = "Insert " + name;
    button.title = "Insert " + hit.resource + " into the query at the cursor";
    button.addEventListener("click", () => window.EOCICQueryPage.insert(name));
    const label = document.createElement(hit.page ? "a" : "span");
    if (hit.page) label.href = hit.page;
    label.className = "hit-label";
    label.textContent = hit.label;
    const li = document.createElement("li");
    li.dataset.iri = hit.resource;
    li.append(label, " ", button, document.createElement("br"), snippet(hit));
    return li;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    list.replaceChildren();
    status.className = "";
    status.textContent = "Searching…";
    const url = form.action + "?" + new URLSearchParams({ q: words.value, format: "json", limit: "10" });
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const text = await response.text();
      if (!response.ok) {
        status.className = "error";
        status.textContent = text.replace(/^400 Bad Request: /, "");
        return;
      }
      const hits = JSON.parse(text).hits;
      list.replaceChildren(...hits.map(item));
      status.textContent = hits.length ? hits.length + (hits.length === 1 ? " hit" : " hits") +
        ", best first" : "No resource has these words.";
    } catch (error) {
      status.className = "error";
      status.textContent = "Request failed: " + error;
    }
  });
})();
