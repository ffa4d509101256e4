// API page: runs a named query in the page (the form's parameters, or its defaults), shows the
// result as a table with its row count and time, and the citations of the report parts behind
// it. Other formats than JSON are downloads, as without JavaScript.
"use strict";

const R = window.EOCICResults;

async function runNamed(form) {
  const section = form.closest("section");
  const out = section.querySelector(".result");
  const status = section.querySelector(".run-status");
  const cite = section.querySelector(".cite");
  const params = new URLSearchParams(new FormData(form));
  params.delete("format");
  const query = params.toString() ? "?" + params.toString() : "";
  status.className = "run-status";
  status.textContent = "Running…";
  out.replaceChildren();
  cite.hidden = true;
  const started = performance.now();
  let response;
  try {
    response = await fetch(form.action + query, { headers: { Accept: "application/sparql-results+json" } });
  } catch (error) {
    status.className = "run-status error";
    status.textContent = "Request failed: " + error;
    return;
  }
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  if (!response.ok) {
    status.className = "run-status error";
    status.textContent = text;
    return;
  }
  const data = JSON.parse(text);
  if ("boolean" in data) {
    status.textContent = "Answer: " + (data.boolean ? "yes" : "no") + " (" + ms + " ms)";
  } else {
    const rows = R.table(out, data);
    status.textContent = rows + (rows === 1 ? " row" : " rows") + " in " + ms + " ms";
  }
  try {
    const cited = await fetch(form.action + "/cite" + query);
    if (cited.ok) R.citations(cite, await cited.json());
  } catch (error) { /* citations are optional */ }
}

async function start() {
  try {
    const response = await fetch(document.querySelector("[data-vocabulary]").dataset.vocabulary);
    if (response.ok) R.setPrefixes((await response.json()).prefixes);
  } catch (error) { /* IRIs are then shown in full */ }
  for (const form of document.querySelectorAll("form.query")) {
    form.addEventListener("submit", (event) => {
      if (form.elements.format && form.elements.format.value !== "json") return; // a download
      event.preventDefault();
      runNamed(form);
    });
  }
  for (const link of document.querySelectorAll("a.run-defaults")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const form = link.closest("section").querySelector("form.query");
      form.reset();
      if (form.elements.format) form.elements.format.value = "json";
      runNamed(form);
    });
  }
  document.body.dataset.ready = "yes";
}

start();
