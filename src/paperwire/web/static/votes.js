// paperwire: upvote without reloading the page. Without this script the vote buttons are
// plain POST forms that redirect back to the same page, so everything works either way.
(function () {
  "use strict";

  function show(form, result) {
    var voted = result.voted;
    form.classList.toggle("voted", voted);
    form.querySelector("input[name=up]").value = voted ? "0" : "1";
    var button = form.querySelector("button");
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    button.title = voted ? "Remove your upvote" : "Upvote";
    form.querySelector(".count").textContent = String(result.upvotes);
  }

  function sameVotes(paper) {
    return document.querySelectorAll("form.vote-form input[name=paper][value='" + CSS.escape(paper) + "']");
  }

  function send(form) {
    var data = new URLSearchParams(new FormData(form));
    form.classList.add("busy");
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": data.get("csrf") || ""
      },
      body: data.toString()
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
        return null;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }).then(function (result) {
      if (result) {
        sameVotes(result.paper).forEach(function (input) { show(input.form, result); });
      }
    }).finally(function () {
      form.classList.remove("busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote-form")) {
      return;
    }
    event.preventDefault();
    // On any failure (offline, rate limited) the plain form still works: submit it.
    send(form).catch(function () { form.submit(); });
  });
})();
