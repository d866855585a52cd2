// MathJax typesets a page's formulas a few at a time, yielding to the browser between
// batches, rather than all of them in one task (about half a second on a phone's CPU:
// Lighthouse's "total blocking time"). Sphinx inlines this after the window.MathJax options
// that MyST sets (conf.py: mathjax_config_path). Every formula on a page is in a .math element.
window.MathJax = window.MathJax || {};
window.MathJax.startup = {
  typeset: false,
  async pageReady() {
    const formulas = Array.from(document.querySelectorAll(".math"));
    for (let i = 0; i < formulas.length; i += 4) {
      await new Promise((resolve) => setTimeout(resolve));
      await window.MathJax.typesetPromise(formulas.slice(i, i + 4));
    }
  },
};
