// matchmaker — small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before leaving a form with unsaved changes, so nobody loses what they typed.
  document.querySelectorAll("form[data-guard]").forEach((form) => {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
  });
  // Confirm destructive actions.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (e) => { if (!window.confirm(el.dataset.confirm)) e.preventDefault(); });
  });
  // Auto-submit filter selects.
  document.querySelectorAll("form.filter-bar select").forEach((sel) => {
    sel.addEventListener("change", () => sel.form.submit());
  });
});
