/* The training replay (views/replay.py): the slider shows each recorded step's decision boundary, the
   first layer's lines, the loss and accuracy, and the neuron's graph. A diverged step (a loss or a
   parameter that is not a finite number) is shown as such: its lines are left out where they cannot
   be drawn, and the rest keeps working. The data is read with tgsReadData (views/assets/data.js); the counter's
   sentence comes in the page's language, filled in with tgsFill. */
function tgsReplay(root) {
  var data = tgsReadData(root.querySelector(".tgs-replay-data"));
  var words = tgsReadData(root.querySelector(".tgs-words"));  // the page's sentences, in its language
  var slider = root.querySelector(".tgs-slider");
  var canvas = root.querySelector(".tgs-plane");
  var graphs = root.querySelectorAll(".tgs-graph");
  var ctx = canvas.getContext("2d");
  var box = data.box, W = canvas.width, H = canvas.height;
  function px(x) { return (x - box[0]) / (box[1] - box[0]) * W; }
  function py(y) { return H - (y - box[2]) / (box[3] - box[2]) * H; }
  function rgb(hex) { return [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16); }); }
  var areas = data.areaColors.map(rgb);
  var grid = document.createElement("canvas");
  function drawPlane(step) {
    // one pixel per grid point (row 0 of the classes is the lowest y), stretched so that pixel
    // centres land on the grid points, smoothed between them
    var rows = step.classes.length, cols = step.classes[0].length;
    grid.width = cols; grid.height = rows;
    var g = grid.getContext("2d"), image = g.createImageData(cols, rows);
    for (var j = 0; j < rows; j++) {
      for (var i = 0; i < cols; i++) {
        var c = areas[step.classes[j][i] % areas.length], at = 4 * ((rows - 1 - j) * cols + i);
        image.data[at] = c[0]; image.data[at + 1] = c[1]; image.data[at + 2] = c[2]; image.data[at + 3] = 255;
      }
    }
    g.putImageData(image, 0, 0);
    var cw = W / (cols - 1), ch = H / (rows - 1);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(grid, -cw / 2, -ch / 2, W + cw, H + ch);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(60, 60, 60, 0.55)";
    step.lines.forEach(function (l) {
      var w0 = l[0], w1 = l[1], b = l[2], a, c;
      if (!(isFinite(w0) && isFinite(w1) && isFinite(b))) { return; }  // a diverged neuron has no line to draw
      if (Math.abs(w1) > Math.abs(w0)) {
        a = [box[0], -(w0 * box[0] + b) / w1]; c = [box[1], -(w0 * box[1] + b) / w1];
      } else if (w0 !== 0) {
        a = [-(w1 * box[2] + b) / w0, box[2]]; c = [-(w1 * box[3] + b) / w0, box[3]];
      } else { return; }
      if (![a[0], a[1], c[0], c[1]].every(isFinite)) { return; }
      ctx.beginPath(); ctx.moveTo(px(a[0]), py(a[1])); ctx.lineTo(px(c[0]), py(c[1])); ctx.stroke();
    });
    data.points.forEach(function (p) {
      ctx.beginPath(); ctx.arc(px(p[0]), py(p[1]), 4, 0, 2 * Math.PI);
      ctx.fillStyle = data.classColors[p[2] % data.classColors.length]; ctx.fill();
      ctx.strokeStyle = "black"; ctx.lineWidth = 0.8; ctx.stroke();
    });
  }
  function show(k) {
    var step = data.steps[k];
    drawPlane(step);
    for (var g = 0; g < graphs.length; g++) { graphs[g].classList.toggle("tgs-current", g === k); }
    root.querySelectorAll(".tgs-curve").forEach(function (svg) {
      var left = +svg.dataset.left, right = +svg.dataset.right, n = +svg.dataset.steps;
      var x = left + (right - left) * k / n;
      var marker = svg.querySelector(".tgs-marker");
      marker.setAttribute("x1", x); marker.setAttribute("x2", x);
    });
    var total = data.steps[data.steps.length - 1].step;
    root.querySelector(".tgs-counter").textContent = tgsFill(words.counter, { step: step.step, total: total });
    var loss = root.querySelector(".tgs-loss");
    loss.textContent = step.loss;
    loss.classList.toggle("tgs-diverged", step.diverged);
    root.querySelector(".tgs-accuracy").textContent = step.accuracy;
    slider.value = k;
    root.setAttribute("data-step", k);
  }
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  show(0);
}
