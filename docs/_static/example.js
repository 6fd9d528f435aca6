// The example page (example.html): it opens the worked example that its address's fragment describes, in this
// browser. Python (the site's own Pyodide, in lite/static/pyodide/, with this package's wheel) reads the fragment
// with the package's reader and makes the example as `tinygrad-scalar explain` makes it (_static/example.py).
// Nothing is fetched from another host, and the fragment is never sent anywhere: browsers keep it to themselves.
//
// Whatever the address holds reaches the page only as text (textContent), never as HTML: a message quotes a
// hostile fragment, it does not run it. The stepper's page, made by Python from a checked example, is shown in a
// frame sandboxed to its own scripts (no access to this page, its storage or its address).
//
// A classic script, not a module: a browser runs it from a file: address too, where it can say that the page
// needs a web server (browsers load Python's WebAssembly and modules only over http).
//
// The page's own words (its buttons, notes and messages) are the package's, from its gettext catalogs
// (tinygrad_scalar.teaching.link.page_words): the site writes every language's words into example-words.js
// when it is built (docs/conf.py), which this page reads for the link's `lang` until Python runs; then Python
// answers with the words of the language it chose (an unknown language: English, with a note).

(function () {
"use strict";

const HERE = document.currentScript.src;
const PYODIDE = new URL("../lite/static/pyodide/", HERE);
const PACKAGES = ["tinygrad-scalar", "graphviz", "viz-js", "markdown-it-py", "mdurl", "mdit-py-plugins"];
const ALL_WORDS = window.tgsExampleWords || {};
let words = ALL_WORDS.en || {};
const MAX_FRAME_HEIGHT = 20000; // px: a frame asks for its own height; no more than this is given

const box = document.getElementById("tgs-example");
const about = document.getElementById("tgs-example-about");
const MAX_FRAGMENT = 2000; // link.MAX_FRAGMENT (tests/test_link.py checks): longer is refused before Python starts
const pageTitle = document.title;
let python = null; // the promise of Python's show(), once started
let ticketShown = 0; // which address is being shown: a later one wins

// A sentence of the page's words with its %(name)s filled in: text, or the nodes given for a name.
function sentence(key, values) {
  const parts = [];
  for (const piece of (words[key] || key).split(/(%\(\w+\)s)/)) {
    const name = /^%\((\w+)\)s$/.exec(piece);
    if (!name) parts.push(piece);
    else parts.push(values && name[1] in values ? values[name[1]] : piece);
  }
  return parts;
}

function text(key, values) {
  return sentence(key, values).join("");
}

// The words of the link's language before Python runs: the language the link names, when the site has its words.
function chooseWords(fragment) {
  const lang = new URLSearchParams(fragment).get("lang");
  words = ALL_WORDS[lang] || ALL_WORDS.en || {};
  box.lang = lang && ALL_WORDS[lang] ? lang.replace("_", "-") : "en";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function status(text) {
  box.replaceChildren(element("p", "tgs-example-status", text));
  box.setAttribute("aria-busy", "true");
}

function fail(reason, expression) {
  const panel = element("div", "tgs-example-error");
  panel.setAttribute("role", "alert");
  panel.append(element("p", "tgs-example-error-title", text("broken")));
  if (expression !== undefined) {
    const quoted = element("p");
    quoted.append(...sentence("expression", { expression: element("code", "tgs-example-expression", expression) }));
    panel.append(quoted);
  }
  const said = reason.charAt(0).toUpperCase() + reason.slice(1);
  panel.append(element("p", "tgs-example-error-reason", /[.。]$/.test(said) ? said : text("reason", { reason: said })));
  const advice = element("p");
  const command = element("code", "", "tinygrad-scalar explain EXPRESSION --at ... --link");
  advice.append(...sentence("made", { command }), " ");
  const [before, inside, after] = text("examples").split(/%\((?:start|end)\)s/);
  const examples = element("a", "", inside === undefined ? before : inside);
  examples.href = location.pathname;
  if (inside === undefined) advice.append(examples);
  else advice.append(before, examples, after || "");
  panel.append(advice);
  box.replaceChildren(panel);
  box.setAttribute("aria-busy", "false");
  document.title = pageTitle;
}

async function startPython() {
  const { loadPyodide } = await import(new URL("pyodide.mjs", PYODIDE).href);
  const pyodide = await loadPyodide({ indexURL: PYODIDE.href });
  status(text("loading"));
  const lock = await (await fetch(new URL("pyodide-lock.json", PYODIDE))).json();
  const wheels = PACKAGES.map((name) => new URL(lock.packages[name].file_name, PYODIDE).href);
  await pyodide.loadPackage(wheels, { messageCallback: () => {} });
  const code = await (await fetch(new URL("example.py", HERE))).text();
  pyodide.runPython(code);
  return pyodide;
}

async function answer(fragment) {
  const pyodide = await python;
  pyodide.globals.set("tgs_fragment", fragment);
  // runPythonAsync lets Python wait for Viz.js, which draws the pictures (JavaScript Promise Integration)
  return JSON.parse(await pyodide.runPythonAsync("show(tgs_fragment)"));
}

function modeLinks(result) {
  const nav = element("nav", "tgs-example-modes");
  nav.setAttribute("aria-label", text("modes"));
  for (const [mode, fragment] of Object.entries(result.modes)) {
    const link = element("a", mode === result.mode ? "tgs-example-mode tgs-current" : "tgs-example-mode", text(mode));
    if (fragment.startsWith("#")) link.href = fragment;
    if (mode === result.mode) link.setAttribute("aria-current", "page");
    nav.append(link);
  }
  return nav;
}

// Added to the stepper's page inside the frame: it tells this page its height, so the frame fits it.
const FIT = `<script>(function () {
  function fit() { parent.postMessage({ tgsExampleHeight: Math.ceil(document.body.getBoundingClientRect().bottom) + 16 }, "*"); }
  new ResizeObserver(fit).observe(document.body); fit();
})();</` + "script>";

function stepperFrame(page) {
  const frame = element("iframe", "tgs-example-frame");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.title = text("frame");
  frame.srcdoc = page.includes("</body>") ? page.replace("</body>", FIT + "</body>") : page + FIT;
  return frame;
}

window.addEventListener("message", (event) => {
  const frame = box.querySelector("iframe.tgs-example-frame");
  const height = event.data && event.data.tgsExampleHeight;
  if (frame && event.source === frame.contentWindow && Number.isFinite(height) && height > 0) {
    frame.style.height = Math.min(height, MAX_FRAME_HEIGHT) + "px";
  }
});

function mathjax() {
  if (!window.tgsMathJax) {
    window.tgsMathJax = new Promise((resolve, reject) => {
      window.MathJax = { startup: { typeset: false } };
      const script = element("script");
      script.src = new URL("mathjax/tex-chtml.js", HERE).href;
      script.onload = () => window.MathJax.startup.promise.then(resolve, reject);
      script.onerror = () => reject(new Error("MathJax did not load"));
      document.head.append(script);
    });
  }
  return window.tgsMathJax;
}

async function display(result, ticket) {
  const header = element("div", "tgs-example-header");
  header.append(element("code", "tgs-example-title", result.title), modeLinks(result));
  const parts = [header];
  if (result.note !== undefined) parts.push(element("p", "tgs-example-note", result.note));
  if (result.page !== undefined) {
    box.replaceChildren(...parts, stepperFrame(result.page));
  } else {
    const solution = element("div", "tgs-example-solution");
    solution.innerHTML = result.solution; // made by example.py from the package's worked solution: no raw HTML
    solution.hidden = true;
    box.replaceChildren(...parts, solution);
    try {
      await mathjax();
      if (ticket !== ticketShown) return;
      await window.MathJax.typesetPromise([solution]);
    } catch (error) {
      box.append(element("p", "tgs-example-status", text("mathjax", { error: error.message })));
    }
    solution.hidden = false;
  }
  box.setAttribute("aria-busy", "false");
  document.title = `${result.title} · ${text(result.mode)} · ${pageTitle}`;
}

async function render() {
  const ticket = ++ticketShown;
  const fragment = location.hash.slice(1);
  if (!fragment) {
    about.hidden = false;
    box.replaceChildren();
    box.setAttribute("aria-busy", "false");
    document.title = pageTitle;
    return;
  }
  about.hidden = true;
  chooseWords(fragment);
  if (location.protocol === "file:") {
    fail(text("file"));
    return;
  }
  if (fragment.length > MAX_FRAGMENT) {
    fail(text("long", { length: String(fragment.length), most: String(MAX_FRAGMENT) }));
    return;
  }
  if (!python) {
    status(text("starting"));
    python = startPython();
    python.catch(() => {
      python = null;
    });
  }
  let result;
  try {
    await python;
    if (ticket !== ticketShown) return;
    status(text("working"));
    result = await answer(fragment);
  } catch (error) {
    if (ticket === ticketShown) fail(text("python", { error: error.message }));
    return;
  }
  if (ticket !== ticketShown) return;
  if (result.words) {
    words = result.words; // the words of the language Python chose
    box.lang = result.lang;
  }
  if (result.error !== undefined) {
    fail(result.error, result.expression);
  } else {
    await display(result, ticket);
  }
}

window.addEventListener("hashchange", render);
render();
})();
