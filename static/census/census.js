/* Census form: add repeating rows in place, suggest organisations, and
   autosave what is typed so that nothing is lost. Works without it too:
   the server validates and saves the whole step on submit. */
(function () {
  "use strict";
  var form = document.querySelector("form.census-form");
  if (!form) return;

  // Repeating parts (people, partners, places, products, impacts).
  document.querySelectorAll("[data-formset]").forEach(function (section) {
    var prefix = section.getAttribute("data-formset");
    var total = section.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var template = section.querySelector("template[data-empty-row]");
    var rows = section.querySelector(".formset-rows");
    section.querySelector("[data-add-row]").addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, index).replace(/__number__/g, index + 1);
      rows.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      var added = rows.lastElementChild;
      enhanceRemove(added);
      var first = added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      scheduleSave();
    });
  });

  // A row's "remove" checkbox becomes a button; the row folds away, with an
  // undo, and goes when the step is saved.
  function enhanceRemove(row) {
    var box = row.querySelector("[data-remove]");
    if (!box || box.hasAttribute("data-enhanced")) return;
    box.setAttribute("data-enhanced", "");
    var checkbox = box.querySelector("input[type=checkbox]");
    var fields = row.querySelector("[data-row-fields]");
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-outline-danger btn-sm align-self-start";
    remove.textContent = box.getAttribute("data-remove-label");
    var removed = document.createElement("p");
    removed.className = "census-removed mb-0";
    removed.setAttribute("role", "status");
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "btn btn-link btn-sm";
    undo.textContent = box.getAttribute("data-undo-label");
    box.classList.add("d-none");
    box.insertAdjacentElement("afterend", remove);
    remove.insertAdjacentElement("afterend", removed);
    function show(isRemoved) {
      checkbox.checked = isRemoved;
      row.classList.toggle("is-removed", isRemoved);
      if (fields) fields.hidden = isRemoved;
      remove.hidden = isRemoved;
      removed.textContent = isRemoved ? box.getAttribute("data-removed-text") + " " : "";
      if (isRemoved) removed.appendChild(undo);
    }
    remove.addEventListener("click", function () {
      show(true);
      undo.focus();
      checkbox.dispatchEvent(new Event("change", { bubbles: true }));
    });
    undo.addEventListener("click", function () {
      show(false);
      remove.focus();
      checkbox.dispatchEvent(new Event("change", { bubbles: true }));
    });
    if (checkbox.checked) show(true);
  }
  form.querySelectorAll("[data-row]").forEach(enhanceRemove);

  // The error summary: focused when the page opens, so it is read first; each
  // link moves the focus to its field, scrolled so that its label shows.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("[data-error-link]");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("data-error-link"));
      if (!target) return;
      event.preventDefault();
      var around = target.closest("fieldset, .form-group, .form-check") || target;
      around.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    });
  }

  // Organisation suggestions from the register.
  var datalist = document.getElementById("organisation-suggestions");
  var lastQuery = "";
  form.addEventListener("input", function (event) {
    var target = event.target;
    if (!datalist || target.getAttribute("list") !== "organisation-suggestions") return;
    var query = target.value.trim();
    if (query.length < 2 || query === lastQuery) return;
    lastQuery = query;
    fetch(datalist.getAttribute("data-url") + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        datalist.innerHTML = "";
        data.results.forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          datalist.appendChild(option);
        });
      })
      .catch(function () {});
  });

  // Autosave: to the server (kept even when not valid yet) and, as a last
  // resort when the server cannot be reached, in this browser.
  var status = form.querySelector("[data-autosave-status]");
  var url = form.getAttribute("data-autosave-url");
  var storageKey = "pops-census:" + url;
  var timer = null;
  var messages = {
    it: { saved: "Bozza salvata automaticamente alle ", offline: "Non è stato possibile salvare sul server: quanto scritto è conservato in questo browser. Accedi di nuovo e salva." },
    en: { saved: "Draft saved automatically at ", offline: "Could not save on the server: what you typed is kept in this browser. Sign in again and save." }
  };
  var text = messages[document.documentElement.lang] || messages.it;

  var inflight = null;  // the autosave request on its way, if any
  var submitting = false;

  function scheduleSave() {
    if (submitting) return;
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  function save() {
    if (submitting) return;
    var data = new FormData(form);
    var request = fetch(url, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function () {
        localStorage.removeItem(storageKey);
        var now = new Date();
        status.textContent = text.saved + now.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
      })
      .catch(function () {
        var entries = {};
        data.forEach(function (value, key) { if (typeof value === "string") (entries[key] = entries[key] || []).push(value); });
        try { localStorage.setItem(storageKey, JSON.stringify(entries)); } catch (e) { /* storage full or disabled */ }
        status.textContent = text.offline;
      })
      .then(function () { if (inflight === request) inflight = null; });
    inflight = request;
  }

  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);
  // The submit carries everything typed, and the server keeps it as the
  // step's draft when it is not valid yet. An autosave still on its way
  // could land after it with older text and replace that draft: the submit
  // waits for it (a few seconds at most) and no autosave starts after it.
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    submitting = true;
    localStorage.removeItem(storageKey);
    if (!inflight) return;
    event.preventDefault();
    var submitter = event.submitter;
    var waited = inflight;
    inflight = null;
    Promise.race([waited, new Promise(function (resolve) { setTimeout(resolve, 4000); })]).then(function () {
      if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      else form.submit();
    });
  });

  // Text kept in the browser after a failed autosave: put it back.
  var kept = localStorage.getItem(storageKey);
  if (kept) {
    try {
      var values = JSON.parse(kept);
      Object.keys(values).forEach(function (name) {
        if (name === "csrfmiddlewaretoken") return;
        var fields = form.querySelectorAll('[name="' + name + '"]');
        fields.forEach(function (field, i) {
          if (field.type === "checkbox" || field.type === "radio") field.checked = values[name].indexOf(field.value) !== -1;
          else if (field.tagName === "SELECT" && field.multiple) Array.prototype.forEach.call(field.options, function (o) { o.selected = values[name].indexOf(o.value) !== -1; });
          else if (values[name][i] !== undefined) field.value = values[name][i];
        });
      });
      status.textContent = text.offline;
    } catch (e) { localStorage.removeItem(storageKey); }
  }
})();

/* Places: click on the map to set the coordinates of the row being edited. */
(function () {
  "use strict";
  var element = document.querySelector("[data-census-map]");
  var configElement = document.getElementById("census-map-config");
  if (!element || !configElement || typeof L === "undefined") return;
  var config = JSON.parse(configElement.textContent);
  var map = L.map(element, { maxZoom: config.maxZoom }).setView([45.07, 7.68], 8);
  L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: config.maxZoom }).addTo(map);
  var section = document.querySelector('[data-formset="places"]');
  var current = null;
  var markers = L.layerGroup().addTo(map);

  function rows() { return section.querySelectorAll("[data-row]"); }
  function coordinate(row, name) { return row.querySelector('input[name$="-' + name + '"]'); }
  function redraw() {
    markers.clearLayers();
    rows().forEach(function (row) {
      var lat = parseFloat(coordinate(row, "latitude").value.replace(",", "."));
      var lon = parseFloat(coordinate(row, "longitude").value.replace(",", "."));
      if (!isNaN(lat) && !isNaN(lon)) L.marker([lat, lon]).addTo(markers);
    });
  }
  section.addEventListener("focusin", function (event) {
    var row = event.target.closest("[data-row]");
    if (row) current = row;
  });
  section.addEventListener("change", redraw);
  map.on("click", function (event) {
    var list = rows();
    var row = current && section.contains(current) ? current : list[list.length - 1];
    if (!row) return;
    coordinate(row, "latitude").value = event.latlng.lat.toFixed(6);
    coordinate(row, "longitude").value = event.latlng.lng.toFixed(6);
    coordinate(row, "longitude").dispatchEvent(new Event("change", { bubbles: true }));
  });
  redraw();
})();

/* People rows: suggest people already in the register by name (each
   suggestion says their department and role, never their e-mail), and
   recognise someone by the full e-mail typed; either fills in the row. */
(function () {
  "use strict";
  var form = document.querySelector("form.census-form");
  var datalist = document.getElementById("person-suggestions");
  if (!form || !datalist) return;
  var url = datalist.getAttribute("data-url");
  var found = {};
  var lastQuery = "";
  var FULL_EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  // What a suggestion says besides the name (the browser shows it beside).
  function describe(person) {
    return [person.department_name, person.role].filter(Boolean).join(", ");
  }

  function suggestions(query) {
    return fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { return data.results; });
  }

  // Names as the register has them, and the department where none is chosen.
  function fill(row, person, names) {
    ["first_name", "last_name"].forEach(function (name) {
      var input = field(row, name);
      if (input && (names || !input.value.trim())) input.value = person[name];
    });
    var department = field(row, "department");
    if (department && person.department && !department.value) department.value = String(person.department);
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    var row = input.closest("[data-row]");
    if (!row) return;
    var value = input.value.trim();

    if (input.hasAttribute("data-person-email")) {
      if (!FULL_EMAIL.test(value) || value === lastQuery) return;
      lastQuery = value;
      suggestions(value).then(function (people) {
        if (people.length === 1 && input.value.trim() === value) fill(row, people[0], false);
      }).catch(function () {});
      return;
    }

    if (input.getAttribute("list") !== "person-suggestions") return;
    if (found[value]) {
      fill(row, found[value], true);
      return;
    }
    if (value.length < 2 || value === lastQuery) return;
    lastQuery = value;
    suggestions(value).then(function (people) {
      datalist.innerHTML = "";
      found = {};
      people.forEach(function (person) {
        // The name goes into the field, short enough for it; namesakes are numbered.
        var name = person.first_name + " " + person.last_name;
        var value = name;
        for (var n = 2; found[value]; n++) value = name + " (" + n + ")";
        var option = document.createElement("option");
        option.value = value;
        option.label = describe(person);
        found[value] = person;
        datalist.appendChild(option);
      });
    }).catch(function () {});
  });
})();
