/* The admin's export page (templates/admin/import_export/export.html): the
   "select all" box, which django-import-export wires with an onchange
   attribute that the Content-Security-Policy refuses. */
document.querySelectorAll(".select-toggle").forEach(function (toggle) {
  "use strict";
  toggle.addEventListener("change", onSelectToggleChange);
});
