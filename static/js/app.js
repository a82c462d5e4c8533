// matchmaker — small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before leaving a form with unsaved changes, so nobody loses what they typed.
  document.querySelectorAll("form[data-guard]").forEach((form) => {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
  });
  // Confirm destructive actions. A question that names user data (an account, a firm) carries it apart, in
  // data-confirm-name, and "{0}" where it goes: the question is interface text, the name is data (issue 19).
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    const question = el.dataset.confirm.split("{0}").join(el.dataset.confirmName || "");
    el.addEventListener("click", (e) => { if (!window.confirm(question)) e.preventDefault(); });
  });
  // Print and back buttons (listeners, not onclick attributes: the CSP allows no inline script).
  document.querySelectorAll("[data-print]").forEach((el) => {
    el.addEventListener("click", () => window.print());
  });
  document.querySelectorAll("[data-back]").forEach((el) => {
    el.addEventListener("click", () => window.history.back());
  });
  // Auto-submit filter selects.
  document.querySelectorAll("form.filter-bar select").forEach((sel) => {
    sel.addEventListener("change", () => sel.form.submit());
  });
});
