// The editor's small script (the page's CSP allows only scripts from here, none inline).
// Everything it does, the page also does without it:
// - live preview: POST the body to /admin/preview as the author types (debounced); without
//   script the form's Preview button does the same by a round trip;
// - images: drop or paste an image on the body, or pick one, and it is uploaded to the
//   media library and its Markdown goes in at the cursor; without script the file field
//   and its "Upload and insert" button put it at the end of the body;
// - unsaved text: every change is kept in this browser (localStorage) until the server
//   says the post was saved, so a closed tab or a failed save loses nothing;
// - the media library's Copy buttons.
(function () {
  "use strict";
  var DRAFT_PREFIX = "microblog-draft:";
  var SUBMITTED = "microblog-draft-submitted";
  var FIELDS = ["title", "body", "tags", "categories", "permalink", "published_at", "nav_order"];

  function store(kind) {
    try { return window[kind]; } catch (error) { return null; }
  }

  // ------------------------------------------------------------------ the media library
  Array.prototype.forEach.call(document.querySelectorAll(".copy-button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      source.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.value).then(done, function () {
          document.execCommand("copy"); done();
        });
      } else {
        document.execCommand("copy"); done();
      }
    });
  });

  var form = document.getElementById("post-form");
  if (!form) { return; }
  var body = form.elements.namedItem("body");
  var token = form.elements.namedItem("csrf_token");
  if (!body || !token) { return; }

  // ------------------------------------------------------------------ unsaved text
  var local = store("localStorage");
  var session = store("sessionStorage");
  var draftKey = DRAFT_PREFIX + (form.getAttribute("data-draft-key") || location.pathname);

  function fieldValues() {
    var values = {};
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && typeof field.value === "string") { values[name] = field.value; }
    });
    return values;
  }

  function keepDraft() {
    if (!local) { return; }
    try {
      var version = form.elements.namedItem("version");
      local.setItem(draftKey, JSON.stringify({
        values: fieldValues(),
        version: version ? version.value : "",
        at: new Date().toISOString()
      }));
    } catch (error) { /* storage full or refused: the form still works */ }
  }

  function forget(key) {
    if (local) { try { local.removeItem(key); } catch (error) { /* nothing to do */ } }
  }

  function showNotice(text, withDiscard) {
    var notice = document.createElement("div");
    notice.className = "notice draft-notice";
    notice.setAttribute("role", "status");
    notice.id = "draft-notice";
    var words = document.createElement("p");
    words.textContent = text;
    notice.appendChild(words);
    if (withDiscard) {
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "secondary";
      discard.textContent = "Discard the kept text";
      discard.addEventListener("click", function () {
        forget(draftKey);
        location.reload();
      });
      notice.appendChild(discard);
    }
    form.parentNode.insertBefore(notice, form);
  }

  var justSaved = document.querySelector(".flashes [data-category=saved]") !== null;
  if (justSaved && session) {
    // The server saved what this tab sent: its kept copy (and this key's) can go.
    var sent = session.getItem(SUBMITTED);
    if (sent) { forget(sent); session.removeItem(SUBMITTED); }
    forget(draftKey);
  } else if (local) {
    var kept = null;
    try { kept = JSON.parse(local.getItem(draftKey) || "null"); } catch (error) { kept = null; }
    if (kept && kept.values) {
      var differs = false;
      Object.keys(kept.values).forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field && field.value !== kept.values[name]) {
          differs = true;
          field.value = kept.values[name];
        }
      });
      if (differs) {
        var now = form.elements.namedItem("version");
        var moved = now && kept.version && now.value && kept.version !== now.value;
        showNotice("Your unsaved text from " + new Date(kept.at).toLocaleString() +
          " is back in the form. Save to keep it." +
          (moved ? " The saved post changed since you wrote it (version " + kept.version +
            ", now " + now.value + "): compare before saving." : ""), true);
      }
    }
  }
  form.addEventListener("input", keepDraft);
  form.addEventListener("submit", function () {
    keepDraft();
    if (session) { session.setItem(SUBMITTED, draftKey); }
  });

  // ------------------------------------------------------------------ live preview
  var pane = document.getElementById("preview");
  var timer = null;
  var sent = 0;
  var shown = 0;

  function refresh() {
    if (!pane || !window.fetch) { return; }
    var number = ++sent;
    var data = new FormData();
    data.append("csrf_token", token.value);
    data.append("body", body.value);
    fetch(pane.getAttribute("data-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
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

  function schedulePreview() {
    if (!pane) { return; }
    pane.setAttribute("data-preview-state", "waiting");
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }
  body.addEventListener("input", schedulePreview);
  if (pane && body.value) { refresh(); }

  // ------------------------------------------------------------------ images
  var uploadUrl = form.getAttribute("data-upload-url");
  var status = document.getElementById("upload-status");
  var picker = document.getElementById("upload-file");
  if (!uploadUrl || !window.fetch || !window.FormData) { return; }

  function say(text) { if (status) { status.textContent = text; } }

  function insertAtCursor(text) {
    var start = body.selectionStart;
    var end = body.selectionEnd;
    if (typeof start !== "number") { start = end = body.value.length; }
    var before = body.value.slice(0, start);
    var after = body.value.slice(end);
    var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var trail = after && !/^\n/.test(after) ? "\n\n" : "";
    body.value = before + lead + text + trail + after;
    var caret = (before + lead + text).length;
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function upload(file) {
    if (!file) { return; }
    say("Uploading " + file.name + "…");
    form.setAttribute("data-upload-state", "uploading");
    var data = new FormData();
    data.append("csrf_token", token.value);
    data.append("file", file, file.name || "pasted-image.png");
    fetch(uploadUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      })
      .then(function (result) {
        if (!result.ok) {
          say("Not uploaded: " + (result.answer.error_description || "the server refused it"));
          form.setAttribute("data-upload-state", "refused");
          return;
        }
        insertAtCursor(result.answer.markdown);
        say("Uploaded " + result.answer.path + ": its Markdown is in the body.");
        form.setAttribute("data-upload-state", "done");
      })
      .catch(function () {
        say("The upload failed (network?). The file field below still works.");
        form.setAttribute("data-upload-state", "failed");
      });
  }

  function imagesOf(list) {
    return Array.prototype.filter.call(list || [], function (file) {
      return /^image\//.test(file.type);
    });
  }

  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
      event.preventDefault();
      body.classList.add("drop-target");
    }
  });
  body.addEventListener("dragleave", function () { body.classList.remove("drop-target"); });
  body.addEventListener("drop", function (event) {
    var files = imagesOf(event.dataTransfer && event.dataTransfer.files);
    body.classList.remove("drop-target");
    if (!files.length) { return; }
    event.preventDefault();
    files.forEach(upload);
  });
  body.addEventListener("paste", function (event) {
    var files = imagesOf(event.clipboardData && event.clipboardData.files);
    if (!files.length) { return; }
    event.preventDefault();
    files.forEach(upload);
  });
  if (picker) {
    picker.addEventListener("change", function () {
      imagesOf(picker.files).forEach(upload);
      picker.value = "";
    });
  }
}());
