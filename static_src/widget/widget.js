// Kringloop's website and in-app widget: the NPS question inside a company's own pages.
//
//   <script src="https://nps.example.com/widget/v1.js" data-campaign="<public key>" async></script>
//   kringloop("identify", {userId: "crm-42", email: "ann@example.com", signature: "<hmac>"});
//   kringloop("track", "checkout_completed");
//
// Built by `make widget` (esbuild) into static/widget/v1.js. It lives in a shadow root (the host's
// CSS does not reach it, its CSS does not leak out), uses no cookies, no eval and no inline
// styles or handlers (its stylesheet is constructed, which no Content-Security-Policy blocks),
// never covers more than its own corner, and does nothing at all if anything fails.
(function () {
  "use strict";
  var w = window;
  var d = document;
  var queued = (w.kringloop && w.kringloop.q) || [];
  var script = d.currentScript || d.querySelector("script[data-campaign]");
  if (!script || w.__kringloop) return;
  w.__kringloop = 1;
  var key = script.getAttribute("data-campaign");
  var base = new URL(script.src, d.baseURI).origin;
  var store = "kringloop:" + key;
  var user = null;
  var events = {};
  var config = null;
  var waiting = null; // the event the campaign waits for, once the config says so
  var shown = false;
  var host, root, token, response;

  function log(message) {
    try {
      if (w.console && console.debug) console.debug("kringloop: " + message);
    } catch (e) {}
  }

  function state(update) {
    var value = {};
    try {
      value = JSON.parse(w.localStorage.getItem(store) || "{}") || {};
      if (update) {
        for (var name in update) value[name] = update[name];
        w.localStorage.setItem(store, JSON.stringify(value));
      }
    } catch (e) {}
    return value;
  }

  function call(path, body) {
    body.key = key;
    if (user) body.user = user;
    // text/plain keeps it a "simple" cross-origin request (no preflight); no cookies either way.
    return fetch(base + "/widget/v1/" + path + "/", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body),
    }).then(function (answer) {
      return answer.json().then(function (data) {
        if (!answer.ok || !data.ok) throw new Error(data.reason || answer.status);
        return data;
      });
    });
  }

  var DAY = 864e5;

  function glob(pattern, path) {
    var source = pattern.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp("^" + source + "$").test(path);
  }

  // The rules the browser can check; the server checks the rest (and these again for the page).
  function mayAsk() {
    var now = Date.now();
    var s = state();
    if (!s.first) s = state({ first: now });
    if (s.dismissed && now - s.dismissed < config.snoozeDays * DAY) return "dismissed";
    if (s.asked && now - s.asked < config.quietDays * DAY) return "quiet-period";
    if (!user && now - s.first < config.afterDays * DAY) return "too-soon";
    if (config.pages.length && !config.pages.some(function (p) { return glob(p, location.pathname); }))
      return "page";
    if (!user) {
      if (s.draw === undefined) s = state({ draw: Math.floor(Math.random() * 100) });
      if (s.draw >= config.sample) return "not-sampled";
    }
    if (config.event && !events[config.event]) return "event";
    return "";
  }

  function consider() {
    if (!config || shown) return;
    var why = mayAsk();
    if (why) return log("not asking: " + why);
    shown = true;
    call("ask", { path: location.pathname, language: d.documentElement.lang || navigator.language || "" })
      .then(function (data) {
        if (!data.ask) return log("not asking: " + data.reason);
        token = data.token;
        state({ asked: Date.now() });
        render(data.texts, data.config);
      })
      .catch(function (e) {
        log("unavailable (" + e.message + ")");
      });
  }

  function el(tag, className, text) {
    var node = d.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  var CSS =
    ":host{all:initial}" +
    ".kl{position:fixed;bottom:16px;z-index:2147483000;box-sizing:border-box;width:calc(100vw - 32px);max-width:380px;" +
    "max-height:calc(100vh - 32px);overflow:auto;background:#fff;color:#1d1d1f;border-radius:12px;" +
    "box-shadow:0 6px 28px rgba(0,0,0,.22);padding:16px;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".r{right:16px}.l{left:16px}" +
    "h2{font-size:15px;font-weight:600;margin:0 32px 10px 0}" +
    "p{margin:0 0 8px}" +
    ".x{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;background:none;font-size:22px;line-height:1;" +
    "cursor:pointer;color:#444;border-radius:6px}" +
    ".s{display:grid;grid-template-columns:repeat(11,1fr);gap:3px;margin:6px 0 2px}" +
    ".s button,.q button{min-width:0;height:36px;padding:0;border:1px solid #8a8a8e;border-radius:6px;background:#fff;" +
    "color:#1d1d1f;font:inherit;cursor:pointer}" +
    ".s button[aria-pressed=true],.q button[aria-pressed=true]{background:var(--kl);border-color:var(--kl);color:#fff}" +
    ".e{display:flex;justify-content:space-between;font-size:12px;color:#555;margin-bottom:8px}" +
    "label,legend{display:block;font-weight:600;margin:10px 0 4px;padding:0}" +
    "fieldset{border:0;margin:0;padding:0}" +
    "textarea,input[type=text]{box-sizing:border-box;width:100%;font:inherit;border:1px solid #8a8a8e;border-radius:6px;padding:6px}" +
    ".c{display:flex;gap:6px;align-items:center;font-weight:400;margin:4px 0}" +
    ".q{display:flex;gap:4px}.q button{flex:1}" +
    ".go{margin-top:12px;width:100%;height:40px;border:0;border-radius:8px;background:var(--kl);color:#fff;font:inherit;" +
    "font-weight:600;cursor:pointer}" +
    "button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}" +
    ".err{color:#b00020}";

  function style() {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", "", CSS)); // older browsers: a host CSP may refuse it
    }
  }

  function close(dismissed) {
    if (dismissed && !response) {
      state({ dismissed: Date.now() });
      call("dismiss", {}).catch(function () {});
    }
    if (host && host.parentNode) host.parentNode.removeChild(host);
    d.removeEventListener("keydown", onKey, true);
  }

  function onKey(event) {
    if (event.key === "Escape") close(true);
  }

  function render(t, look) {
    host = el("div");
    host.setAttribute("data-kringloop", "");
    host.style.setProperty("--kl", look.colour); // CSSOM, not a style attribute: CSP allows it
    root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    style();
    var box = el("div", "kl " + (look.position === "bottom-left" ? "l" : "r"));
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "false");
    box.setAttribute("aria-labelledby", "kl-q");
    box.setAttribute("lang", t.language);
    var x = el("button", "x", "\u00d7");
    x.type = "button";
    x.setAttribute("aria-label", t.labels.close);
    x.addEventListener("click", function () { close(true); });
    var body = el("div");
    box.appendChild(x);
    box.appendChild(body);
    root.appendChild(box);
    d.body.appendChild(host);
    d.addEventListener("keydown", onKey, true);
    askScore(t, body);
  }

  function askScore(t, body) {
    var title = el("h2", "", t.question);
    title.id = "kl-q";
    var group = el("div", "s");
    group.setAttribute("role", "group");
    group.setAttribute("aria-labelledby", "kl-q");
    for (var n = 0; n <= 10; n++) {
      (function (score) {
        var b = el("button", "", String(score));
        b.type = "button";
        b.setAttribute("aria-pressed", "false");
        b.setAttribute("aria-label", t.labels.score.replace("%(score)s", score));
        b.addEventListener("click", function () {
          b.setAttribute("aria-pressed", "true");
          answer(t, body, score);
        });
        group.appendChild(b);
      })(n);
    }
    var ends = el("div", "e");
    ends.setAttribute("aria-hidden", "true");
    ends.appendChild(el("span", "", t.low));
    ends.appendChild(el("span", "", t.high));
    body.appendChild(title);
    body.appendChild(group);
    body.appendChild(ends);
  }

  function failed(t, body) {
    var p = el("p", "err", t.labels.error);
    p.setAttribute("role", "alert");
    body.appendChild(p);
  }

  function answer(t, body, score) {
    call("answer", { score: score, token: token, language: t.language })
      .then(function (data) {
        response = data.response;
        details(t, body, data.category);
      })
      .catch(function () { failed(t, body); });
  }

  function details(t, body, category) {
    body.textContent = "";
    var form = el("form");
    var label = el("label", "", t.why[category]);
    label.htmlFor = "kl-why";
    var why = el("textarea");
    why.id = "kl-why";
    why.rows = 3;
    form.appendChild(label);
    form.appendChild(why);
    var readers = [];
    t.questions.forEach(function (q) { readers.push(driver(form, q)); });
    var go = el("button", "go", t.labels.send);
    go.type = "submit";
    form.appendChild(go);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      readers.forEach(function (read) { read(answers); });
      call("details", { response: response, comment: why.value, answers: answers })
        .then(function () { thanks(t, body, category); })
        .catch(function () { failed(t, body); });
    });
    body.appendChild(form);
    why.focus();
  }

  function driver(form, q) {
    var set = el("fieldset");
    set.appendChild(el("legend", "", q.text));
    form.appendChild(set);
    var name = "kl-q" + q.id;
    if (q.kind === "csat" || q.kind === "effort") {
      var row = el("div", "q");
      var chosen = null;
      var top = q.kind === "csat" ? 5 : 7;
      for (var n = 1; n <= top; n++) {
        (function (number) {
          var b = el("button", "", String(number));
          b.type = "button";
          b.setAttribute("aria-pressed", "false");
          if (number === 1) b.setAttribute("aria-label", number + " " + q.low);
          if (number === top) b.setAttribute("aria-label", number + " " + q.high);
          b.addEventListener("click", function () {
            Array.prototype.forEach.call(row.children, function (o) { o.setAttribute("aria-pressed", "false"); });
            b.setAttribute("aria-pressed", "true");
            chosen = number;
          });
          row.appendChild(b);
        })(n);
      }
      set.appendChild(row);
      return function (answers) { if (chosen) answers[q.id] = { number: chosen }; };
    }
    if (q.kind === "single" || q.kind === "multiple") {
      var inputs = q.choices.map(function (pair, i) {
        var line = el("label", "c");
        var input = el("input");
        input.type = q.kind === "single" ? "radio" : "checkbox";
        input.name = name;
        input.value = pair[0];
        input.id = name + "-" + i;
        line.appendChild(input);
        line.appendChild(d.createTextNode(pair[1] || pair[0]));
        set.appendChild(line);
        return input;
      });
      return function (answers) {
        var picked = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
        if (picked.length) answers[q.id] = q.kind === "single" ? { text: picked[0] } : { choices: picked };
      };
    }
    var text = el("input");
    text.type = "text";
    text.setAttribute("aria-label", q.text);
    set.appendChild(text);
    return function (answers) { if (text.value) answers[q.id] = { text: text.value }; };
  }

  function thanks(t, body, category) {
    body.textContent = "";
    var title = el("h2", "", t.labels.thanks);
    title.id = "kl-q";
    title.tabIndex = -1;
    body.appendChild(title);
    body.appendChild(el("p", "", t.thanks[category] || ""));
    title.focus();
    setTimeout(function () { close(false); }, 8000);
  }

  function command(name, value) {
    try {
      if (name === "identify" && value) {
        user = { id: String(value.userId || ""), email: value.email || "", signature: value.signature || "" };
        if (value.language) user.language = value.language;
      } else if (name === "track" && value) {
        events[value] = 1;
        consider();
      }
    } catch (e) {}
  }

  w.kringloop = function (name, value) { command(name, value); };
  var id = script.getAttribute("data-user-id");
  if (id)
    command("identify", {
      userId: id,
      email: script.getAttribute("data-user-email"),
      signature: script.getAttribute("data-user-signature"),
    });
  queued.forEach(function (args) { command(args[0], args[1]); });

  function start() {
    call("config", {})
      .then(function (data) {
        config = data.config;
        consider();
      })
      .catch(function (e) { log("unavailable (" + e.message + ")"); });
  }
  // After the host page has loaded, when the browser is idle: never in the host page's way.
  function later() { (w.requestIdleCallback || setTimeout)(start, { timeout: 2000 }); }
  if (d.readyState === "complete") later();
  else w.addEventListener("load", later);
})();
