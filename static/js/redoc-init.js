// Draws the API reference (vendored Redoc) from the OpenAPI document named on the page: no inline script (CSP).
(function () {
  const el = document.getElementById("redoc");
  if (el && typeof Redoc !== "undefined") Redoc.init(el.dataset.spec, { hideDownloadButton: false }, el);
})();
