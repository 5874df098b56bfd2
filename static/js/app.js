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
      htmx.ajax("GET", location.pathname + location.search, { target: "#app", swap: "innerHTML" });
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
    // The shell was served in the browser's language; the screens speak the learner's.
    var lang = event.detail.xhr && event.detail.xhr.getResponseHeader("Content-Language");
    if (lang) document.documentElement.lang = lang;
  });
  document.addEventListener("htmx:afterSettle", syncButtons);

  function applyTheme() {
    if (!since("6.1")) return;
    tg.setHeaderColor("secondary_bg_color");
    tg.setBackgroundColor("secondary_bg_color");
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
    if (!link || !since("8.0")) return;
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
    if (!since("6.9")) return;
    tg.requestWriteAccess(function (granted) {
      if (!granted) box.checked = false;
    });
  });
  // --- end of reminders

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

  // --- Review screens: keyboard shortcuts, time spent on a card, the summary's success
  // haptic, vertical swipes and pronunciation. Markup: templates/cards/review.html.
  var MAX_DURATION_MS = 10 * 60 * 1000; // the server's cap too: longer, the learner was away
  var question = null; // the question on screen, timed from when it appeared
  var shownAt = performance.now();
  var notified = null; // the summary whose haptic has fired
  var swipesOff = false;

  // Space shows the answer, 1-4 grade, U undoes (by key position, whatever the layout).
  function shortcut(event) {
    if (event.code === "Space") return "[data-review-show]";
    if (/^[1-4]$/.test(event.key)) return '[data-review-grade="' + event.key + '"]';
    if (event.code === "KeyU") return "[data-review-undo]";
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("input, textarea, select, [contenteditable]")) return;
    // Space on a focused button or link presses that one, as everywhere else.
    if (event.code === "Space" && target && target.closest("button, a")) return;
    // While htmx swaps a screen in, its new buttons are not wired yet: a click would post
    // the form outside htmx. The learner presses again once the screen is there.
    if (document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")) return;
    var selector = shortcut(event);
    var element = selector && document.querySelector(selector);
    if (!element) return;
    event.preventDefault();
    element.click();
  });

  function voiceFor(lang) {
    if (!window.speechSynthesis) return null;
    var wanted = lang.toLowerCase().replace("_", "-");
    var voices = window.speechSynthesis.getVoices();
    var normal = function (voice) {
      return voice.lang.toLowerCase().replace("_", "-");
    };
    return (
      voices.find(function (voice) { return normal(voice) === wanted; }) ||
      voices.find(function (voice) { return normal(voice).split("-")[0] === wanted.split("-")[0]; }) ||
      null
    );
  }

  // A speaker shows only where the device can speak the deck's language.
  function showSpeakers() {
    document.querySelectorAll("[data-speak-lang]").forEach(function (button) {
      button.hidden = !voiceFor(button.getAttribute("data-speak-lang"));
    });
  }

  function speak(button) {
    var voice = voiceFor(button.getAttribute("data-speak-lang"));
    var phrase = document.getElementById(button.getAttribute("data-speak-from"));
    if (!voice || !phrase) return;
    var utterance = new SpeechSynthesisUtterance(phrase.textContent);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  }

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    var grade = event.target.closest("[data-review-grade]");
    if (grade && grade.form) {
      var spent = Math.min(Math.round(performance.now() - shownAt), MAX_DURATION_MS);
      grade.form.elements.duration_ms.value = String(spent);
    }
    var speaker = event.target.closest("[data-speak-lang]");
    if (speaker) speak(speaker);
  });

  function refresh() {
    var current = document.querySelector("[data-review-question]");
    if (current && current !== question) shownAt = performance.now();
    question = current;
    var summary = document.querySelector("[data-tg-notify]");
    if (summary && summary !== notified && since("6.1")) {
      tg.HapticFeedback.notificationOccurred(summary.getAttribute("data-tg-notify"));
    }
    notified = summary;
    // A vertical swipe while grading would close the app (Telegram 7.7+ lets us stop that).
    var reviewing = !!document.querySelector("[data-review]");
    if (reviewing !== swipesOff && since("7.7")) {
      swipesOff = reviewing;
      if (reviewing) tg.disableVerticalSwipes();
      else tg.enableVerticalSwipes();
    }
    showSpeakers();
  }

  if (window.speechSynthesis) {
    window.speechSynthesis.addEventListener("voiceschanged", showSpeakers);
  }
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
