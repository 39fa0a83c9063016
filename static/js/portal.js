/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  // Instant suggestions: the ARIA 1.2 combobox pattern (list autocomplete, manual selection).
  // Keys: Down/Up move through the list (and open it), Alt+Down opens, Alt+Up and Escape close,
  // Enter opens the highlighted article, Escape on a closed list clears the box.
  function setupCombobox(input) {
    var form = input.form;
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var items = [];
    var active = -1;
    var timer = null;
    var lastQuery = "";
    list.id = input.id + "-listbox";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("data-label-results") || "");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    form.appendChild(list);
    form.appendChild(status);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(results) {
      list.textContent = "";
      items = results.map(function (result, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = result.title;
        li.dataset.url = result.url;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("mousemove", function () { if (active !== i) { highlight(i); } });
        li.addEventListener("click", function () { window.location.href = result.url; });
        list.appendChild(li);
        return li;
      });
      active = -1;
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      announce(items.length);
    }

    function announce(count) {
      var none = input.getAttribute("data-label-none") || "";
      var some = input.getAttribute("data-label-count") || "{count}";
      status.textContent = count ? some.replace("{count}", String(count)) : (input.value.trim().length >= 2 ? none : "");
    }

    function open() {
      if (items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
    }

    function fetchSuggestions() {
      var query = input.value;
      if (query.trim().length < 2) { lastQuery = ""; render([]); return; }
      if (query === lastQuery) { open(); return; }
      lastQuery = query;
      var url = input.getAttribute("data-suggest-url") + "?locale=" +
        encodeURIComponent(input.getAttribute("data-locale")) + "&q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (input.value === query) { render(data.results || []); } })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var isOpen = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown" && event.altKey) {
        event.preventDefault();
        open();
      } else if (event.key === "ArrowUp" && event.altKey) {
        event.preventDefault();
        close();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        open();
        if (items.length) { highlight((active + 1) % items.length); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        open();
        if (items.length) { highlight(active <= 0 ? items.length - 1 : active - 1); }
      } else if (event.key === "Enter" && isOpen && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].dataset.url;
      } else if (event.key === "Escape") {
        if (isOpen) { event.preventDefault(); close(); } else { input.value = ""; lastQuery = ""; }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(setupCombobox);

  // Contact page: articles that match the description appear while the visitor types.
  var description = document.getElementById("description");
  var suggestionBox = document.getElementById("contact-suggestions");
  if (description && suggestionBox && window.fetch) {
    var descriptionTimer = null;
    description.addEventListener("input", function () {
      clearTimeout(descriptionTimer);
      descriptionTimer = setTimeout(function () {
        var text = description.value.trim();
        if (text.length < 3) { suggestionBox.textContent = ""; return; }
        var url = description.getAttribute("data-suggest-url") + "?locale=" +
          encodeURIComponent(description.getAttribute("data-locale")) + "&q=" + encodeURIComponent(text + " ");
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            suggestionBox.textContent = "";
            if (!data.results || !data.results.length) { return; }
            var heading = document.createElement("p");
            heading.className = "hint";
            heading.textContent = description.getAttribute("data-label-results");
            var list = document.createElement("ul");
            list.className = "article-list";
            data.results.slice(0, 3).forEach(function (result) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.href = result.url + "?from=contact";
              link.textContent = result.title;
              item.appendChild(link);
              list.appendChild(item);
            });
            suggestionBox.appendChild(heading);
            suggestionBox.appendChild(list);
          })
          .catch(function () { suggestionBox.textContent = ""; });
      }, 250);
    });
  }

  // "Was this helpful?": submit in place; the server answers with the widget's next state.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var widget = form.closest("[data-feedback]");
    if (!widget || !window.fetch) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (payload) {
        if (!payload.html) { form.submit(); return; }
        widget.outerHTML = payload.html;
        var heading = document.getElementById("feedback-title");
        if (heading) { heading.focus(); }
      })
      .catch(function () { form.submit(); });
  });

  // Contact page: opening times read in the visitor's own time zone (the server needs its name).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      document.querySelectorAll("input[data-timezone]").forEach(function (input) {
        if (!input.value) { input.value = zone; }
      });
    }
  } catch (error) { /* an old browser: the server names the channel's time zone instead */ }

  // "Show me how to get help" lands on #help: the browser scrolls there by itself; move the
  // keyboard and screen reader focus along so the answer is read first.
  if (window.location.hash.length > 1) {
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && target.getAttribute("tabindex") === "-1") { target.focus(); }
  }
})();
