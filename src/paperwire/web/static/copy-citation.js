// paperwire: the "Copy BibTeX" button of the paper page. The page works without this
// script: the button stays hidden and the BibTeX can be selected and downloaded.
(function () {
  "use strict";
  var STATUS_SHOWN_MS = 2000;

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return selection;
  }

  // For browsers without the asynchronous clipboard (or without permission for it).
  function copyBySelection(element) {
    var selection = selectContents(element);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    if (copied) {
      selection.removeAllRanges();
    }
    // When copying failed the text stays selected, for the reader to copy by hand.
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(element) {
    var text = element.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyBySelection(element);
      });
    }
    return copyBySelection(element);
  }

  function wire(button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!source || !status) {
      return;
    }
    var timer = null;
    function say(message, forMs) {
      window.clearTimeout(timer);
      status.textContent = message;
      if (forMs) {
        timer = window.setTimeout(function () { status.textContent = ""; }, forMs);
      }
    }
    button.addEventListener("click", function () {
      copy(source).then(
        function () { say("Copied", STATUS_SHOWN_MS); },
        function () { say("Could not copy: the BibTeX is selected, copy it with Ctrl+C or ⌘C."); }
      );
    });
    button.hidden = false;
  }

  document.querySelectorAll("button[data-copy-target]").forEach(wire);
})();
