/* The case page: links that open a tab of "Work the case" (their href opens it without JavaScript),
   and the tab kept in the address, so a reload comes back to it. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-show-tab]");
    if (!link || typeof bootstrap === "undefined") return;
    const tab = document.getElementById("tab-" + link.dataset.showTab);
    if (!tab) return;
    event.preventDefault();
    bootstrap.Tab.getOrCreateInstance(tab).show();
    tab.focus();
  });
  document.addEventListener("shown.bs.tab", function (event) {
    const url = new URL(event.target.href, window.location.href);
    history.replaceState(null, "", url.pathname + url.search);
  });
})();
