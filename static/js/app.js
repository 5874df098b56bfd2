// The Telegram glue: initData on every htmx request, the shell's first load, Telegram's
// MainButton and BackButton from data attributes, haptics, confirmations, errors and theme.
(function () {
  "use strict";

  var tg = window.Telegram && window.Telegram.WebApp;
  var STORAGE_KEY = "pw-init-data";
  var mainClick = null; // CSS selector of the element the MainButton clicks
  var backUrl = null; // where the BackButton goes

  function since(version) {
    return !!tg && tg.isVersionAtLeast(version);
  }

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

  // Back and forward reload a screen with a plain XMLHttpRequest: it needs initData too.
  document.addEventListener("htmx:historyCacheMiss", function (event) {
    var data = initData();
    if (data) event.detail.xhr.setRequestHeader("Authorization", "tma " + data);
  });

  function loadShell(app) {
    if (initData()) {
      // The launch header lets the server open the deck named by the start parameter,
      // once: initData (and its start_param) stays the same for the whole session.
      htmx.ajax("GET", location.pathname + location.search, {
        target: "#app",
        swap: "innerHTML",
        headers: { "X-Mini-App-Launch": "1" },
      });
    } else {
      app.querySelector(".shell-loading").hidden = true;
      app.querySelector(".shell-outside").hidden = false;
    }
  }

  function go(url) {
    htmx.ajax("GET", url, { target: "#app", swap: "innerHTML", push: "true" });
  }

  // Screens describe Telegram's buttons with data attributes (see BRIEF: the contract).
  function syncButtons() {
    var app = document.getElementById("app");
    var main = app.querySelector("[data-tg-main-button]");
    var back = app.querySelector("[data-tg-back]");
    mainClick = main && main.getAttribute("data-tg-main-click");
    backUrl = back && back.getAttribute("data-tg-back");
    if (!tg) return;
    if (main) tg.MainButton.setText(main.getAttribute("data-tg-main-button")).show();
    else tg.MainButton.hide();
    if (since("6.1")) {
      if (backUrl) tg.BackButton.show();
      else tg.BackButton.hide();
    }
  }

  function haptic(kind) {
    if (!since("6.1")) return;
    var feedback = tg.HapticFeedback;
    if (kind === "impact") feedback.impactOccurred("light");
    else if (kind === "selection") feedback.selectionChanged();
    else if (kind === "success" || kind === "error") feedback.notificationOccurred(kind);
  }

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    var touched = event.target.closest("[data-tg-haptic]");
    if (touched) haptic(touched.getAttribute("data-tg-haptic"));
    if (event.target.closest("[data-tg-close]") && tg) tg.close();
  });

  // Elements with data-confirm="<question>" ask before their request goes out: Telegram's
  // own dialog where the client has one, the browser's otherwise.
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.elt.getAttribute("data-confirm");
    if (!question) return;
    event.preventDefault();
    var answer = function (ok) {
      if (ok) event.detail.issueRequest(true);
    };
    if (since("6.2")) tg.showConfirm(question, answer);
    else answer(window.confirm(question));
  });

  // A failed request leaves the screen as it was and says so: never a blank screen.
  function flash(kind) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = box.getAttribute("data-" + kind);
    box.hidden = false;
  }

  function showReopen() {
    var template = document.getElementById("reopen");
    document.getElementById("app").replaceChildren(template.content.cloneNode(true));
    syncButtons();
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    haptic("error");
    if (xhr.status === 401 && /expired/.test(xhr.responseText)) showReopen();
    else flash(xhr.status === 404 ? "not-found" : "error");
  });
  document.addEventListener("htmx:sendError", function () {
    haptic("error");
    flash("offline");
  });
  document.addEventListener("htmx:historyCacheMissLoadError", function () {
    flash("error");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("flash");
    if (box && event.detail.successful) box.hidden = true;
  });
  document.addEventListener("htmx:afterSettle", syncButtons);

  function applyTheme() {
    if (!since("6.1")) return;
    tg.setHeaderColor("secondary_bg_color");
    tg.setBackgroundColor("secondary_bg_color");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var app = document.getElementById("app");
    var box = document.getElementById("flash");
    if (box) box.addEventListener("click", function () { box.hidden = true; });
    if (app.hasAttribute("data-shell")) loadShell(app);
    syncButtons();
    if (!tg) return;
    tg.onEvent("mainButtonClicked", function () {
      var target = mainClick && document.querySelector(mainClick);
      if (target) target.click();
    });
    tg.onEvent("backButtonClicked", function () {
      if (backUrl) go(backUrl);
    });
    tg.onEvent("themeChanged", applyTheme);
    applyTheme();
    tg.ready();
    tg.expand();
  });
})();
