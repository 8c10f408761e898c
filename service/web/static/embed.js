/* Standards Desk comment widget. Embed with
 *   <div data-standards-desk data-article-id="…"></div>
 *   <script src="https://<service>/widget/v1/embed.js" async></script>
 * Plain JS, no dependencies, no third-party requests. Every text that comes from readers or the
 * server is put into the page with textContent, never parsed as HTML. */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[src*='/widget/v1/embed']");
  if (!script || window.__standardsDesk) return;
  window.__standardsDesk = true;
  var SERVICE = new URL(script.src, location.href).origin;
  // Filled in by the service when it serves this file.
  var CSS_PATH = "__SD_CSS_PATH__";
  var MAX = Number("__SD_MAX_LENGTH__") || 250;
  var REPORT_REASONS = ["offensive", "abusive", "spam", "personal_info", "other"];
  var LOGIN_MESSAGE = "standards-desk:login";
  var LOGIN_ERROR = "standards-desk:login-error";

  var TEXT = {
    en: {
      comments: "Comments", login: "Log in with {0}", pleaseLogin: "To write comments, please log in",
      logout: "Log out", loggedInAs: "Logged in as", yourComment: "Your comment", post: "Post comment",
      counter: "characters used of", policy: "Standards Board Policy",
      pending: "Your comment is awaiting review", published: "Your comment is published",
      refused: "Your comment was not posted:", awaiting: "Awaiting review", more: "More comments",
      none: "No comments yet. Be the first.", report: "Report", reportWhy: "Why are you reporting this comment?",
      send: "Send report", cancel: "Cancel", reported: "Thank you. The moderators will look at this comment.",
      reportLogin: "Please log in to report comments.", loginFailed: "Login did not work. Please try again.",
      popupBlocked: "Please allow pop-up windows for this site to log in.",
      network: "The comment service could not be reached. Please try again.",
      tooLong: "The comment is too long.", tooShort: "The comment is empty.",
      invalid: "The comment contains characters that are not allowed.",
      rate: "You are posting too quickly. Please wait a moment.",
      banned: "Your account may not post comments.", closed: "Comments on this article are closed.",
      expired: "Your session has ended. Please log in again.", failed: "Something went wrong. Please try again.",
      reasons: {
        offensive: "Offensive", abusive: "Abusive or harassing", spam: "Spam or advertising",
        personal_info: "Personal information", other: "Something else"
      }
    },
    ko: {
      comments: "댓글", login: "{0} 계정으로 로그인", pleaseLogin: "댓글을 쓰려면 로그인해 주세요",
      logout: "로그아웃", loggedInAs: "로그인:", yourComment: "댓글 입력", post: "댓글 등록",
      counter: "자 입력, 최대", policy: "편집위원회 운영 원칙",
      pending: "댓글이 검토를 기다리고 있습니다", published: "댓글이 게시되었습니다",
      refused: "댓글이 등록되지 않았습니다:", awaiting: "검토 대기 중", more: "댓글 더 보기",
      none: "아직 댓글이 없습니다. 첫 댓글을 남겨 주세요.", report: "신고",
      reportWhy: "이 댓글을 신고하는 이유는 무엇인가요?", send: "신고하기", cancel: "취소",
      reported: "신고해 주셔서 감사합니다. 검토자가 확인하겠습니다.",
      reportLogin: "신고하려면 로그인해 주세요.", loginFailed: "로그인하지 못했습니다. 다시 시도해 주세요.",
      popupBlocked: "로그인하려면 이 사이트의 팝업 창을 허용해 주세요.",
      network: "댓글 서비스에 연결하지 못했습니다. 다시 시도해 주세요.",
      tooLong: "댓글이 너무 깁니다.", tooShort: "댓글이 비어 있습니다.",
      invalid: "댓글에 쓸 수 없는 문자가 있습니다.",
      rate: "댓글을 너무 빨리 쓰고 있습니다. 잠시 후 다시 시도해 주세요.",
      banned: "이 계정으로는 댓글을 쓸 수 없습니다.", closed: "이 기사의 댓글은 닫혔습니다.",
      expired: "로그인이 만료되었습니다. 다시 로그인해 주세요.", failed: "문제가 생겼습니다. 다시 시도해 주세요.",
      reasons: {
        offensive: "불쾌한 표현", abusive: "욕설·괴롭힘", spam: "스팸·광고",
        personal_info: "개인정보 노출", other: "기타"
      }
    }
  };
  var ERROR_TEXT = {
    comment_too_long: "tooLong", comment_too_short: "tooShort", comment_invalid: "invalid",
    rate_limited: "rate", user_banned: "banned", user_suspended: "banned", comments_closed: "closed"
  };

  // --- the reader's session, shared by every widget on the page -------------------------------
  // A bearer token from the login popup lives only in this variable; a same-site page may
  // instead ride on the service's cookie, which then needs the CSRF token from /auth/me.
  var auth = { user: null, token: null, csrf: null };
  var widgets = [];
  var loginPopup = null;

  function setAuth(next) {
    auth = next;
    widgets.forEach(function (w) { w.onAuth(); });
  }

  function api(method, path, body, headers, asReader) {
    var h = Object.assign({}, headers || {});
    var credentials = "omit";
    if (asReader && auth.token) {
      h.Authorization = "Bearer " + auth.token;
    } else if (asReader) {
      credentials = "include";
      if (method !== "GET" && auth.csrf) h["X-CSRF-Token"] = auth.csrf;
    }
    var init = { method: method, headers: h, credentials: credentials, mode: "cors" };
    if (body !== undefined) {
      h["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(SERVICE + path, init).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parsed = type.indexOf("application/json") === 0 ? response.json() : Promise.resolve(null);
      return parsed.then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function checkCookieSession() {
    return api("GET", "/auth/me", undefined, null, true).then(function (r) {
      // No notice to the widgets here: start() renders them once both answers are in.
      if (r.status === 200 && !auth.token) auth = { user: r.data.user, token: null, csrf: r.data.csrf_token };
    }, function () {});
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== SERVICE || !loginPopup || event.source !== loginPopup) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === LOGIN_MESSAGE && typeof data.token === "string") {
      loginPopup = null;
      setAuth({ user: data.user, token: data.token, csrf: null });
    } else if (data.type === LOGIN_ERROR) {
      loginPopup = null;
      widgets.forEach(function (w) { w.say(w.t.loginFailed, "error"); });
    }
  });

  // --- counting as the server does ------------------------------------------------------------
  // Python's str.strip() set, which differs from String.prototype.trim() (U+FEFF, U+001C-1F, U+0085).
  var EDGE_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function normalise(text) {
    return text.replace(/\r\n?/g, "\n").normalize("NFC").replace(EDGE_SPACE, "");
  }

  function graphemes(text) {
    var count = 0;
    if (!segmenter) return Array.from(text).length;
    for (var it = segmenter.segment(text)[Symbol.iterator](), s = it.next(); !s.done; s = it.next()) count++;
    return count;
  }

  function countOf(text) { return graphemes(normalise(text)); }

  // --- small DOM helpers ----------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function avatar(name) {
    // Initials, not the provider's picture: that would be a request to a third party.
    var first = (name || "?").trim();
    first = segmenter ? (Array.from(segmenter.segment(first))[0] || { segment: "?" }).segment : first.charAt(0);
    return el("span", { "class": "sd-avatar", "aria-hidden": "true", text: first.toUpperCase() });
  }

  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function relative(iso, lang) {
    var seconds = (Date.parse(iso) - Date.now()) / 1000;
    var format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(seconds) >= UNITS[i][1]) return format.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
    }
    return format.format(0, "second");
  }

  var uid = 0;

  // --- one widget -----------------------------------------------------------------------------
  function Widget(root) {
    var lang = (root.getAttribute("data-lang") || (root.closest("[lang]") || document.documentElement).lang || "en").toLowerCase();
    this.lang = lang.indexOf("ko") === 0 ? "ko" : "en";
    this.t = TEXT[this.lang];
    this.root = root;
    this.article = root.getAttribute("data-article-id") || "";
    this.id = "sd" + ++uid;
    this.cursor = null;
    this.key = null;
    this.keyBody = null;
    this.busy = false;
    this.providers = [];
    this.build();
  }

  Widget.prototype.build = function () {
    var t = this.t;
    this.heading = el("h2", { "class": "sd-title", id: this.id + "-title", text: t.comments });
    this.account = el("div", { "class": "sd-account" });
    this.compose = el("div", { "class": "sd-compose" });
    this.status = el("div", { "class": "sd-status", role: "status", "aria-live": "polite" });
    this.mine = el("ul", { "class": "sd-list sd-mine" });
    this.list = el("ul", { "class": "sd-list" });
    this.more = el("button", { type: "button", "class": "sd-button sd-more", hidden: true, text: t.more, onclick: this.loadPage.bind(this) });
    this.section = el("section", { "class": "sd", lang: this.lang, "aria-labelledby": this.id + "-title" },
      [this.heading, this.account, this.compose, this.status, this.mine, this.list, this.more]);
    clear(this.root);
    this.root.appendChild(this.section);
  };

  Widget.prototype.path = function () {
    return "/api/v1/articles/" + encodeURIComponent(this.article) + "/comments";
  };

  Widget.prototype.say = function (message, kind, details) {
    clear(this.status);
    this.status.className = "sd-status" + (kind ? " sd-" + kind : "");
    if (!message) return;
    this.status.appendChild(el("p", { text: message }));
    if (details && details.length) {
      this.status.appendChild(el("ul", {}, details.map(function (d) { return el("li", { text: d }); })));
    }
  };

  Widget.prototype.onAuth = function () {
    this.renderAccount();
    clear(this.mine);
    if (auth.user) this.loadMine();
  };

  Widget.prototype.renderAccount = function () {
    var t = this.t;
    var self = this;
    clear(this.account);
    clear(this.compose);
    if (!auth.user) {
      this.account.appendChild(el("p", { "class": "sd-hint", text: t.pleaseLogin }));
      this.account.appendChild(el("div", { "class": "sd-logins" }, this.providers.map(function (p) {
        return el("button", { type: "button", "class": "sd-button sd-login", "data-provider": p.name,
          text: t.login.replace("{0}", p.label), onclick: function () { self.login(p.name); } });
      })));
      return;
    }
    this.account.appendChild(el("div", { "class": "sd-me" }, [
      avatar(auth.user.name),
      el("span", { "class": "sd-name" }, [el("span", { "class": "sd-visually-hidden", text: t.loggedInAs + " " }), auth.user.name]),
      el("button", { type: "button", "class": "sd-link-button sd-logout", text: t.logout, onclick: this.logout.bind(this) })
    ]));
    this.renderForm();
  };

  Widget.prototype.renderForm = function () {
    var t = this.t;
    var self = this;
    var boxId = this.id + "-body";
    var countId = this.id + "-count";
    this.textarea = el("textarea", { id: boxId, "class": "sd-textarea", rows: "4", "aria-describedby": countId,
      oninput: function () { self.updateCounter(); } });
    this.counter = el("span", { "class": "sd-counter", id: countId, "aria-live": "polite" });
    this.submit = el("button", { type: "submit", "class": "sd-button sd-submit", text: t.post });
    this.compose.appendChild(el("form", { "class": "sd-form", onsubmit: function (e) { e.preventDefault(); self.post(); } }, [
      el("label", { "for": boxId, "class": "sd-label", text: t.yourComment }),
      this.textarea,
      el("div", { "class": "sd-row" }, [
        this.counter,
        el("a", { href: SERVICE + "/policy", "class": "sd-policy", target: "_blank", rel: "noopener", text: t.policy }),
        this.submit
      ])
    ]));
    this.updateCounter();
  };

  Widget.prototype.updateCounter = function () {
    var n = countOf(this.textarea.value);
    this.counter.textContent = n + "/" + MAX;
    this.counter.setAttribute("aria-label", this.lang === "ko" ? n + this.t.counter + " " + MAX : n + " " + this.t.counter + " " + MAX);
    this.counter.classList.toggle("sd-over", n > MAX);
    this.textarea.setAttribute("aria-invalid", n > MAX ? "true" : "false");
    this.submit.disabled = this.busy || n < 1 || n > MAX;
  };

  Widget.prototype.login = function (provider) {
    var url = SERVICE + "/auth/" + encodeURIComponent(provider) + "/login?mode=popup&origin=" + encodeURIComponent(location.origin);
    var popup = window.open(url, "sd-login", "width=600,height=700");
    if (!popup) return this.say(this.t.popupBlocked, "error");
    loginPopup = popup;
    this.say("");
  };

  Widget.prototype.logout = function () {
    var self = this;
    api("POST", "/auth/logout", undefined, null, true).then(function () {
      setAuth({ user: null, token: null, csrf: null });
      self.say("");
    }, function () { self.say(self.t.network, "error"); });
  };

  Widget.prototype.errorText = function (r) {
    var error = r.data && r.data.error;
    if (r.status === 401) return this.t.expired;
    if (error && ERROR_TEXT[error.code]) return this.t[ERROR_TEXT[error.code]];
    return this.t.failed;
  };

  Widget.prototype.post = function () {
    var self = this;
    var body = this.textarea.value;
    var n = countOf(body);
    if (this.busy || n < 1 || n > MAX) return;
    // One key per text: a retry of the same text after a lost answer is the same comment.
    if (this.key === null || this.keyBody !== body) {
      this.key = randomKey();
      this.keyBody = body;
    }
    this.busy = true;
    this.updateCounter();
    api("POST", this.path(), { body: body }, { "Idempotency-Key": this.key }, true).then(function (r) {
      self.busy = false;
      self.key = null;
      if (r.status === 201) {
        self.textarea.value = "";
        if (r.data.status === "approved") {
          self.say(self.t.published, "ok");
          self.list.insertBefore(self.item(r.data, false), self.list.firstChild);
        } else {
          self.say(self.t.pending, "ok");
          self.mine.insertBefore(self.item(r.data, true), self.mine.firstChild);
        }
      } else if (r.status === 422 && r.data && r.data.error.code === "comment_rejected") {
        var reasons = (r.data.error.details.reasons || []).map(function (reason) {
          return reason[self.lang] || reason.en || reason.rule;
        });
        self.say(self.t.refused, "error", reasons);
      } else {
        if (r.status === 401) setAuth({ user: null, token: null, csrf: null });
        self.say(self.errorText(r), "error");
      }
      if (self.textarea) self.updateCounter();
    }, function () {
      self.busy = false;
      self.say(self.t.network, "error");
      self.updateCounter();
    });
  };

  Widget.prototype.item = function (comment, own) {
    var t = this.t;
    var time = el("time", { datetime: comment.created_at, title: new Date(comment.created_at).toLocaleString(this.lang),
      text: relative(comment.created_at, this.lang) });
    var head = el("div", { "class": "sd-meta" }, [avatar(comment.author.name),
      el("span", { "class": "sd-name", text: comment.author.name }), time]);
    if (own) head.appendChild(el("span", { "class": "sd-badge", text: t.awaiting }));
    var li = el("li", { "class": "sd-comment" + (own ? " sd-own" : ""), "data-comment-id": comment.id },
      [head, el("p", { "class": "sd-body", text: comment.body })]);
    if (!own) {
      var report = el("button", { type: "button", "class": "sd-link-button sd-report", "aria-expanded": "false", text: t.report });
      report.addEventListener("click", this.toggleReport.bind(this, li, report, comment.id));
      li.appendChild(report);
    }
    return li;
  };

  Widget.prototype.toggleReport = function (li, button, commentId) {
    var self = this;
    var t = this.t;
    var open = li.querySelector(".sd-report-form, .sd-note");
    if (open) {
      li.removeChild(open);
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    if (!auth.user) {
      li.appendChild(el("p", { "class": "sd-note", role: "status", text: t.reportLogin }));
      return;
    }
    var name = this.id + "-" + commentId + "-reason";
    var note = el("p", { "class": "sd-note", role: "status", "aria-live": "polite" });
    var form = el("form", { "class": "sd-report-form" }, [
      el("fieldset", {}, [el("legend", { text: t.reportWhy })].concat(REPORT_REASONS.map(function (reason, i) {
        return el("label", { "class": "sd-choice" }, [
          el("input", { type: "radio", name: name, value: reason, required: true, checked: i === 0 }), " " + t.reasons[reason]]);
      }))),
      el("button", { type: "submit", "class": "sd-button", text: t.send }),
      el("button", { type: "button", "class": "sd-link-button", text: t.cancel, onclick: function () { self.toggleReport(li, button, commentId); } }),
      note
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var reason = form.querySelector("input:checked").value;
      api("POST", "/api/v1/comments/" + encodeURIComponent(commentId) + "/reports", { reason: reason }, null, true).then(function (r) {
        if (r.status === 200 || r.status === 201) {
          li.replaceChild(el("p", { "class": "sd-note", role: "status", text: t.reported }), form);
          button.disabled = true;
        } else {
          note.textContent = self.errorText(r);
        }
      }, function () { note.textContent = t.network; });
    });
    li.appendChild(form);
    form.querySelector("input").focus();
  };

  Widget.prototype.loadPage = function () {
    var self = this;
    var query = "?limit=10" + (this.cursor ? "&cursor=" + encodeURIComponent(this.cursor) : "");
    this.more.disabled = true;
    return api("GET", this.path() + query).then(function (r) {
      self.more.disabled = false;
      if (r.status !== 200) return self.say(self.errorText(r), "error");
      if (typeof r.data.approved_count === "number") {
        self.heading.textContent = self.t.comments + " (" + r.data.approved_count + ")";
      }
      if (!self.cursor && !r.data.comments.length) {
        self.list.appendChild(el("li", { "class": "sd-empty", text: self.t.none }));
      }
      r.data.comments.forEach(function (c) { self.list.appendChild(self.item(c, false)); });
      self.cursor = r.data.next_cursor;
      self.more.hidden = !self.cursor;
    }, function () {
      self.more.disabled = false;
      self.say(self.t.network, "error");
    });
  };

  Widget.prototype.loadMine = function () {
    var self = this;
    api("GET", "/api/v1/me/comments", undefined, null, true).then(function (r) {
      if (r.status !== 200) return;
      clear(self.mine);
      r.data.comments.forEach(function (c) {
        if (c.article_id === self.article && c.status === "pending") self.mine.appendChild(self.item(c, true));
      });
    }, function () {});
  };

  Widget.prototype.refreshTimes = function () {
    var lang = this.lang;
    Array.prototype.forEach.call(this.section.querySelectorAll("time"), function (node) {
      node.textContent = relative(node.getAttribute("datetime"), lang);
    });
  };

  // --- start ----------------------------------------------------------------------------------
  function start() {
    if (!document.querySelector("link[data-standards-desk]")) {
      document.head.appendChild(el("link", { rel: "stylesheet", href: SERVICE + CSS_PATH, "data-standards-desk": true }));
    }
    var roots = document.querySelectorAll("[data-standards-desk]:not(link)");
    widgets = Array.prototype.map.call(roots, function (root) { return new Widget(root); });
    widgets.forEach(function (w) { w.loadPage(); });
    var providers = api("GET", "/auth/providers").then(function (r) {
      var list = r.status === 200 ? r.data.providers : [];
      widgets.forEach(function (w) { w.providers = list; });
    }, function () {});
    Promise.all([providers, checkCookieSession()]).then(function () {
      widgets.forEach(function (w) { w.onAuth(); });
    });
    setInterval(function () { widgets.forEach(function (w) { w.refreshTimes(); }); }, 60000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
