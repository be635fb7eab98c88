// Sign-in form: posts to /auth/login (which sets the session cookie) and follows its
// redirect; a refusal is shown on the page instead of as the API's JSON error.
(function () {
  "use strict";
  var form = document.getElementById("signin");
  var shown = document.getElementById("signin-error");
  if (!form || !window.fetch) return;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    shown.hidden = true;
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) {
        if (r.ok) { window.location.assign(r.redirected ? r.url : (form.elements.next.value || "/console")); return; }
        return r.json().then(function (body) {
          var items = (body && body.detail) || [];
          shown.textContent = (items[0] && items[0].msg) || ("sign-in refused (" + r.status + ")");
          shown.hidden = false;
        });
      })
      .catch(function () { shown.textContent = "the server did not answer; try again"; shown.hidden = false; });
  });
})();
