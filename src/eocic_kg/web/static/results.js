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

  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short",
    "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"].map((t) => XSD + t));

  // A number's value, or null (a term that is not a numeric literal).
  function numeric(term) {
    if (!term || term.type !== "literal" || !NUMERIC.has(term.datatype)) return null;
    const value = Number(term.value);
    return Number.isNaN(value) ? null : value;
  }

  // What a literal says besides its text: "@en", a datatype's prefixed name, or "" (a string).
  function noteOf(term) {
    if (!term || (term.type !== "literal" && term.type !== "typed-literal")) return "";
    if (term["xml:lang"]) return "@" + term["xml:lang"];
    if (!term.datatype || term.datatype === XSD + "string") return "";
    return prefixed(term.datatype) || term.datatype;
  }

  // Append `text` to `node`, with a line-break opportunity (<wbr>) after each ":" of a
  // prefixed name or "/" and "#" of an IRI, so that names break between their parts, never
  // inside a word (hyphens break by themselves).
  function appendBreakable(node, text, after) {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (after.includes(text[i]) && i + 1 < text.length) {
        node.append(text.slice(start, i + 1), document.createElement("wbr"));
        start = i + 1;
      }
    }
    node.append(text.slice(start));
  }

  // The DOM node of an RDF term (SPARQL JSON). A literal's language or datatype is kept in its
  // data-lang / data-datatype and title, and shown after it unless `quiet` (its column says it).
  function termNode(term, quiet = false) {
    if (!term) return document.createTextNode("");
    if (term.type === "uri") {
      const name = prefixed(term.value);
      const href = localHref(term.value) || (/^https?:\/\//i.test(term.value) ? term.value : null);
      const node = document.createElement(href ? "a" : "span");
      if (href) node.href = href;
      node.title = term.value;
      if (name) appendBreakable(node, name, ":");
      else appendBreakable(node, term.value, "/#?&=");
      return node;
    }
    if (term.type === "bnode") return document.createTextNode("_:" + term.value);
    const span = document.createElement("span");
    span.textContent = term.value;
    if (term["xml:lang"]) span.dataset.lang = term["xml:lang"];
    else if (term.datatype) span.dataset.datatype = term.datatype;
    const note = noteOf(term);
    if (note) span.title = note;
    if (note && !quiet) {
      const small = document.createElement("small");
      small.className = "note";
      small.textContent = " " + note;
      span.appendChild(small);
    }
    return span;
  }

  // The note every bound literal of column `name` shares (shown once, in its heading), or
  // null: no literals, or literals that differ (each cell then shows its own).
  function columnNote(rows, name) {
    let shared = null;
    for (const row of rows) {
      const term = row[name];
      if (!term || term.type === "uri" || term.type === "bnode") continue;
      const note = noteOf(term);
      if (shared !== null && note !== shared) return null;
      shared = note;
    }
    return shared;
  }

  function sortKey(term) {
    if (!term) return [2, ""];
    const number = numeric(term);
    if (number !== null) return [0, number];
    return [1, term.type === "uri" ? (prefixed(term.value) || term.value) : term.value];
  }

  function compare(a, b) {
    const [ka, va] = sortKey(a);
    const [kb, vb] = sortKey(b);
    if (ka !== kb) return ka - kb;
    if (ka === 0) return va - vb;
    return String(va).localeCompare(String(vb), undefined, { numeric: true });
  }

  // The text a row is filtered by: what its cells show, and its IRIs in full.
  function rowText(row) {
    return Object.values(row).map((t) => t.type === "uri"
      ? (prefixed(t.value) || "") + " " + t.value : t.value).join("\n").toLowerCase();
  }

  function element(tag, properties = {}, ...children) {
    const node = Object.assign(document.createElement(tag), properties);
    node.append(...children);
    return node;
  }

  const PAGE_SIZES = [25, 50, 100, 500];
  const FILTER_FROM = 10; // rows from which the table has a filter box

  // Render SPARQL JSON `data` (SELECT) into `container`; return the number of rows. `labels`
  // names columns in words (a parameter's name for its variable `_region_iri`). The table
  // sorts by a click on a heading; long results have a filter box and pages.
  function table(container, data, labels = {}) {
    const vars = data.head.vars;
    const all = data.results.bindings.slice();
    const texts = new Map(all.map((row) => [row, rowText(row)]));
    const notes = Object.fromEntries(vars.map((name) => [name, columnNote(all, name)]));
    let rows = all; // filtered and sorted
    let page = 0;
    let size = PAGE_SIZES[1];
    const tableEl = element("table", { className: "results" });
    const head = tableEl.createTHead().insertRow();
    const tbody = tableEl.createTBody();
    const filter = element("input", { type: "search", className: "row-filter",
      placeholder: "Filter rows", ariaLabel: "Filter the rows (any cell containing the words)" });
    const shown = element("span", { className: "row-count", role: "status" });
    const previous = element("button", { type: "button", className: "previous" }, "Previous");
    const next = element("button", { type: "button", className: "next" }, "Next");
    const position = element("span", { className: "page" });
    const sizes = element("select", { className: "page-size", ariaLabel: "Rows per page" },
      ...PAGE_SIZES.map((n) => new Option(n + " per page", String(n), false, n === size)));
    const pager = element("nav", { className: "pager", ariaLabel: "Pages of the result" },
      previous, position, next, sizes);
    const fill = () => {
      const pages = Math.max(1, Math.ceil(rows.length / size));
      page = Math.min(page, pages - 1);
      const first = page * size;
      tbody.replaceChildren();
      for (const row of rows.slice(first, first + size)) {
        const tr = tbody.insertRow();
        for (const name of vars) {
          const td = tr.insertCell();
          td.dataset.label = (labels[name] || name) + (notes[name] ? " (" + notes[name] + ")" : "");
          if (numeric(row[name]) !== null) td.className = "number";
          td.appendChild(termNode(row[name], notes[name] !== null));
        }
      }
      pager.hidden = all.length <= PAGE_SIZES[0];
      previous.disabled = page === 0;
      next.disabled = page >= pages - 1;
      position.textContent = rows.length ? "Rows " + (first + 1) + "–" +
        Math.min(first + size, rows.length) + " of " + rows.length : "No rows";
      shown.textContent = rows.length === all.length ? ""
        : rows.length + " of " + all.length + " rows match";
    };
    vars.forEach((name) => {
      const th = document.createElement("th");
      th.dataset.variable = name;
      const button = element("button", { type: "button", textContent: labels[name] || name,
        title: "Sort by " + (labels[name] ? labels[name] + " (?" + name + ")" : name) });
      button.addEventListener("click", () => {
        const descending = th.getAttribute("aria-sort") === "ascending";
        for (const other of head.children) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        all.sort((a, b) => compare(a[name], b[name]) * (descending ? -1 : 1));
        applyFilter();
      });
      th.appendChild(button);
      if (notes[name]) {
        th.append(" ", element("small", { className: "column-note", title: "every value is " +
          notes[name] }, notes[name]));
      }
      head.appendChild(th);
    });
    const applyFilter = () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      rows = words.length ? all.filter((row) => words.every((w) => texts.get(row).includes(w)))
        : all;
      fill();
    };
    filter.addEventListener("input", () => { page = 0; applyFilter(); });
    previous.addEventListener("click", () => { page -= 1; fill(); });
    next.addEventListener("click", () => { page += 1; fill(); });
    sizes.addEventListener("change", () => { size = Number(sizes.value); page = 0; fill(); });
    fill();
    const tools = element("div", { className: "table-tools" }, filter, shown);
    tools.hidden = all.length < FILTER_FROM;
    const wrapper = element("div", { className: "table-wrapper" }, tableEl);
    container.replaceChildren(tools, wrapper, pager);
    return all.length;
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

  return { setPrefixes, prefixed, localHref, termNode, numeric, noteOf, table, citations,
    compactTurtle };
})();
