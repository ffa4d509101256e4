// Result tables shared by the query page and the API page: IRIs as prefixed names linking to
// this server's own pages, literals with their language or datatype, sortable columns.
// All values are inserted with textContent, never as HTML.
"use strict";

window.EOCICResults = (() => {
  const body = (document.querySelector("[data-base-iri]") || document.body).dataset;
  const baseIri = body.baseIri || "https://w3id.org/eocic/";
  const idPath = body.idPath || "/id/";
  const ontologyPath = body.ontologyPath || "/ontology";
  let prefixes = [];

  function setPrefixes(table) {
    prefixes = Object.entries(table || {}).sort((a, b) => b[1].length - a[1].length);
  }

  function prefixed(iri) {
    for (const [name, ns] of prefixes) {
      if (iri.startsWith(ns)) {
        const local = iri.slice(ns.length);
        if (/^([A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?$/.test(local)) return name + ":" + local;
      }
    }
    return null;
  }

  function localHref(iri) {
    if (iri.startsWith(baseIri + "id/") && iri.length > baseIri.length + 3) {
      return idPath + iri.slice(baseIri.length + 3);
    }
    if (iri === baseIri + "ontology") return ontologyPath;
    if (iri.startsWith(baseIri + "ontology#")) return ontologyPath + iri.slice(baseIri.length + 8);
    return null;
  }

  function termNode(term) {
    if (!term) return document.createTextNode("");
    if (term.type === "uri") {
      const name = prefixed(term.value);
      const href = localHref(term.value) || (/^https?:\/\//i.test(term.value) ? term.value : null);
      const node = document.createElement(href ? "a" : "span");
      if (href) node.href = href;
      node.title = term.value;
      node.textContent = name || term.value;
      return node;
    }
    if (term.type === "bnode") return document.createTextNode("_:" + term.value);
    const span = document.createElement("span");
    span.textContent = term.value;
    const note = term["xml:lang"] ? "@" + term["xml:lang"]
      : term.datatype ? (prefixed(term.datatype) || term.datatype) : "";
    if (note) {
      const small = document.createElement("small");
      small.className = "note";
      small.textContent = " " + note;
      span.appendChild(small);
    }
    return span;
  }

  function sortKey(term) {
    if (!term) return [2, ""];
    const numeric = term.datatype && /#(integer|decimal|double|float|int|long|nonNegativeInteger)$/.test(term.datatype);
    if (numeric && !Number.isNaN(Number(term.value))) return [0, Number(term.value)];
    return [1, term.type === "uri" ? (prefixed(term.value) || term.value) : term.value];
  }

  function compare(a, b) {
    const [ka, va] = sortKey(a);
    const [kb, vb] = sortKey(b);
    if (ka !== kb) return ka - kb;
    if (ka === 0) return va - vb;
    return String(va).localeCompare(String(vb), undefined, { numeric: true });
  }

  // Render SPARQL JSON `data` (SELECT) into `container`; return the number of rows. `labels`
  // names columns in words (a parameter's name for its variable `_region_iri`).
  function table(container, data, labels = {}) {
    const vars = data.head.vars;
    let rows = data.results.bindings.slice();
    const tableEl = document.createElement("table");
    tableEl.className = "results";
    const head = tableEl.createTHead().insertRow();
    const tbody = tableEl.createTBody();
    const fill = () => {
      tbody.replaceChildren();
      for (const row of rows) {
        const tr = tbody.insertRow();
        for (const name of vars) {
          const td = tr.insertCell();
          td.dataset.label = labels[name] || name;
          td.appendChild(termNode(row[name]));
        }
      }
    };
    vars.forEach((name) => {
      const th = document.createElement("th");
      th.dataset.variable = name;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = labels[name] || name;
      button.title = "Sort by " + (labels[name] ? labels[name] + " (?" + name + ")" : name);
      button.addEventListener("click", () => {
        const descending = th.getAttribute("aria-sort") === "ascending";
        for (const other of head.children) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        rows.sort((a, b) => compare(a[name], b[name]) * (descending ? -1 : 1));
        fill();
      });
      th.appendChild(button);
      head.appendChild(th);
    });
    fill();
    const wrapper = document.createElement("div");
    wrapper.className = "table-wrapper";
    wrapper.appendChild(tableEl);
    container.replaceChildren(wrapper);
    return rows.length;
  }

  // Show citations ([{bibtex, csl, part, quote}]) in `section` (an element with a <div>).
  function citations(section, items) {
    const list = section.querySelector(".citations");
    list.replaceChildren();
    for (const item of items) {
      const block = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = (item.csl.section || item.csl.title || item.part) +
        (item.quote ? " (with the quote)" : "");
      const bib = document.createElement("pre");
      bib.className = "bibtex";
      bib.textContent = item.bibtex;
      const csl = document.createElement("pre");
      csl.className = "csl-json";
      csl.textContent = JSON.stringify([item.csl], null, 2);
      const h1 = document.createElement("h4");
      h1.textContent = "BibTeX";
      const h2 = document.createElement("h4");
      h2.textContent = "CSL-JSON";
      block.append(summary, h1, bib, h2, csl);
      list.appendChild(block);
    }
    section.hidden = items.length === 0;
  }

  // Turtle (as the engine writes it, IRIs in full) made readable: IRIs with a predeclared
  // prefix written as prefixed names, with the @prefix lines for the prefixes used.
  function compactTurtle(text) {
    const used = new Map();
    const body = text.replace(/"(?:[^"\\\n]|\\.)*"|<([^<>"\s]*)>/g, (token, iri) => {
      if (iri === undefined) return token;
      const name = prefixed(iri);
      if (!name) return token;
      const prefix = name.slice(0, name.indexOf(":"));
      used.set(prefix, iri.slice(0, iri.length - (name.length - prefix.length - 1)));
      return name;
    });
    const lines = Array.from(used).sort().map(([p, ns]) => "@prefix " + p + ": <" + ns + "> .");
    return (lines.length ? lines.join("\n") + "\n\n" : "") + body;
  }

  return { setPrefixes, prefixed, localHref, termNode, table, citations, compactTurtle };
})();
