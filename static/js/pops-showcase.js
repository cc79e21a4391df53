/* POPS showcase: the list's filters, and Leaflet maps (the initiative's places,
   or every initiative matching the list's filters, clustered). Settings come
   from a JSON script. */
(function () {
  "use strict";
  // On a phone the list's filters start closed, so the results come first.
  var facets = document.querySelector(".pops-facets");
  if (facets && window.matchMedia("(max-width: 991.98px)").matches) {
    facets.removeAttribute("open");
  }
  // The header's search button on a phone leads here: ready to type.
  var search = document.getElementById("q");
  if (search && window.location.hash === "#q") search.focus();
})();

(function () {
  "use strict";
  var settingsNode = document.getElementById("map-settings");
  if (!settingsNode || typeof L === "undefined") return;
  var settings = JSON.parse(settingsNode.textContent);

  function baseMap(id) {
    var map = L.map(id, { maxZoom: settings.maxZoom, scrollWheelZoom: false });
    L.tileLayer(settings.tileUrl, { maxZoom: settings.maxZoom, attribution: settings.attribution }).addTo(map);
    map.setView([45.07, 7.68], 9);
    return map;
  }

  function popup(title, place, url) {
    var box = document.createElement("div");
    var link = document.createElement(url ? "a" : "strong");
    if (url) link.href = url;
    link.textContent = title;
    box.appendChild(link);
    if (place) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(place));
    }
    return box;
  }

  // Markers are focusable and announced by title; make the icons' alt text useful.
  function marker(latlng, title) {
    return L.marker(latlng, { title: title, alt: title, keyboard: true });
  }

  var placesNode = document.getElementById("initiative-places");
  if (placesNode && document.getElementById("initiative-map")) {
    var places = JSON.parse(placesNode.textContent);
    var small = baseMap("initiative-map");
    var bounds = [];
    places.forEach(function (p) {
      marker([p.lat, p.lng], p.title).bindPopup(popup(p.title)).addTo(small);
      bounds.push([p.lat, p.lng]);
    });
    if (bounds.length) small.fitBounds(bounds, { maxZoom: 13, padding: [20, 20] });
  }

  // A group of markers counts the initiatives it holds, not their places: an
  // initiative in three places of one town is one.
  function initiativesIn(cluster) {
    var seen = {};
    cluster.getAllChildMarkers().forEach(function (m) { seen[m.options.initiative] = true; });
    return Object.keys(seen).length;
  }

  function clusterIcon(cluster) {
    var n = initiativesIn(cluster);
    var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    var inner = document.createElement("div");
    var number = document.createElement("span");
    number.textContent = String(n);
    inner.appendChild(number);
    return L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) });
  }

  function fill(text, count) { return text.replace("%(count)s", String(count)); }

  // The list beside the map: the initiatives with a place in view, by title.
  function listInView(map, initiatives, texts) {
    var list = document.getElementById("map-list");
    var count = document.getElementById("map-list-count");
    if (!list || !count) return;
    var bounds = map.getBounds();
    var shown = [];
    Object.keys(initiatives).forEach(function (url) {
      var entry = initiatives[url];
      var places = entry.places.filter(function (p) { return bounds.contains(p.latlng); });
      if (places.length) shown.push({ url: url, title: entry.title, places: places });
    });
    shown.sort(function (a, b) { return a.title.localeCompare(b.title); });
    list.replaceChildren();
    shown.slice(0, settings.listLimit).forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;
      li.appendChild(link);
      var names = item.places.map(function (p) { return p.name; }).filter(function (name, i, all) {
        return name && all.indexOf(name) === i;
      });
      if (names.length) {
        var where = document.createElement("span");
        where.className = "pops-map-list-places";
        where.textContent = names.join(", ");
        li.appendChild(where);
      }
      list.appendChild(li);
    });
    var text = shown.length ? fill(shown.length === 1 ? texts.inViewOne : texts.inViewMany, shown.length) : texts.none;
    if (shown.length > settings.listLimit) text += " " + fill(texts.more, settings.listLimit);
    count.textContent = text;
    list.dataset.shown = String(Math.min(shown.length, settings.listLimit));
  }

  var all = document.getElementById("initiatives-map");
  if (all && settings.dataUrl) {
    var map = baseMap("initiatives-map");
    var clusters = L.markerClusterGroup({ maxClusterRadius: 50, iconCreateFunction: clusterIcon });
    map.addLayer(clusters);
    var status = document.getElementById("map-status");
    fetch(settings.dataUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var bounds = [];
        var initiatives = {};
        data.features.forEach(function (f) {
          var latlng = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
          var m = marker(latlng, f.properties.title).bindPopup(popup(f.properties.title, f.properties.place, f.properties.url));
          m.options.initiative = f.properties.url;
          clusters.addLayer(m);
          bounds.push(latlng);
          var entry = initiatives[f.properties.url] || (initiatives[f.properties.url] = { title: f.properties.title, places: [] });
          entry.places.push({ latlng: latlng, name: f.properties.place });
        });
        map.on("moveend", function () { listInView(map, initiatives, settings.texts || {}); });
        // At once, not animated: the list below is made from the view it settles on.
        if (bounds.length) map.fitBounds(bounds, { maxZoom: 12, padding: [20, 20], animate: false });
        listInView(map, initiatives, settings.texts || {});
        if (status) status.dataset.loaded = String(data.features.length);
        all.dataset.markers = String(data.features.length);
        all.dataset.initiatives = String(Object.keys(initiatives).length);
      });
  }
})();

/* The list's filters: Enter on a facet checkbox ticks or unticks it, as the
   space bar does, instead of submitting the whole form at once (the
   "Apply filters" button does that). */
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (!filters) return;
  filters.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.type !== "checkbox") return;
    event.preventDefault();
    target.click();
  });
})();

/* The initiative page's share block: copy the link, print. */
(function () {
  "use strict";
  var status = document.querySelector(".pops-share-status");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      function done() { if (status) status.textContent = button.dataset.copied; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        if (document.execCommand && document.execCommand("copy")) done();
      }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
