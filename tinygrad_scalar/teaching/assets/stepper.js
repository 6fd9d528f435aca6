/* The stepper (teaching/stepper.py): buttons, slider and arrow keys move through the frames; each
   picture is sized to the window (its text never under 12 px, never over 1.25 times its natural size),
   the box of the step's text is as tall as the longest step so the picture keeps still, and the values
   a step outlines are scrolled into view. The ask-before-reveal form checks answers against its data
   (read with tgsReadData, views/assets/data.js). Every sentence it writes comes from the page's words, in the
   page's language (teaching/stepper.py), filled in with tgsFill. */
function tgsStepper(root, wholePage) {
  var MIN_TEXT = 12, MAX_SCALE = 1.25, GAP = 8;
  root.classList.add("tgs-js");
  var frames = root.querySelectorAll(".tgs-frame");
  var equations = root.querySelectorAll(".tgs-equation");
  var text = root.querySelector(".tgs-text");
  var slider = root.querySelector(".tgs-slider");
  var counter = root.querySelector(".tgs-counter");
  var current = 0;
  var data = root.querySelector(".tgs-data");
  var quiz = data ? tgsReadData(data) : null;  // ask-before-reveal: the questions of each frame
  var words = tgsReadData(root.querySelector(".tgs-words"));  // the page's sentences, in its language
  function counterText(part, n, asking) {
    return tgsFill(asking ? words.counterAsking : words.counter, { part: words[part + "Pass"], n: n, total: frames.length });
  }

  function open(k) {  // the questions of frame k not yet answered right or revealed
    if (!quiz || !quiz.frames[k]) { return 0; }
    return quiz.frames[k].filter(function (q) { return !q.state; }).length;
  }
  function firstOpen() {
    for (var k = 0; k < frames.length; k++) { if (open(k)) { return k; } }
    return frames.length - 1;
  }
  function reserveText() {  // the text's box as tall as its tallest step
    var blocks = text.querySelectorAll(".tgs-equation, .tgs-quiz");
    var tallest = 0;
    text.style.minHeight = "";
    blocks.forEach(function (block) {
      var shown = [];
      blocks.forEach(function (other) { shown.push(other.style.display); other.style.display = "none"; });
      block.style.display = "block";
      tallest = Math.max(tallest, text.getBoundingClientRect().height);
      blocks.forEach(function (other, i) { other.style.display = shown[i]; });
    });
    text.style.minHeight = tallest + "px";
  }
  function reserveCounter() {  // the counter as wide as its longest text, so the buttons never move
    var longest = 0, shown = counter.textContent;
    counter.style.minWidth = "";
    ["forward", "backward"].forEach(function (part) {
      counter.textContent = counterText(part, frames.length, !!quiz);
      longest = Math.max(longest, counter.getBoundingClientRect().width);
    });
    counter.textContent = shown;
    counter.style.minWidth = Math.ceil(longest) + "px";
  }
  function shownPicture(frame) {  // the picture a frame shows now: the question's or the step's
    var pictures = Array.from(frame.querySelectorAll("svg"));
    return pictures.filter(function (svg) { return svg.getClientRects().length > 0; })[0] || pictures[0];
  }
  function fit(frame) {  // the picture as large as the room allows, its text at least MIN_TEXT px high
    frame.querySelectorAll("svg").forEach(function (svg) {
      var width = parseFloat(svg.getAttribute("width")) * 4 / 3;  // dot writes points; CSS pixels
      var height = parseFloat(svg.getAttribute("height")) * 4 / 3;
      var sizes = Array.from(svg.querySelectorAll("text")).map(function (t) {
        return parseFloat(t.getAttribute("font-size"));
      }).filter(isFinite);
      var font = (sizes.length ? Math.min.apply(null, sizes) : 14) * 4 / 3;
      var top = frame.getBoundingClientRect().top;
      var above = wholePage ? top + window.scrollY : top - root.getBoundingClientRect().top;
      var room = Math.max(window.innerHeight - above - GAP, 0);
      var scale = Math.min(frame.clientWidth / width, room / height, MAX_SCALE);
      scale = Math.max(scale, MIN_TEXT / font);
      svg.style.width = width * scale + "px";
      svg.style.height = height * scale + "px";
    });
  }
  function keepInView(frame) {  // the outlined values on screen, scrolling the frame or the page
    var svg = shownPicture(frame);
    var marked = svg ? Array.from(svg.querySelectorAll("g.tgs-outlined")) : [];
    if (!marked.length) { return; }
    var box = frame.getBoundingClientRect(), left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    marked.forEach(function (g) {
      var r = g.getBoundingClientRect();
      left = Math.min(left, r.left); top = Math.min(top, r.top);
      right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
    });
    var focus = frame.querySelector(".tgs-focus");
    if (!focus) { focus = document.createElement("div"); focus.className = "tgs-focus"; frame.appendChild(focus); }
    focus.style.left = left - box.left + frame.scrollLeft + "px";
    focus.style.top = top - box.top + frame.scrollTop + "px";
    focus.style.width = right - left + "px";
    focus.style.height = bottom - top + "px";
    focus.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i, firstOpen()));
    var asking = open(current) > 0;
    for (var k = 0; k < frames.length; k++) {
      frames[k].classList.toggle("tgs-current", k === current);
      frames[k].classList.toggle("tgs-asking", k === current && asking);
      equations[k].classList.toggle("tgs-current", k === current && !asking);
      var box = root.querySelector('.tgs-quiz[data-frame="' + k + '"]');
      if (box) { box.classList.toggle("tgs-current", k === current); }
    }
    slider.value = current;
    var part = equations[current].getAttribute("data-part");
    counter.textContent = counterText(part, current + 1, asking);
    root.setAttribute("data-step", current);
    fit(frames[current]);
    keepInView(frames[current]);
    if (asking) {
      var input = root.querySelector('.tgs-quiz[data-frame="' + current + '"] .tgs-answer:not([disabled])');
      if (input) { input.focus({ preventScroll: true }); }
    }
  }
  function close(a, b) {
    return Math.abs(a - b) <= Math.max(quiz.abs, quiz.rel * Math.abs(b));
  }
  function parse(answer) {
    answer = answer.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var parts = answer.split("/");
    if (answer === "" || parts.length > 2) { return NaN; }
    var value = Number(parts[0]);
    if (parts.length === 2) { value = value / Number(parts[1]); }
    return isFinite(value) ? value : NaN;
  }
  function score() {
    var all = [], right = 0, first = 0, revealed = 0;
    quiz.frames.forEach(function (qs) { if (qs) { all = all.concat(qs); } });
    all.forEach(function (q) {
      if (q.state === "right") { right++; if (q.tries === 1) { first++; } }
      if (q.state === "revealed") { revealed++; }
    });
    var done = right + revealed === all.length;
    var box = root.querySelector(".tgs-score");
    box.textContent = tgsFill(done ? words.scoreFinal : words.scoreSoFar,
      { right: right, total: all.length, first: first, revealed: revealed, tolerance: quiz.tolerance });
    box.setAttribute("data-final", done ? "yes" : "no");
  }
  function settle(k, j, state, message) {
    var q = quiz.frames[k][j];
    var row = root.querySelector('.tgs-quiz[data-frame="' + k + '"] .tgs-question[data-q="' + j + '"]');
    q.state = state;
    var feedback = row.querySelector(".tgs-feedback");
    feedback.textContent = message;
    feedback.className = "tgs-feedback tgs-" + state;
    row.querySelectorAll("input, button").forEach(function (e) { e.disabled = true; });
    score();
    if (!open(k)) { root.focus({ preventScroll: true }); }
    show(current);
  }
  function check(k, j) {
    var q = quiz.frames[k][j];
    var row = root.querySelector('.tgs-quiz[data-frame="' + k + '"] .tgs-question[data-q="' + j + '"]');
    var feedback = row.querySelector(".tgs-feedback");
    var answer = parse(row.querySelector(".tgs-answer").value);
    if (isNaN(answer)) {
      feedback.textContent = words.notANumber;
      feedback.className = "tgs-feedback tgs-wrong";
      feedback.removeAttribute("data-kind");
      return;
    }
    q.tries = (q.tries || 0) + 1;
    if (close(answer, q.expected)) {
      settle(k, j, "right", tgsFill(words.right, { asked: q.name, expected: q.shown }));
      return;
    }
    var hint = q.fallback, kind = "";
    for (var m = 0; m < q.mistakes.length; m++) {
      if (close(answer, q.mistakes[m][1])) { kind = q.mistakes[m][0]; hint = q.mistakes[m][2]; break; }
    }
    feedback.textContent = tgsFill(words.tryAgain, { hint: hint });
    feedback.className = "tgs-feedback tgs-wrong";
    feedback.setAttribute("data-kind", kind);
  }
  if (quiz) {
    root.querySelectorAll(".tgs-question").forEach(function (row) {
      var k = parseInt(row.parentNode.getAttribute("data-frame"), 10), j = parseInt(row.getAttribute("data-q"), 10);
      row.querySelector(".tgs-check").addEventListener("click", function () { check(k, j); });
      row.querySelector(".tgs-answer").addEventListener("keydown", function (event) {
        if (event.key === "Enter") { check(k, j); event.preventDefault(); }
      });
      row.querySelector(".tgs-reveal").addEventListener("click", function () {
        var q = quiz.frames[k][j];
        settle(k, j, "revealed", tgsFill(words.revealed, { asked: q.name, expected: q.shown }));
      });
    });
    score();
  }
  root.querySelector(".tgs-prev").addEventListener("click", function () { show(current - 1); });
  root.querySelector(".tgs-next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  function onKey(event) {
    if (event.target && event.target.tagName === "INPUT" && event.target !== slider) { return; }
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  }
  root.addEventListener("keydown", onKey);
  if (wholePage) {
    document.addEventListener("keydown", function (e) { if (!root.contains(e.target)) { onKey(e); } });
  }
  window.addEventListener("resize", function () { reserveText(); show(current); });
  reserveCounter();
  reserveText();
  show(0);
}
