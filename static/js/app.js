// The Telegram glue: initData on every htmx request, the shell's first load, errors.
(function () {
  "use strict";

  var tg = window.Telegram && window.Telegram.WebApp;
  var STORAGE_KEY = "pw-init-data";

  // Telegram's script reads initData from the URL fragment; without the script (a plain
  // browser after the development login) we read the same fragment ourselves.
  function initData() {
    if (tg && tg.initData) return tg.initData;
    var fromHash = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
    if (fromHash) sessionStorage.setItem(STORAGE_KEY, fromHash);
    return fromHash || sessionStorage.getItem(STORAGE_KEY) || "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var data = initData();
    if (data) event.detail.headers.Authorization = "tma " + data;
  });

  function loadShell(app) {
    if (initData()) {
      htmx.ajax("GET", location.pathname + location.search, { target: "#app", swap: "innerHTML" });
    } else {
      app.querySelector(".shell-loading").hidden = true;
      app.querySelector(".shell-outside").hidden = false;
    }
  }

  // --- Sharing (deck share links) ---------------------------------------------------------
  // Elements with data-tg-share-url open Telegram's share sheet through the client, so the
  // Mini App stays open; in a plain browser the link is followed as usual.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-tg-share-url]");
    if (!link || !tg || !tg.initData) return;
    event.preventDefault();
    tg.openTelegramLink(link.getAttribute("data-tg-share-url"));
  });

  // htmx leaves the screen as it was on a 404; our own not-found pages (data-error-page, e.g. a
  // revoked share link) are swapped in so the learner reads why.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 404 && xhr.responseText.indexOf("data-error-page") !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // --- end of sharing ----------------------------------------------------------------------

  // Downloads: Telegram (Bot API 8.0+) shows its own download dialog for a signed link; older
  // clients and plain browsers follow the link.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-tg-download]");
    if (!link || !tg || !tg.isVersionAtLeast || !tg.isVersionAtLeast("8.0")) return;
    event.preventDefault();
    tg.downloadFile({ url: link.href, file_name: link.getAttribute("data-tg-download") });
  });

  // --- Reminders (accounts/reminders.py): ticking "remind me" asks Telegram to let the bot
  // write to the learner (requestWriteAccess, 6.9+). The server puts
  // data-tg-request-write-access on the checkbox only while the bot may not write yet; a
  // refusal unticks it. When granted, Telegram tells the bot itself (a service message).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches("input[data-tg-request-write-access]") || !box.checked) return;
    if (!tg || !tg.isVersionAtLeast("6.9")) return;
    tg.requestWriteAccess(function (granted) {
      if (!granted) box.checked = false;
    });
  });
  // --- end of reminders

  document.addEventListener("DOMContentLoaded", function () {
    var app = document.getElementById("app");
    if (app.hasAttribute("data-shell")) loadShell(app);
    if (tg) {
      tg.ready();
      tg.expand();
    }
  });
})();
