// The Telegram glue: initData on every htmx request, the shell's first load, Telegram's
// MainButton and BackButton, haptics, confirmations, sharing, downloads, errors, theme, and
// the review screen's keys, timing and speech.
//
// The templates tell this script what to do with data attributes (the contract table is in
// docs/architecture.md): data-tg-* for Telegram's client, data-review-* for the review
// screen. One listener per event type, registered together at the end.
(function () {
  "use strict";

  var tg = window.Telegram && window.Telegram.WebApp;
  var STORAGE_KEY = "pw-init-data";
  var MAX_DURATION_MS = 10 * 60 * 1000; // the server's cap too: longer, the learner was away
  var backUrl = null; // where the BackButton goes
  var question = null; // the review question on screen, timed from when it appeared
  var shownAt = performance.now();
  var notified = null; // the summary whose haptic has fired
  var swipesOff = false;
  var closingGuarded = false; // Telegram asks before closing (unsaved changes on screen)
  // Inside a Telegram client, which shows the MainButton and the BackButton; not in a plain
  // browser after the development login (which has initData, but nobody to post events to).
  var inTelegram = !!(tg && tg.initData) &&
    (window.TelegramWebviewProxy !== undefined || window.parent !== window);
  // The device's time zone, which the server takes while the learner has chosen none.
  var timeZone = (window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone) || "";

  function since(version) {
    return !!tg && tg.isVersionAtLeast(version);
  }

  // --- initData ---------------------------------------------------------------------------
  // Telegram's script reads initData from the URL fragment; without the script (a plain
  // browser after the development login) we read the same fragment ourselves.
  function initData() {
    if (tg && tg.initData) return tg.initData;
    var fromHash = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
    if (fromHash) sessionStorage.setItem(STORAGE_KEY, fromHash);
    return fromHash || sessionStorage.getItem(STORAGE_KEY) || "";
  }

  function authorize(event) {
    var data = initData();
    if (data) event.detail.headers.Authorization = "tma " + data;
    if (timeZone) event.detail.headers["X-Time-Zone"] = timeZone;
  }

  // Back and forward reload a screen with a plain XMLHttpRequest: it needs initData too.
  function authorizeHistory(event) {
    var data = initData();
    if (data) event.detail.xhr.setRequestHeader("Authorization", "tma " + data);
  }

  // --- Screens and Telegram's buttons -----------------------------------------------------
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

  // A form the learner has changed and not sent yet (its fields differ from the page's).
  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      var initial = Array.prototype.findIndex.call(field.options, function (option) {
        return option.defaultSelected;
      });
      return field.selectedIndex !== Math.max(initial, 0);
    }
    return /^(INPUT|TEXTAREA)$/.test(field.tagName) && field.value !== field.defaultValue;
  }

  function unsavedForm() {
    return Array.prototype.find.call(document.querySelectorAll("#app form"), function (form) {
      return form.method === "post" && Array.prototype.some.call(form.elements, changed);
    });
  }

  // The screen's MainButton: data-tg-main-button's text, clicking data-tg-main-click.
  function screenMain() {
    var main = document.querySelector("#app [data-tg-main-button]");
    return main && {
      text: main.getAttribute("data-tg-main-button"),
      element: document.querySelector(main.getAttribute("data-tg-main-click")),
    };
  }

  // What the MainButton does: the screen's action, unless a form has unsaved changes that
  // action does not save: then it is that form's submit button.
  function mainAction() {
    var own = screenMain();
    var form = unsavedForm();
    var save = form && Array.prototype.find.call(form.elements, function (element) {
      return element.type === "submit";
    });
    if (save && !(own && form.contains(own.element))) {
      return { element: save, text: save.textContent.trim() };
    }
    return own;
  }

  // After every swap and every change: the MainButton, the BackButton (data-tg-back) and
  // whether closing the app asks first.
  function syncButtons() {
    var back = document.querySelector("#app [data-tg-back]");
    backUrl = back && back.getAttribute("data-tg-back");
    // Where Telegram shows no BackButton, the page has a way back of its own.
    var link = document.getElementById("back");
    link.hidden = !backUrl || (inTelegram && since("6.1"));
    if (backUrl) link.href = backUrl;
    if (!tg) return;
    var action = mainAction();
    if (action) tg.MainButton.setText(action.text).show();
    else tg.MainButton.hide();
    // The MainButton is the screen's primary action: not repeated in the page.
    var own = screenMain();
    var twin = inTelegram && own && own.element;
    // A suggested grade stays in its row, beside the grades the learner may pick instead.
    if (twin && twin.hasAttribute("data-review-grade")) twin = null;
    document.querySelectorAll(".main-button-twin").forEach(function (element) {
      element.classList.remove("main-button-twin");
    });
    if (twin) twin.classList.add("main-button-twin");
    if (since("6.1")) {
      if (backUrl) tg.BackButton.show();
      else tg.BackButton.hide();
    }
    var unsaved = !!unsavedForm();
    if (unsaved !== closingGuarded && since("6.2")) {
      closingGuarded = unsaved;
      if (unsaved) tg.enableClosingConfirmation();
      else tg.disableClosingConfirmation();
    }
  }

  function pressMain() {
    var action = mainAction();
    if (action && action.element) action.element.click();
  }

  // Leaving a form with unsaved changes asks first (the question is on <body>).
  function pressBack() {
    if (!backUrl) return;
    var url = backUrl;
    if (!unsavedForm()) return go(url);
    ask(document.body.getAttribute("data-leave-unsaved"), function (ok) {
      if (ok) go(url);
    });
  }

  // Telegram's own dialog where the client has one (6.2+), the browser's otherwise.
  function ask(question, answer) {
    if (since("6.2")) tg.showConfirm(question, answer);
    else answer(window.confirm(question));
  }

  function applyTheme() {
    if (!since("6.1")) return;
    tg.setHeaderColor("secondary_bg_color");
    tg.setBackgroundColor("secondary_bg_color");
  }

  function haptic(kind) {
    if (!since("6.1")) return;
    var feedback = tg.HapticFeedback;
    if (kind === "impact") feedback.impactOccurred("light");
    else if (kind === "selection") feedback.selectionChanged();
    else if (kind === "success" || kind === "error") feedback.notificationOccurred(kind);
  }

  // --- Review screens (templates/cards/review.html) ----------------------------------------
  // After every swap: time the question from when it appeared, fire the summary's haptic
  // once, keep vertical swipes off while reviewing, and play a listening card's sound.
  function reviewSettled() {
    var current = document.querySelector("[data-review-question]");
    if (current && current !== question) {
      shownAt = performance.now();
      var listen = current.querySelector("[data-speak-auto]");
      if (listen) speak(listen, true);
    }
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
  }

  // Space shows the answer, 1-4 grade, Enter gives the suggested grade of a typed answer, U
  // undoes (by key position, whatever the layout).
  function shortcut(event) {
    if (event.code === "Space") return "[data-review-show]";
    if (event.key === "Enter") return "[data-review-suggested]";
    if (/^[1-4]$/.test(event.key)) return '[data-review-grade="' + event.key + '"]';
    if (event.code === "KeyU") return "[data-review-undo]";
    return null;
  }

  function voiceFor(lang) {
    if (!window.speechSynthesis) return null;
    var wanted = (lang || "").toLowerCase().replace("_", "-");
    var voices = window.speechSynthesis.getVoices();
    var normal = function (voice) {
      return voice.lang.toLowerCase().replace("_", "-");
    };
    return (
      voices.find(function (voice) { return normal(voice) === wanted; }) ||
      voices.find(function (voice) {
        return normal(voice).split("-")[0] === wanted.split("-")[0];
      }) ||
      null
    );
  }

  // A speaker (data-speak-lang) plays, in this order: the phrase's own recording
  // (data-speak-audio), the device's voice for the deck's language, else the server's reading
  // (data-speak-server) through an <audio> element: Android's WebView has no speechSynthesis.
  // With none of them it says so (data-speak-none). `auto` (a listening card that appears)
  // plays what there is and says nothing when the client refuses to play without a tap.
  var player;
  function play(url) {
    if (!player) {
      player = document.createElement("audio");
      player.id = "player";
      document.body.appendChild(player);
    }
    if (window.speechSynthesis) window.speechSynthesis.cancel();
    player.src = url;
    return player.play();
  }

  function speak(button, auto) {
    var own = button.getAttribute("data-speak-audio");
    var server = button.getAttribute("data-speak-server");
    var voice = voiceFor(button.getAttribute("data-speak-lang"));
    if (own || (!voice && server)) {
      play(own || server).catch(function () {
        if (!auto) flash("error");
      });
    } else if (voice) {
      var utterance = new SpeechSynthesisUtterance(button.getAttribute("data-speak-text"));
      utterance.voice = voice;
      utterance.lang = voice.lang;
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(utterance);
    } else if (!auto) {
      say(button.getAttribute("data-speak-none"));
    }
  }

  // The recorder (data-recorder, shown where the client has MediaRecorder): the recording is
  // played back from a blob: URL and put into the form's file field (data-record-into), so it
  // is uploaded like any sound file and re-encoded on the server.
  var recorder;
  function record(button) {
    if (recorder && recorder.state === "recording") return recorder.stop();
    var box = button.closest("[data-recorder]");
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (event) {
        chunks.push(event.data);
      };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        var blob = new Blob(chunks, { type: recorder.mimeType });
        var files = new DataTransfer();
        var name = "recording." + (/mp4/.test(blob.type) ? "m4a" : "webm");
        files.items.add(new File([blob], name, { type: blob.type }));
        box.querySelector(box.getAttribute("data-record-into")).files = files.files;
        var preview = box.querySelector("audio");
        preview.src = URL.createObjectURL(blob);
        preview.hidden = false;
        button.textContent = button.getAttribute("data-record-again");
        syncButtons();
      };
      recorder.start();
      button.textContent = button.getAttribute("data-record-stop");
    }).catch(function () {
      say(button.getAttribute("data-record-refused"));
    });
  }

  function showRecorders() {
    var can = !!(navigator.mediaDevices && window.MediaRecorder && window.DataTransfer);
    document.querySelectorAll("[data-recorder]").forEach(function (box) {
      box.hidden = !can;
    });
  }

  // The grade's form sends how long the question was on screen.
  function timeGrade(button) {
    if (!button.form) return;
    var spent = Math.min(Math.round(performance.now() - shownAt), MAX_DURATION_MS);
    button.form.elements.duration_ms.value = String(spent);
  }

  // The bot prepares the message (savePreparedInlineMessage) and Telegram shows its chat
  // picker; if the bot cannot, the share sheet's link does the job.
  function sharePrepared(url, fallback) {
    fetch(url, { method: "POST", headers: { Authorization: "tma " + initData() } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (answer) {
        try {
          tg.shareMessage(answer.id);
        } catch (error) {
          // Telegram's picker is open already (a second tap): it carries on.
        }
      })
      .catch(function () {
        tg.openTelegramLink(fallback);
      });
  }

  // --- Clicks -----------------------------------------------------------------------------
  // What a click on (or inside) an element matching each selector does. Every matching row
  // runs, in this order.
  var CLICKS = [
    ["[data-tg-haptic]", function (element) {
      haptic(element.getAttribute("data-tg-haptic"));
    }],
    ["[data-tg-close]", function () {
      if (tg) tg.close();
    }],
    // Telegram's share sheet through the client, so the Mini App stays open; in a plain
    // browser the link is followed as usual. From Bot API 8.0, a message the bot prepared
    // (data-tg-share-prepared answers its id) goes through Telegram's own chat picker.
    ["[data-tg-share-url]", function (link, event) {
      if (!tg || !tg.initData) return;
      event.preventDefault();
      var prepared = link.getAttribute("data-tg-share-prepared");
      if (prepared && since("8.0")) {
        sharePrepared(prepared, link.getAttribute("data-tg-share-url"));
      } else {
        tg.openTelegramLink(link.getAttribute("data-tg-share-url"));
      }
    }],
    // Telegram (Bot API 8.0+) shows its own download dialog for a signed link; older clients
    // and plain browsers follow the link.
    ["a[data-tg-download]", function (link, event) {
      if (!since("8.0")) return;
      event.preventDefault();
      tg.downloadFile({ url: link.href, file_name: link.getAttribute("data-tg-download") });
    }],
    ["#back", function (link, event) {
      event.preventDefault();
      pressBack();
    }],
    ["[data-review-grade]", timeGrade],
    ["[data-speak-lang]", function (button) {
      speak(button, false);
    }],
    ["[data-record]", record],
    ["#flash", function (box) {
      box.hidden = true;
    }],
  ];

  function onClick(event) {
    if (!(event.target instanceof Element)) return;
    CLICKS.forEach(function (row) {
      var element = event.target.closest(row[0]);
      if (element) row[1](element, event);
    });
  }

  // The server puts data-tg-request-write-access on the "remind me" checkbox
  // (accounts/reminders.py) only while the bot may not write to the learner yet: ticking it
  // asks Telegram to let the bot write (6.9+), and a refusal unticks it. When granted,
  // Telegram tells the bot itself (a service message).
  function onChange(event) {
    var box = event.target;
    if (!box.matches("input[data-tg-request-write-access]") || !box.checked) return;
    if (!since("6.9")) return;
    tg.requestWriteAccess(function (granted) {
      if (!granted) box.checked = false;
    });
  }

  // A search box with data-filter-options="<select id>" (phraseweaver/widgets.py) shows only
  // the options holding every word typed, and selects the first of them when the selected one
  // is hidden: iOS shows hidden options all the same.
  function onInput(event) {
    var box = event.target;
    if (!(box instanceof Element) || !box.matches("[data-filter-options]")) return;
    var select = document.getElementById(box.getAttribute("data-filter-options"));
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var first = null;
    Array.prototype.forEach.call(select ? select.options : [], function (option) {
      var text = option.text.toLowerCase();
      option.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
      if (!option.hidden && !first) first = option;
    });
    var selected = select && select.options[select.selectedIndex];
    if (first && (!selected || selected.hidden)) select.value = first.value;
  }

  function onKeydown(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("input, textarea, select, [contenteditable]")) return;
    // Space or Enter on a focused button or link presses that one, as everywhere else.
    var presses = event.code === "Space" || event.key === "Enter";
    if (presses && target && target.closest("button, a")) return;
    // While htmx swaps a screen in, its new buttons are not wired yet: a click would post
    // the form outside htmx. The learner presses again once the screen is there.
    if (document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")) return;
    var selector = shortcut(event);
    var element = selector && document.querySelector(selector);
    if (!element) return;
    event.preventDefault();
    element.click();
  }

  // A typed answer is sent: the keyboard closes (Telegram's hideKeyboard, Bot API 9.1; else
  // the input lets go of the focus, which closes it on phones).
  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof Element) || !form.matches("[data-review-typed]")) return;
    if (since("9.1") && tg.hideKeyboard) tg.hideKeyboard();
    else if (document.activeElement) document.activeElement.blur();
  }

  // --- Forms that keep what the learner types (data-keep-typing) ---------------------------
  // Adding cards on a slow connection: an Add tapped while the previous card is on its way
  // waits its turn (hx-sync="this:queue all") and sends the fields as they were when it was
  // tapped; the answer that empties the form puts back what was typed since its request left.
  var typed = null; // name → value typed into a data-keep-typing form during its request

  function keepSubmitted(detail) {
    if (detail.elt.matches("form[data-keep-typing]") && !detail.etc.values) {
      detail.etc.values = Object.fromEntries(new FormData(detail.elt));
    }
  }

  function rememberTyped(detail) {
    typed = null;
    var form = detail.elt;
    if (!form.matches("form[data-keep-typing]") || !detail.shouldSwap) return;
    var sent = detail.requestConfig.formData;
    typed = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && sent.has(field.name) && field.value !== sent.get(field.name)) {
        typed[field.name] = field.value;
      }
    });
  }

  function restoreTyped(event) {
    var form = event.detail.elt;
    if (!typed || !form.matches("form[data-keep-typing]")) return;
    Object.keys(typed).forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      field.value = typed[name];
      var details = field.closest("details");
      if (details) details.open = true;
    });
    // The learner is typing somewhere: the answer's autofocus must not move them.
    if (Object.keys(typed).length) {
      form.querySelectorAll("[autofocus]").forEach(function (element) {
        element.removeAttribute("autofocus");
      });
    }
    typed = null;
  }

  // --- Confirmations and errors -----------------------------------------------------------
  // Elements with data-confirm="<question>" ask before their request goes out.
  function confirmRequest(event) {
    var text = event.detail.elt.getAttribute("data-confirm");
    if (!text) return;
    event.preventDefault();
    ask(text, function (ok) {
      if (ok) event.detail.issueRequest(true);
    });
  }

  // A failed request leaves the screen as it was and says so (#flash carries the messages
  // in data-error, data-offline and data-not-found): never a blank screen.
  function flash(kind) {
    var box = document.getElementById("flash");
    if (box) say(box.getAttribute("data-" + kind));
  }

  function say(text) {
    var box = document.getElementById("flash");
    if (!box || !text) return;
    box.textContent = text;
    box.hidden = false;
  }

  function showReopen() {
    var template = document.getElementById("reopen");
    document.getElementById("app").replaceChildren(template.content.cloneNode(true));
    syncButtons();
  }

  // A 401 names its reason in `WWW-Authenticate: tma realm="…", error="<code>"`
  // (accounts/middleware.py); the body is the same reason in words, for people.
  function authError(xhr) {
    var match = /\berror="([^"]*)"/.exec(xhr.getResponseHeader("WWW-Authenticate") || "");
    return match ? match[1] : "";
  }

  function responseError(event) {
    var xhr = event.detail.xhr;
    haptic("error");
    if (xhr.status === 401 && authError(xhr) === "expired") showReopen();
    else flash(xhr.status === 404 ? "not-found" : "error");
  }

  function sendError() {
    haptic("error");
    flash("offline");
  }

  // htmx leaves the screen as it was on an error; our own error pages (a revoked share link),
  // marked by the X-Error-Page header, are swapped in so the learner reads why.
  function beforeSwap(event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("X-Error-Page")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    rememberTyped(event.detail);
  }

  function afterRequest(event) {
    var box = document.getElementById("flash");
    if (box && event.detail.successful) box.hidden = true;
    // The shell was served in the browser's language; the screens speak the learner's.
    var lang = event.detail.xhr && event.detail.xhr.getResponseHeader("Content-Language");
    if (lang) document.documentElement.lang = lang;
  }

  // --- Start and every swap ---------------------------------------------------------------
  function settled() {
    syncButtons();
    reviewSettled();
    showRecorders();
  }

  function start() {
    var app = document.getElementById("app");
    if (app.hasAttribute("data-shell")) loadShell(app);
    syncButtons();
    if (tg) {
      tg.onEvent("mainButtonClicked", pressMain);
      tg.onEvent("backButtonClicked", pressBack);
      tg.onEvent("themeChanged", applyTheme);
      applyTheme();
      tg.ready();
      tg.expand();
    }
    reviewSettled();
  }

  var LISTENERS = {
    DOMContentLoaded: start,
    click: onClick,
    change: function (event) {
      onChange(event);
      syncButtons();
    },
    input: function (event) {
      onInput(event);
      syncButtons();
    },
    keydown: onKeydown,
    submit: onSubmit,
    "htmx:configRequest": authorize,
    "htmx:historyCacheMiss": authorizeHistory,
    "htmx:confirm": function (event) {
      keepSubmitted(event.detail);
      confirmRequest(event);
    },
    "htmx:beforeSwap": beforeSwap,
    "htmx:afterSwap": function (event) {
      // A new screen starts at its top.
      if (event.detail.target.id === "app") window.scrollTo(0, 0);
      restoreTyped(event);
    },
    "htmx:responseError": responseError,
    "htmx:sendError": sendError,
    "htmx:historyCacheMissLoadError": function () {
      flash("error");
    },
    "htmx:afterRequest": afterRequest,
    "htmx:afterSettle": settled,
  };
  Object.keys(LISTENERS).forEach(function (type) {
    document.addEventListener(type, LISTENERS[type]);
  });
  // Under DEBUG (make run) django-htmx's script puts any 404 in place of the whole document;
  // our own error pages (X-Error-Page) stop before it (capture) and are shown inside the app.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (event.detail.xhr.getResponseHeader("X-Error-Page")) event.stopPropagation();
  }, true);
})();
