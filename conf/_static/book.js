// myst-nb labels every "Show code cell source" toggle "Toggle hidden content", a name that
// differs from the words a reader sees (axe: label-content-name-mismatch, WCAG 2.5.3).
// Without the label, the toggle is named by its visible text.
document.querySelectorAll('summary[aria-label="Toggle hidden content"]').forEach((summary) => {
  summary.removeAttribute("aria-label");
});
