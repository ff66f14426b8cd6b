// The only script of our own: no inline scripts, so the Content-Security-Policy can forbid them.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
