// The editor's live preview: as the author types, POST the body to /admin/preview
// (debounced) and show the HTML it renders to. Without this script the form's Preview
// button does the same by a full round trip; the page's CSP allows only scripts from here.
(function () {
  "use strict";
  var form = document.getElementById("post-form");
  var pane = document.getElementById("preview");
  if (!form || !pane || !window.fetch) { return; }
  var body = form.elements.namedItem("body");
  var token = form.elements.namedItem("csrf_token");
  var url = pane.getAttribute("data-preview-url");
  var timer = null;
  var sent = 0;
  var shown = 0;

  function refresh() {
    var number = ++sent;
    var data = new FormData();
    data.append("csrf_token", token.value);
    data.append("body", body.value);
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("preview failed: " + response.status); }
        return response.text();
      })
      .then(function (html) {
        // An older answer arriving late must not replace a newer one.
        if (number < shown) { return; }
        shown = number;
        pane.innerHTML = html;
        pane.setAttribute("data-preview-state", "fresh");
      })
      .catch(function () {
        pane.setAttribute("data-preview-state", "failed");
      });
  }

  body.addEventListener("input", function () {
    pane.setAttribute("data-preview-state", "waiting");
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
  if (body.value) { refresh(); }
}());
