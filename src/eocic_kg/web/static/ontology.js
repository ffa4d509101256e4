/* The ontology page: the class diagram opens centred on the class the server names
   (data-centre: the one with most links); the folded entries (<details>) open when a link points
   at them (/ontology#Term, or a class pressed in the diagram), and come into view. */
(function () {
  "use strict";
  function centreDiagram() {
    var box = document.querySelector(".diagram-scroll[data-centre]");
    if (!box || !box.dataset.centre) return;
    var links = box.querySelectorAll("a");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href") || links[i].getAttribute("xlink:href");
      if (href === box.dataset.centre) {
        var outer = box.getBoundingClientRect(), inner = links[i].getBoundingClientRect();
        box.scrollLeft += inner.left + inner.width / 2 - (outer.left + box.clientWidth / 2);
        box.scrollTop += inner.top + inner.height / 2 - (outer.top + box.clientHeight / 2);
        return;
      }
    }
  }
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  centreDiagram();
  openTarget();
})();
