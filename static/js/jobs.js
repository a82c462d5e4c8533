// Progress bars of background jobs: poll /jobs/<id>.json (the element's data-job-url) every second and update
// the bar without reloading; when the job ends, reload the page (data-job-reload) so it shows the result.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-job-url]").forEach((box) => {
    const url = box.dataset.jobUrl;
    const field = (name) => box.querySelector(`[data-job-field="${name}"]`);
    let delay = 1000;
    const show = (job) => {
      const bar = field("bar");
      const known = job.total > 0 || job.state === "done";
      if (bar) {
        bar.style.width = `${known ? job.percent : 100}%`;
        bar.classList.toggle("progress-bar-striped", !known && !job.finished);
        bar.classList.toggle("progress-bar-animated", !known && !job.finished);
        bar.classList.toggle("bg-danger", job.state === "failed" || job.state === "expired");
        bar.parentElement.setAttribute("aria-valuenow", String(job.percent));
      }
      if (field("state_label")) field("state_label").textContent = job.state_label;
      if (field("phase")) field("phase").textContent = job.phase || "";
      // the server writes the counts in the reader's language
      if (field("counts")) field("counts").textContent = job.counts ?? (job.total ? `${job.done} / ${job.total}` : "");
      if (field("error")) field("error").textContent = job.error || "";
    };
    const poll = () => {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then((job) => {
          show(job);
          if (job.finished) {
            if (box.dataset.jobReload) window.setTimeout(() => window.location.reload(), 600);
            return;
          }
          delay = 1000;
          window.setTimeout(poll, delay);
        })
        .catch(() => { delay = Math.min(delay * 2, 15000); window.setTimeout(poll, delay); });
    };
    window.setTimeout(poll, 500);
  });
});
