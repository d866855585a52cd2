// myst-nb labels every "Show code cell source" toggle "Toggle hidden content", a name that
// differs from the words a reader sees (axe: label-content-name-mismatch, WCAG 2.5.3).
// Without the label, the toggle is named by its visible text.
document.querySelectorAll('summary[aria-label="Toggle hidden content"]').forEach((summary) => {
  summary.removeAttribute("aria-label");
});

// Formulas are MathML (source/nvbook/mathml.py), drawn with STIX Two Math (fonts/README.md).
// The font is 400 KB and changes the size of the lines that hold formulas, so it loads only
// on pages with formulas and only once the first screen is settled: at the reader's first
// scroll, tap or key, or three seconds after the page has loaded. Until then the system's
// math font draws them.
if (document.querySelector("math")) {
  const url = new URL("fonts/STIXTwoMath-Regular.woff2", document.currentScript.src);
  const events = ["scroll", "pointerdown", "keydown"];
  let started = false;
  const loadFont = () => {
    if (started) return;
    started = true;
    events.forEach((name) => window.removeEventListener(name, loadFont));
    const font = new FontFace("STIX Two Math", `url(${url.href}) format("woff2")`);
    font.load().then((loaded) => document.fonts.add(loaded), () => {});
  };
  events.forEach((name) => window.addEventListener(name, loadFont, { passive: true, once: true }));
  window.addEventListener("load", () => setTimeout(loadFont, 3000));
}
