/* The graph page (/graph and the offline export) and the ontology page's class diagram.
   Reads the view as Cytoscape JSON (inline #graph-data or the URL in data-src), colours nodes by
   the legend that the server rendered (data-group / data-colour / data-shape), sizes them by
   their number of links and lays them out here with a Cytoscape.js layout. */
(function () {
  "use strict";
  var body = document.body;
  var errors = [];
  function recordError(message) {
    errors.push(message);
    body.setAttribute("data-errors", errors.join(" | "));
  }
  document.addEventListener("securitypolicyviolation", function (e) {
    recordError("CSP refused " + e.violatedDirective + " " + (e.blockedURI || "inline"));
  });
  window.addEventListener("error", function (e) { recordError(String(e.message)); });
  body.classList.add("js");

  function legendOf(root) {
    var groups = {};
    root.querySelectorAll(".legend-item").forEach(function (item) {
      groups[item.getAttribute("data-group")] = {
        colour: item.getAttribute("data-colour"), shape: item.getAttribute("data-shape"), item: item
      };
    });
    return groups;
  }
  function linksOf(root) {
    var links = {};
    root.querySelectorAll("a[data-iri]").forEach(function (a) {
      links[a.getAttribute("data-iri")] = a.getAttribute("href");
    });
    return links;
  }
  function groupOf(data) { return data.group || data["class"] || data.kind; }

  function styles(labelled) {
    return [
      { selector: "node", style: {
        "background-color": "data(colour)", "shape": "data(shape)",
        "width": "data(size)", "height": "data(size)",
        "border-width": 1, "border-color": "#333",
        "label": "data(label)", "font-size": 11, "min-zoomed-font-size": 10,
        "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis",
        "text-max-width": 160, "color": "#111",
        "text-outline-color": "#fff", "text-outline-width": 2 } },
      { selector: "node.important", style: { "font-size": 13, "min-zoomed-font-size": 0,
        "font-weight": "bold", "z-index": 5 } },
      { selector: "edge", style: { "width": 1.2, "line-color": "#9a9a9a",
        "curve-style": "bezier", "target-arrow-shape": "triangle",
        "target-arrow-color": "#9a9a9a", "arrow-scale": 0.7,
        "label": labelled ? "data(label)" : "", "font-size": 9, "min-zoomed-font-size": 14,
        "color": "#333", "text-rotation": "autorotate",
        "text-outline-color": "#fff", "text-outline-width": 2 } },
      { selector: "edge.subclass", style: { "line-style": "dashed",
        "target-arrow-shape": "triangle-backcurve", "target-arrow-fill": "hollow" } },
      { selector: ".faded", style: { "opacity": 0.12 } },
      { selector: "node.match", style: { "border-width": 4, "border-color": "#C00000",
        "min-zoomed-font-size": 0, "z-index": 10 } },
      { selector: "node.focus", style: { "border-width": 4, "border-color": "#000" } },
      { selector: "node:selected", style: { "border-width": 5, "border-color": "#000",
        "min-zoomed-font-size": 0 } }
    ];
  }

  function layoutFor(cy, focus, spread) {
    if (focus && cy.getElementById(focus).length) {
      /* The resource in the middle, its neighbours on a ring, theirs on the next one. */
      var distance = {};
      cy.elements().bfs({ roots: cy.getElementById(focus), directed: false,
        visit: function (v, e, u, i, depth) { distance[v.id()] = depth; } });
      return { name: "concentric", animate: false, fit: true, padding: 30,
        minNodeSpacing: 30, levelWidth: function () { return 1; },
        concentric: function (n) { return 10 - (distance[n.id()] || 0); } };
    }
    var big = cy.nodes().length > 300;
    return { name: "cose", animate: false, randomize: true,
      nodeRepulsion: function () { return spread ? 40000 : 9000; },
      idealEdgeLength: function () { return spread ? 140 : big ? 70 : 90; },
      numIter: big ? 1000 : 1500, fit: true, padding: 30 };
  }

  /* Labels of the important nodes stay about 12 px on screen at any zoom; the others appear
     once the zoom makes them 10 px or more. */
  function scaleLabels(cy) {
    var size = Math.min(40, Math.max(4, 12 / cy.zoom()));
    cy.nodes(".important").style("font-size", size);
  }

  function start(root, container, data, options) {
    var groups = legendOf(root), links = linksOf(root);
    var nodes = data.elements.nodes, edges = data.elements.edges;
    var degree = {};
    edges.forEach(function (e) {
      degree[e.data.source] = (degree[e.data.source] || 0) + 1;
      degree[e.data.target] = (degree[e.data.target] || 0) + 1;
    });
    var max = 1;
    nodes.forEach(function (n) { max = Math.max(max, degree[n.data.id] || 0); });
    var ranked = nodes.map(function (n) { return degree[n.data.id] || 0; })
      .sort(function (a, b) { return b - a; });
    var all = options.allLabels || nodes.length <= 60;
    var cut = all ? 0 : ranked[Math.min(24, ranked.length - 1)];
    var elements = [];
    nodes.forEach(function (n) {
      var g = groups[groupOf(n.data)] || { colour: "#7F7F7F", shape: "ellipse" };
      var d = degree[n.data.id] || 0;
      var data = Object.assign({}, n.data, { colour: g.colour, shape: g.shape, degree: d,
        size: Math.round(16 + 44 * Math.sqrt(d / max)) });
      var classes = (d >= cut && d > 0) || all ? "important" : "";
      if (options.focus === n.data.id) { classes += " focus important"; }
      elements.push({ group: "nodes", data: data, classes: classes });
    });
    edges.forEach(function (e) {
      elements.push({ group: "edges", data: e.data,
        classes: e.data.key === "rdfs:subClassOf" ? "subclass" : "" });
    });
    var cy = cytoscape({ container: container, elements: elements,
      style: styles(options.edgeLabels || nodes.length <= 80),
      wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4 });
    cy.layout(layoutFor(cy, options.focus, options.spread)).run();
    if (cy.zoom() > 1.1) { cy.zoom(1.1); cy.center(); }
    scaleLabels(cy);
    cy.on("zoom", function () { scaleLabels(cy); });
    return { cy: cy, groups: groups, links: links };
  }

  function showPanel(state, node) {
    var d = node.data(), panel = document.getElementById("panel");
    if (!panel) { return; }
    document.getElementById("panel-title").textContent = d.label;
    var swatch = document.getElementById("panel-swatch");
    var g = state.groups[groupOf(d)];
    swatch.textContent = "";
    if (g && g.item) { swatch.appendChild(g.item.querySelector("svg").cloneNode(true)); }
    document.getElementById("panel-class").textContent = d["class"] +
      (d.group && d.group !== d["class"] ? " (under " + d.group + ")" : "");
    var n = node.degree(false);
    document.getElementById("panel-degree").textContent = n + " link" + (n === 1 ? "" : "s") +
      " in this view";
    var link = document.getElementById("panel-link");
    link.href = state.links[d.id] || (/^https?:\/\//i.test(d.iri) ? d.iri : "#");
    link.textContent = "Open the page of " + d.label;
    var around = body.getAttribute("data-focus-href");
    if (around && document.getElementById("panel-hop1")) {
      document.getElementById("panel-hop1").href = around + encodeURIComponent(d.id) + "&hops=1";
      document.getElementById("panel-hop2").href = around + encodeURIComponent(d.id) + "&hops=2";
    }
    var list = document.getElementById("panel-attributes");
    list.textContent = "";
    var skip = { id: 1, name: 1, value: 1, label: 1, colour: 1, shape: 1, size: 1, degree: 1,
      "class": 1, group: 1 };
    Object.keys(d).sort().forEach(function (key) {
      if (skip[key] || d[key] === "" || d[key] === null) { return; }
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = key;
      dd.textContent = Array.isArray(d[key]) ? d[key].join(", ") : String(d[key]);
      list.appendChild(dt); list.appendChild(dd);
    });
    panel.hidden = false;
    body.setAttribute("data-selected", d.id);
  }

  function wireControls(state) {
    var cy = state.cy;
    var status = document.getElementById("status"), box = document.getElementById("search");
    var summary = cy.nodes().length + " nodes, " + cy.edges().length + " links";
    function search(text) {
      var q = text.trim().toLowerCase();
      cy.elements().removeClass("faded match");
      if (!q) {
        if (status) { status.textContent = summary; }
        body.setAttribute("data-matches", "");
        return cy.collection();
      }
      var hits = cy.nodes().filter(function (n) {
        return String(n.data("label")).toLowerCase().indexOf(q) >= 0;
      });
      cy.elements().addClass("faded");
      hits.removeClass("faded").addClass("match");
      hits.connectedEdges().removeClass("faded");
      if (status) { status.textContent = hits.length + " match" + (hits.length === 1 ? "" : "es"); }
      body.setAttribute("data-matches", String(hits.length));
      if (hits.length) { cy.fit(hits, 60); }
      return hits;
    }
    if (box) {
      box.addEventListener("input", function () { search(box.value); });
      box.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") { return; }
        var hits = search(box.value);
        if (hits.length) { cy.$(":selected").unselect(); hits[0].select(); showPanel(state, hits[0]); }
      });
    }
    var fit = document.getElementById("fit");
    if (fit) { fit.addEventListener("click", function () { cy.fit(undefined, 30); }); }
    cy.on("tap", "node", function (e) { showPanel(state, e.target); });
    var close = document.getElementById("panel-close");
    if (close) {
      close.addEventListener("click", function () {
        document.getElementById("panel").hidden = true;
        cy.$(":selected").unselect();
        body.removeAttribute("data-selected");
      });
    }
    Object.keys(state.groups).forEach(function (name) {
      var item = state.groups[name].item;
      item.addEventListener("click", function () {
        var on = item.getAttribute("aria-pressed") !== "true";
        document.querySelectorAll(".legend-item").forEach(function (other) {
          other.setAttribute("aria-pressed", "false");
        });
        cy.elements().removeClass("faded match");
        if (!on) { return; }
        item.setAttribute("aria-pressed", "true");
        var members = cy.nodes().filter(function (n) { return groupOf(n.data()) === name; });
        cy.elements().addClass("faded");
        members.removeClass("faded").addClass("match");
        members.connectedEdges().removeClass("faded");
      });
    });
    var view = document.getElementById("view");
    if (view && view.form) {
      view.addEventListener("change", function () { if (view.value) { view.form.submit(); } });
    }
    var hops = document.getElementById("hops");
    if (hops && hops.form) { hops.addEventListener("change", function () { hops.form.submit(); }); }
    var params = new URLSearchParams(location.search);
    if (box && params.get("q")) { box.value = params.get("q"); search(box.value); }
    else { search(""); }
  }

  function load(container, then) {
    var inline = document.getElementById("graph-data");
    var src = container.getAttribute("data-src") || body.getAttribute("data-src");
    if (inline && !container.getAttribute("data-src")) {
      then(JSON.parse(inline.textContent));
      return;
    }
    fetch(src, { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(src + ": HTTP " + r.status); }
        return r.json();
      })
      .then(then)
      .catch(function (e) { recordError(String(e)); });
  }

  var page = document.getElementById("graph");
  if (page) {
    load(page, function (data) {
      var state = start(document, page, data, { view: body.getAttribute("data-view"),
        focus: body.getAttribute("data-focus") });
      window.eocicGraph = state.cy;
      wireControls(state);
      body.setAttribute("data-nodes", String(state.cy.nodes().length));
      body.setAttribute("data-edges", String(state.cy.edges().length));
      body.setAttribute("data-ready", "true");
    });
  }
  /* The class diagram: every class labelled; press a class to keep only its links in view
     (and read them in the caption), press the background to see all again. */
  function describeClass(node) {
    var out = [], into = [];
    node.outgoers("edge").forEach(function (e) {
      out.push(e.data("label") + " \u2192 " + e.target().data("label"));
    });
    node.incomers("edge").forEach(function (e) {
      into.push(e.source().data("label") + " " + e.data("label") + " \u2192");
    });
    var text = node.data("label") + " (" + node.data("iri") + ")";
    if (out.length) { text += ". Links out: " + out.sort().join("; "); }
    if (into.length) { text += ". Links in: " + into.sort().join("; "); }
    if (node.data("slots")) { text += ". Values: " + node.data("slots").split("\n").join("; "); }
    return text + ".";
  }
  document.querySelectorAll(".class-diagram").forEach(function (section) {
    var canvas = section.querySelector(".diagram-canvas");
    var caption = section.querySelector(".diagram-caption");
    load(canvas, function (data) {
      var state = start(section, canvas, data, { view: "model", edgeLabels: true,
        allLabels: true, spread: true });
      var cy = state.cy;
      window.eocicDiagram = cy;
      function pick(elements) {
        cy.elements().removeClass("faded match");
        if (!elements) { return; }
        cy.elements().addClass("faded");
        elements.removeClass("faded");
      }
      Object.keys(state.groups).forEach(function (name) {
        state.groups[name].item.addEventListener("click", function () {
          var members = cy.nodes().filter(function (n) { return groupOf(n.data()) === name; });
          pick(members.union(members.connectedEdges()));
        });
      });
      cy.on("tap", function (e) {
        if (e.target === cy) {
          pick(null);
          if (caption) { caption.textContent = caption.getAttribute("data-default"); }
          section.removeAttribute("data-selected");
          return;
        }
        if (!e.target.isNode()) { return; }
        var node = e.target;
        pick(node.closedNeighborhood());
        node.addClass("match");
        if (caption) { caption.textContent = describeClass(node); }
        section.setAttribute("data-selected", node.id());
      });
      section.setAttribute("data-nodes", String(cy.nodes().length));
      section.setAttribute("data-edges", String(cy.edges().length));
      section.setAttribute("data-ready", "true");
    });
  });
})();
