/* Starts Redoc on the API's documentation page (templates/drf_spectacular/redoc.html).
   Redoc's components write <style> elements: they carry the nonce this script
   was loaded with, which the Content-Security-Policy allows. */
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  var options = container.dataset.settings ? JSON.parse(container.dataset.settings) : {};
  options.nonce = document.currentScript.nonce;
  Redoc.init(container.dataset.schemaUrl, options, container);
})();
