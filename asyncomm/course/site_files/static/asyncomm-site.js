// Two fixes for the libraries the site uses, loaded before them in the page's head.

// Sphinx 9.0 ends a Chinese edition's language_data.js with "window.Stemmer = ChineseStemmer;", a class it never
// defines (Chinese search stems Latin words with the English stemmer): sphinx-doc/sphinx#14229, fixed by #14416.
// Until a release has the fix, the missing name makes the English stemmer; once fixed, nothing uses it.
window.ChineseStemmer = function () {
  return new EnglishStemmer();
};

// html-manager 1.x typesets a widget's label with MathJax 2's API (MathJax.Hub.Queue), but the site loads
// MathJax 3: on a page with both a formula and a widget every label would throw. MathJax 3 has loaded (a
// deferred script) by DOMContentLoaded, and the widgets are drawn on "load", after it.
document.addEventListener("DOMContentLoaded", function () {
  var mathjax = window.MathJax;
  if (mathjax && !mathjax.Hub) {
    mathjax.Hub = {
      Queue: function (job) {
        if (mathjax.typesetPromise) {
          mathjax.typesetPromise([job[2]]);
        }
      },
    };
  }
});
