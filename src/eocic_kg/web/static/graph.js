/* The graph page (/graph and the offline export).
   Reads the view as Cytoscape JSON (inline #graph-data or the URL in data-src). The server
   draws it: each node comes with its place (a seeded layout, the same in every export), size,
   colour, shape and short label, so the page uses a preset layout and shows what the files
   show. The legend that the server rendered (data-group / data-colour / data-shape) picks out
   groups; the link filter hides kinds of link; PNG and SVG save what is shown. */
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
        "label": "data(short)", "font-size": 11, "min-zoomed-font-size": 10,
        "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "wrap",
        "text-max-width": 170, "color": "#111",
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

  /* Labels of the important nodes stay about 12 px on screen at any zoom; the others appear
     once the zoom makes them 10 px or more. */
  function scaleLabels(cy) {
    var size = Math.min(40, Math.max(4, 12 / cy.zoom()));
    cy.nodes(".important").style({ "font-size": size, "text-max-width": 15 * size });
  }

  function start(root, container, data, options) {
    var groups = legendOf(root), links = linksOf(root);
    var nodes = data.elements.nodes, edges = data.elements.edges;
    var degree = {};
    edges.forEach(function (e) {
      degree[e.data.source] = (degree[e.data.source] || 0) + 1;
      degree[e.data.target] = (degree[e.data.target] || 0) + 1;
    });
    /* As many labels at the start zoom as the canvas has room for: 24 on a desktop, about
       a dozen on a phone; every label when the view is small and the canvas is not. */
    var room = Math.round(container.clientWidth * container.clientHeight / 16000);
    var labels = Math.max(8, Math.min(24, room));
    var all = nodes.length <= 60 && labels >= 24;
    var top = {};
    nodes.map(function (n) { return n.data.id; })
      .sort(function (a, b) { return (degree[b] || 0) - (degree[a] || 0) || (a < b ? -1 : 1); })
      .slice(0, labels).forEach(function (id) { top[id] = true; });
    var elements = [];
    nodes.forEach(function (n) {
      var g = groups[groupOf(n.data)] || { colour: "#7F7F7F", shape: "ellipse" };
      var d = degree[n.data.id] || 0;
      var data = Object.assign({ colour: g.colour, shape: g.shape, size: 30,
        short: n.data.label }, n.data, { degree: d });
      var classes = all || top[n.data.id] ? "important" : "";
      if (options.focus === n.data.id) { classes += " focus important"; }
      elements.push({ group: "nodes", data: data, classes: classes,
        position: n.position || { x: 0, y: 0 } });
    });
    edges.forEach(function (e) {
      elements.push({ group: "edges", data: e.data,
        classes: e.data.key === "rdfs:subClassOf" ? "subclass" : "" });
    });
    var cy = cytoscape({ container: container, elements: elements,
      style: styles(nodes.length <= 80),
      layout: { name: "preset", fit: true, padding: 30 },
      wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4 });
    if (cy.zoom() > 1.1) { cy.zoom(1.1); cy.center(); }
    scaleLabels(cy);
    cy.on("zoom", function () { scaleLabels(cy); });
    return { cy: cy, groups: groups, links: links };
  }

  /* Attributes the panel leaves out: the drawing, what the panel shows otherwise, and hidden
     labels (misspellings kept for search only). */
  var NOT_SHOWN = { id: 1, name: 1, value: 1, label: 1, colour: 1, shape: 1, size: 1,
    degree: 1, "class": 1, group: 1, short: 1, x: 1, y: 1, "skos:hiddenLabel": 1 };

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
    Object.keys(d).sort().forEach(function (key) {
      if (NOT_SHOWN[key] || d[key] === "" || d[key] === null) { return; }
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = key;
      dd.textContent = Array.isArray(d[key]) ? d[key].join(", ") : String(d[key]);
      list.appendChild(dt); list.appendChild(dd);
    });
    panel.hidden = false;
    body.setAttribute("data-selected", d.id);
  }

  /* How well a node's names answer the search `q` (lower case): 0 its label exactly, 1 another
     of its names (preferred or alternative label, in any language: `skos:altLabel_de` holds the
     German ones) exactly, 2 a label that starts with it, 3 a word of the label that starts with
     it, 4 the label holds it, 5 another name holds it; -1 no match. Hidden labels are not
     searched. */
  var NAMES = /^skos:(prefLabel|altLabel)(_[A-Za-z0-9-]+)?$/;
  function rank(node, q) {
    var data = node.data();
    var label = String(data.label).toLowerCase();
    var others = Object.keys(data)
      .filter(function (key) { return NAMES.test(key) && data[key]; })
      .map(function (key) { return String(data[key]).toLowerCase(); })
      .join(" | ").split(" | ");
    if (label === q) { return 0; }
    if (others.indexOf(q) >= 0) { return 1; }
    if (label.indexOf(q) === 0) { return 2; }
    if ((" " + label).indexOf(" " + q) >= 0) { return 3; }
    if (label.indexOf(q) >= 0) { return 4; }
    return others.some(function (o) { return o && o.indexOf(q) >= 0; }) ? 5 : -1;
  }

  /* The picture as SVG: the shown nodes at their places, in their colours and shapes, the shown
     links, and the labels that the canvas draws at the current zoom. */
  function polygon(sides, turn) {
    var points = [];
    for (var i = 0; i < sides; i++) {
      var a = turn + 2 * Math.PI * i / sides;
      points.push(Math.cos(a), Math.sin(a));
    }
    return points;
  }
  var STAR = [];
  for (var i = 0; i < 10; i++) {
    var a = -Math.PI / 2 + Math.PI * i / 5, r = i % 2 ? 0.45 : 1;
    STAR.push(r * Math.cos(a), r * Math.sin(a));
  }
  var POLYGONS = {
    diamond: [0, -1, 1, 0, 0, 1, -1, 0], triangle: [0, -1, 1, 1, -1, 1],
    hexagon: polygon(6, 0), "concave-hexagon": polygon(6, 0), star: STAR,
    vee: [-1, -1, 0, -0.33, 1, -1, 0, 1], tag: [-1, -1, 0.33, -1, 1, 0, 0.33, 1, -1, 1],
    pentagon: polygon(5, -Math.PI / 2), heptagon: polygon(7, -Math.PI / 2),
    octagon: polygon(8, Math.PI / 8), rhomboid: [-1, -1, 0.33, -1, 1, 1, -0.33, 1]
  };
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }
  function num(v) { return (Math.round(v * 10) / 10).toString(); }
  function labelShown(cy, n) {
    return parseFloat(n.style("font-size")) * cy.zoom() >=
      parseFloat(n.style("min-zoomed-font-size"));
  }
  function svgOf(cy) {
    var shown = cy.elements(":visible");
    var box = shown.boundingBox({ includeLabels: true }), pad = 20;
    var out = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="' +
      [box.x1 - pad, box.y1 - pad, box.w + 2 * pad, box.h + 2 * pad].map(num).join(" ") +
      '" width="' + num(box.w + 2 * pad) + '" height="' + num(box.h + 2 * pad) +
      '" font-family="Helvetica, Arial, sans-serif">',
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" " +
      "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">" +
      "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#9a9a9a\"/></marker></defs>",
      '<rect x="' + num(box.x1 - pad) + '" y="' + num(box.y1 - pad) + '" width="' +
      num(box.w + 2 * pad) + '" height="' + num(box.h + 2 * pad) + '" fill="#fff"/>'];
    shown.edges().forEach(function (e) {
      var s = e.source().position(), t = e.target().position();
      var dx = t.x - s.x, dy = t.y - s.y, length = Math.sqrt(dx * dx + dy * dy) || 1;
      var back = e.target().width() / 2;
      out.push('<line class="edge" data-key="' + esc(e.data("key")) + '" x1="' + num(s.x) +
        '" y1="' + num(s.y) + '" x2="' + num(t.x - dx / length * back) + '" y2="' +
        num(t.y - dy / length * back) + '" stroke="#9a9a9a" stroke-width="1.2"' +
        (e.hasClass("subclass") ? ' stroke-dasharray="5 3"' : "") +
        (e.hasClass("faded") ? ' opacity="0.12"' : "") + ' marker-end="url(#arrow)">' +
        "<title>" + esc(e.data("name") || e.data("label")) + "</title></line>");
    });
    shown.nodes().forEach(function (n) {
      var p = n.position(), r = n.width() / 2, d = n.data(), shape = d.shape || "ellipse";
      var paint = ' fill="' + esc(d.colour) + '" stroke="#333" stroke-width="1"' +
        (n.hasClass("faded") ? ' opacity="0.12"' : "");
      var points = POLYGONS[shape];
      var mark = shape === "ellipse" ?
        '<circle cx="' + num(p.x) + '" cy="' + num(p.y) + '" r="' + num(r) + '"' + paint + "/>" :
        points ? '<polygon points="' + points.map(function (v, i) {
          return num((i % 2 ? p.y : p.x) + v * r);
        }).join(" ") + '"' + paint + "/>" :
        '<rect x="' + num(p.x - r) + '" y="' + num(p.y - r) + '" width="' + num(2 * r) +
          '" height="' + num(2 * r) + '" rx="' + (shape === "round-rectangle" ? num(r / 3) : 0) +
          '"' + paint + "/>";
      out.push('<g class="node" data-id="' + esc(d.id) + '"><title>' + esc(d.label) +
        "</title>" + mark + "</g>");
    });
    shown.nodes().forEach(function (n) {
      if (!labelShown(cy, n) || n.hasClass("faded")) { return; }
      var p = n.position(), size = parseFloat(n.style("font-size"));
      out.push('<text x="' + num(p.x) + '" y="' + num(p.y + n.height() / 2 + size + 2) +
        '" font-size="' + num(size) + '" text-anchor="middle" fill="#111" stroke="#fff" ' +
        'stroke-width="3" paint-order="stroke">' + esc(n.data("short")) + "</text>");
    });
    out.push("</svg>");
    return out.join("\n");
  }
  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  function wireControls(state) {
    var cy = state.cy;
    var status = document.getElementById("status"), box = document.getElementById("search");
    var summary = function () {
      return cy.nodes().length + " nodes, " + cy.edges(":visible").length + " links";
    };
    function search(text) {
      var q = text.trim().toLowerCase();
      cy.elements().removeClass("faded match");
      if (!q) {
        if (status) { status.textContent = summary(); }
        body.setAttribute("data-matches", "");
        return [];
      }
      var hits = cy.nodes().map(function (n) { return [rank(n, q), n]; })
        .filter(function (pair) { return pair[0] >= 0; })
        .sort(function (a, b) {
          return a[0] - b[0] || String(a[1].data("label")).length -
            String(b[1].data("label")).length;
        })
        .map(function (pair) { return pair[1]; });
      var found = cy.collection(hits);
      cy.elements().addClass("faded");
      found.removeClass("faded").addClass("match");
      found.connectedEdges().removeClass("faded");
      if (status) { status.textContent = hits.length + " match" + (hits.length === 1 ? "" : "es"); }
      body.setAttribute("data-matches", String(hits.length));
      if (hits.length) { cy.fit(found, 60); }
      return hits;
    }
    if (box) {
      box.addEventListener("input", function () { search(box.value); });
      box.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") { return; }
        var hits = search(box.value);
        if (hits.length) {
          cy.$(":selected").unselect();
          hits[0].select();
          showPanel(state, hits[0]);
          cy.fit(hits[0].closedNeighborhood(), 60);
        }
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
        body.setAttribute("data-picked", on ? name : "");
        if (!on) { cy.fit(undefined, 30); return; }
        item.setAttribute("aria-pressed", "true");
        var members = cy.nodes().filter(function (n) { return groupOf(n.data()) === name; });
        cy.elements().addClass("faded");
        members.removeClass("faded").addClass("match");
        members.connectedEdges().removeClass("faded");
        cy.fit(members, 40);
      });
    });
    document.querySelectorAll(".edge-type").forEach(function (box) {
      box.addEventListener("change", function () {
        /* a style bypass applies at once (a class's style may wait for the next frame) */
        cy.edges().filter(function (e) { return e.data("key") === box.value; })
          .style("display", box.checked ? "element" : "none");
        if (status) { status.textContent = summary(); }
        body.setAttribute("data-edges-shown", String(cy.edges(":visible").length));
      });
    });
    var png = document.getElementById("save-png"), svg = document.getElementById("save-svg");
    var name = "eocic-" + (body.getAttribute("data-view") || "graph") +
      (body.getAttribute("data-graphs") ? "-" + body.getAttribute("data-graphs") : "");
    if (png) {
      png.addEventListener("click", function () { save(window.eocicPictures.png(), name + ".png"); });
    }
    if (svg) {
      svg.addEventListener("click", function () {
        save(new Blob([window.eocicPictures.svg()], { type: "image/svg+xml" }), name + ".svg");
      });
    }
    window.eocicPictures = {
      png: function () {
        return cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff",
          maxWidth: 6000, maxHeight: 6000 });
      },
      svg: function () { return svgOf(cy); }
    };
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
})();
