/* The import job page (admin/impact/importjob/status.html). */
(function () {
  "use strict";
  // While a task runs, the bar follows its progress; once it is over, the
  // page is loaded again and shows the outcome (the preview, or the import's).
  var box = document.getElementById("import-job");
  function show(status) {
    var bar = document.getElementById("job-progress");
    bar.max = Math.max(status.total, 1);
    bar.value = status.processed;
    bar.textContent = status.processed + " / " + status.total;
    document.getElementById("job-state").textContent = status.state_label;
    document.getElementById("job-processed").textContent = status.processed;
    document.getElementById("job-total").textContent = status.total;
  }
  function poll() {
    fetch(box.dataset.progressUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (status) {
        show(status);
        if (status.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }
  if (box.dataset.finished !== "true") { window.setTimeout(poll, 1000); }
})();
