// Matchmaking events: on the intention form, show only the chosen bank's products and managers.
document.addEventListener("DOMContentLoaded", () => {
  const bank = document.getElementById("bank_id");
  if (!bank) return;
  const narrowed = ["product_id", "manager_id"].map((id) => document.getElementById(id)).filter(Boolean);
  const apply = () => {
    const name = bank.selectedIndex >= 0 ? bank.options[bank.selectedIndex].text : "";
    narrowed.forEach((select) => {
      select.querySelectorAll("optgroup").forEach((group) => {
        const show = !bank.value || group.label === name || group.label === "";
        group.hidden = !show;
        group.disabled = !show;
      });
      const chosen = select.options[select.selectedIndex];
      if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) select.value = "";
    });
  };
  bank.addEventListener("change", apply);
  apply();
});
