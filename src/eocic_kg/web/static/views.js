// Query page: the views of a result besides the table. A bar chart (Chart.js, in
// vendor/chartjs) of a SELECT's numeric columns; a graph (Cytoscape.js, in vendor/cytoscape) of
// a CONSTRUCT/DESCRIBE result's triples or of a SELECT's two IRI columns, with its edges listed
// as text. Both libraries are this server's own files, loaded when their view is first shown.
// All values are inserted with textContent, never as HTML.
"use strict";

window.EOCICViews = (() => {
  const R = window.EOCICResults;
  const libraries = new Map(); // script URL -> promise of its loading
  const CHART_ROWS = 200; // bars at most
  const GRAPH_EDGES = 500; // edges at most

  function load(src) {
    if (!libraries.has(src)) {
      libraries.set(src, new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error("could not load " + src));
        document.head.appendChild(script);
      }));
    }
    return libraries.get(src);
  }

  function element(tag, properties = {}, ...children) {
    const node = Object.assign(document.createElement(tag), properties);
    node.append(...children);
    return node;
  }

  // How a term is named in a chart or a graph: its label if known, else its prefixed name.
  function nameOf(term, labels) {
    if (!term) return "";
    if (term.type === "uri") return labels.get(term.value) || R.prefixed(term.value) || term.value;
    if (term.type === "bnode") return "_:" + term.value;
    return term.value;
  }

  // The columns of a SELECT result whose bound values are all numbers (at least one bound).
  function numericColumns(data) {
    const rows = data.results.bindings;
    return data.head.vars.filter((v) => rows.some((r) => r[v]) &&
      rows.every((r) => !r[v] || R.numeric(r[v]) !== null));
  }

  // The columns of a SELECT result whose bound values are all IRIs (at least one bound).
  function iriColumns(data) {
    const rows = data.results.bindings;
    return data.head.vars.filter((v) => rows.some((r) => r[v]) &&
      rows.every((r) => !r[v] || r[v].type === "uri"));
  }

  // The views a result offers, the first being the default: ["table", "chart"?, "graph"?] for
  // a SELECT, ["turtle", "graph"] for triples, [] for an ASK.
  function available(result) {
    if (result.kind === "triples") return ["turtle", "graph"];
    if (result.kind !== "bindings") return [];
    const views = ["table"];
    if (result.data.results.bindings.length && numericColumns(result.data).length) {
      views.push("chart");
    }
    if (result.data.results.bindings.length && iriColumns(result.data).length >= 2) {
      views.push("graph");
    }
    return views;
  }

  // A horizontal bar chart of the numeric columns of `data`, one bar per row (the first
  // CHART_ROWS), named by the row's other columns.
  async function chart(container, data, options) {
    await load(options.chartLibrary);
    const values = numericColumns(data);
    const categories = data.head.vars.filter((v) => !values.includes(v));
    const rows = data.results.bindings.slice(0, CHART_ROWS);
    const labels = rows.map((row, i) => categories.length
      ? categories.map((v) => nameOf(row[v], options.labels)).join(" · ") : String(i + 1));
    const box = element("div", { className: "chart-box" });
    box.style.height = Math.max(12, rows.length * 1.6 * values.length + 4) + "rem";
    const canvas = element("canvas", { role: "img", ariaLabel: "Bar chart of " +
      values.map((v) => options.columnName(v)).join(", ") + (categories.length ? " by " +
      categories.map((v) => options.columnName(v)).join(" and ") : "") });
    box.appendChild(canvas);
    const note = element("p", { className: "view-note" }, data.results.bindings.length > CHART_ROWS
      ? "The first " + CHART_ROWS + " of " + data.results.bindings.length + " rows, in the " +
        "result's order." : "One bar per row, in the result's order.");
    container.replaceChildren(note, box);
    const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];
    const chartObject = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels,
        datasets: values.map((v, i) => ({
          label: options.columnName(v),
          data: rows.map((row) => R.numeric(row[v])),
          backgroundColor: palette[i % palette.length],
        })),
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: values.length > 1 } },
      },
    });
    container.dataset.bars = String(rows.length * values.length);
    return chartObject;
  }

  // The edges of a graph view: [subject term, edge name, object term].
  function edgesOf(result, options) {
    if (result.kind === "triples") {
      return result.triples.filter((t) => t[2].type !== "literal")
        .map(([s, p, o]) => [s, R.prefixed(p.value) || p.value, o]);
    }
    const [from, to] = iriColumns(result.data);
    return result.data.results.bindings.filter((row) => row[from] && row[to])
      .map((row) => [row[from], options.columnName(to), row[to]]);
  }

  // A graph of the result's resources: the triples whose object is not a literal, or one edge
  // per row from the first IRI column to the second; the edges are also listed as text.
  async function graph(container, result, options) {
    const all = edgesOf(result, options);
    const edges = all.slice(0, GRAPH_EDGES);
    const nodes = new Map();
    for (const [s, , o] of edges) {
      for (const term of [s, o]) {
        const id = term.type + ":" + term.value;
        if (!nodes.has(id)) nodes.set(id, { id, label: nameOf(term, options.labels) });
      }
    }
    const box = element("div", { className: "graph-box", role: "img",
      ariaLabel: "Graph of " + nodes.size + " resources and " + edges.length + " links" });
    const list = element("ol", { className: "edge-list" }, ...edges.map(([s, p, o]) =>
      element("li", {}, nameOf(s, options.labels) + " — " + p + " → " +
        nameOf(o, options.labels))));
    const text = element("details", { className: "edges" },
      element("summary", {}, "The " + edges.length + " links as text"), list);
    const note = element("p", { className: "view-note" }, all.length > GRAPH_EDGES
      ? "The first " + GRAPH_EDGES + " of " + all.length + " links." : edges.length
        ? nodes.size + " resources, " + edges.length + " links." : "No links between resources.");
    container.replaceChildren(note, box, text);
    container.dataset.nodes = String(nodes.size);
    container.dataset.edges = String(edges.length);
    await load(options.graphLibrary);
    const cy = window.cytoscape({
      container: box,
      elements: [
        ...Array.from(nodes.values(), (data) => ({ data })),
        ...edges.map(([s, p, o], i) => ({ data: { id: "e" + i, source: s.type + ":" + s.value,
          target: o.type + ":" + o.value, label: p } })),
      ],
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 10,
          "background-color": "#0072B2", "width": 14, "height": 14, "text-wrap": "ellipsis",
          "text-max-width": 140, "color": "#222" } },
        { selector: "edge", style: { "width": 1, "line-color": "#999", "target-arrow-color": "#999",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(label)",
          "font-size": 8, "color": "#555", "text-rotation": "autorotate" } },
      ],
      wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4,
    });
    // the same picture on every load: the nodes on a circle, then spread by their links
    cy.layout({ name: "circle", animate: false }).run();
    cy.layout({ name: "cose", animate: false, randomize: false, fit: true, padding: 20,
      nodeRepulsion: () => 40000, idealEdgeLength: () => 100 }).run();
    if (cy.zoom() > 1.5) {
      cy.zoom(1.5);
      cy.center();
    }
    return cy;
  }

  // N-Triples (as /sparql writes it) as [subject, predicate, object] terms in the SPARQL JSON
  // form ({type, value, "xml:lang" | datatype}).
  function parseNTriples(text) {
    const term = /<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?/y;
    const unescape = (s) => s.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g,
      (_, u, U, c) => u || U ? String.fromCodePoint(parseInt(u || U, 16))
        : ({ t: "\t", b: "\b", n: "\n", r: "\r", f: "\f" })[c] || c);
    const triples = [];
    for (const line of text.split("\n")) {
      const terms = [];
      let at = 0;
      while (terms.length < 3) {
        while (line[at] === " " || line[at] === "\t") at++;
        term.lastIndex = at;
        const m = term.exec(line);
        if (!m) break;
        at = term.lastIndex;
        if (m[1] !== undefined) terms.push({ type: "uri", value: unescape(m[1]) });
        else if (m[2] !== undefined) terms.push({ type: "bnode", value: m[2] });
        else {
          const literal = { type: "literal", value: unescape(m[3]) };
          if (m[4]) literal["xml:lang"] = m[4];
          else if (m[5]) literal.datatype = m[5];
          terms.push(literal);
        }
      }
      if (terms.length === 3) triples.push(terms);
    }
    return triples;
  }

  return { available, chart, graph, parseNTriples, numericColumns, iriColumns };
})();
