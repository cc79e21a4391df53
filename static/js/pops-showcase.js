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

  var all = document.getElementById("initiatives-map");
  if (all && settings.dataUrl) {
    var map = baseMap("initiatives-map");
    var clusters = L.markerClusterGroup({ maxClusterRadius: 50 });
    map.addLayer(clusters);
    var status = document.getElementById("map-status");
    fetch(settings.dataUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var bounds = [];
        data.features.forEach(function (f) {
          var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          clusters.addLayer(marker(latlng, f.properties.title).bindPopup(popup(f.properties.title, f.properties.place, f.properties.url)));
          bounds.push(latlng);
        });
        if (bounds.length) map.fitBounds(bounds, { maxZoom: 12, padding: [20, 20] });
        if (status) status.dataset.loaded = String(data.features.length);
        all.dataset.markers = String(data.features.length);
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
