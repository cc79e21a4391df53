/* The user menu of the slim header is a <details> disclosure: it opens and
   closes with the mouse, Enter and Space without any script. This adds what
   a menu is expected to do beside: Escape closes it (focus back on its
   button), and a click or focus elsewhere closes it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-user-menu]").forEach(function (menu) {
    var summary = menu.querySelector("summary");
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        summary.focus();
      }
    });
    menu.addEventListener("focusout", function (event) {
      if (menu.open && event.relatedTarget && !menu.contains(event.relatedTarget)) menu.open = false;
    });
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
})();
