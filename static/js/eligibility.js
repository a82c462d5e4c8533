// The request form asks the server which products the firm qualifies for as the firm types (same rules as
// routing). Without JavaScript the "检查可申请产品" button re-renders the form with the same panel.
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("eligibility");
  if (!panel) return;
  const form = panel.closest("form");
  const fields = ["firm_id", "amount_wan", "term_months", "collateral", "products_of_interest"];
  let timer = null;
  let latest = 0;
  const refresh = () => {
    const params = new URLSearchParams();
    const data = new FormData(form);
    fields.forEach((name) => data.getAll(name).forEach((v) => params.append(name, v)));
    const ticket = ++latest;
    fetch(panel.dataset.url + "?" + params.toString(), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => { if (body && ticket === latest) panel.innerHTML = body.html; })
      .catch(() => {});
  };
  form.addEventListener("input", (e) => {
    if (!fields.includes(e.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
  form.addEventListener("change", (e) => { if (fields.includes(e.target.name)) refresh(); });
  if (form.querySelector("[name=amount_wan]").value) refresh();
});
