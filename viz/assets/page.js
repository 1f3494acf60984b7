// The step-through page's script (viz/page.py inlines it into every page).
//
// It reads the step data (the JSON script block with id steps-data) and drives the
// one embedded SVG: it writes each node's data/grad text and fill, marks the current node
// and the edges its value or gradient travels along, and fills the side panel. It never
// lays the graph out again. ES5, no modules, no network: it must run from file:// and
// inside an iframe's srcdoc.
//
// The data (field names as viz/page.py's step_data writes them):
//   root, names[k], inputs[k] (node indices), first (the leaf step 0 shows), leaves, done,
//   forward[i] = {node, equation, numbers},
//   backward[i] = {node, equation, lines, passed[j], changes[] = {node, grad, fill}}.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('steps-data').textContent);
  var F = D.forward.length, B = D.backward.length, LAST = F + B;
  var player = document.getElementById('player');
  var box = document.getElementById('diagram');
  var svg = box.querySelector('svg');
  var slider = document.getElementById('slider');
  var counter = document.getElementById('step-counter');
  var playBtn = document.getElementById('play');
  var speed = document.getElementById('speed');
  var n = D.names.length;
  var k, i;

  // --- the SVG's pieces, found once --------------------------------------------------
  var nodeEl = [], opEl = [], gradText = [], dataText = [], fillEl = [], dataShown = [];
  for (k = 0; k < n; k++) {
    var g = document.getElementById('v' + k);
    nodeEl.push(g);
    opEl.push(document.getElementById('v' + k + '_op'));
    var texts = g ? g.getElementsByTagName('text') : [], gt = null, dt = null;
    for (var t = 0; t < texts.length; t++) {
      var s = texts[t].textContent;
      if (s.indexOf('grad ') === 0) gt = texts[t];
      if (s.indexOf('data ') === 0) dt = texts[t];
    }
    gradText.push(gt); dataText.push(dt);
    dataShown.push(dt ? dt.textContent : '');
    fillEl.push(g ? g.querySelector('polygon, path') : null);
  }
  var edges = {};
  var edgeEls = svg.querySelectorAll('g.edge');
  for (var e = 0; e < edgeEls.length; e++) {
    var title = edgeEls[e].getElementsByTagName('title')[0].textContent;
    (edges[title] = edges[title] || []).push(edgeEls[e]);
  }
  var users = [];  // users[k]: the nodes that take node k as an input
  for (k = 0; k < n; k++) users.push([]);
  for (k = 0; k < n; k++) {
    for (i = 0; i < D.inputs[k].length; i++) users[D.inputs[k][i]].push(k);
  }

  // --- which step shows each node: clicking jumps there ------------------------------
  var forwardStep = [], backwardStep = [];
  for (k = 0; k < n; k++) { forwardStep.push(0); backwardStep.push(-1); }
  D.forward.forEach(function (step, i) { forwardStep[step.node] = i + 1; });
  D.backward.forEach(function (step, i) {
    backwardStep[step.node] = F + 1 + i;
    // A leaf's backward step is the last one that added to its grad.
    step.changes.forEach(function (change) {
      if (!D.inputs[change.node].length) backwardStep[change.node] = F + 1 + i;
    });
  });

  // --- state at the current step, replayed from the data -----------------------------
  var known = [], grad = [], fill = [], dirty = {}, cur = -1, marked = [], focus = D.first;
  function reset() {
    for (var k = 0; k < n; k++) {
      known[k] = !D.inputs[k].length; grad[k] = 'grad \u2013'; fill[k] = '#ffffff';
      dirty[k] = true;
    }
    cur = 0;
  }
  function apply(s) {  // from step s - 1 to step s
    if (s <= F) { var k = D.forward[s - 1].node; known[k] = true; dirty[k] = true; return; }
    if (s === F + 1) {
      for (var j = 0; j < n; j++) { grad[j] = 'grad 0.0000'; fill[j] = '#ffffff'; dirty[j] = true; }
    }
    D.backward[s - F - 1].changes.forEach(function (change) {
      grad[change.node] = change.grad; fill[change.node] = change.fill; dirty[change.node] = true;
    });
  }
  function paint() {
    for (var key in dirty) {
      var k = +key, g = nodeEl[k];
      if (!g) continue;
      g.classList.toggle('pending', !known[k]);
      if (opEl[k]) opEl[k].classList.toggle('pending', !known[k]);
      if (dataText[k]) dataText[k].textContent = known[k] ? dataShown[k] : 'data ?';
      if (gradText[k]) gradText[k].textContent = grad[k];
      if (fillEl[k] && gradText[k]) fillEl[k].setAttribute('fill', fill[k]);
    }
    dirty = {};
  }

  // --- the current node and the edges its value or gradient travels ------------------
  function mark(k, passed) {
    marked.forEach(function (el) { el.classList.remove('current', 'flow'); });
    marked = [];
    if (k < 0) return;
    [nodeEl[k], opEl[k]].forEach(function (el) {
      if (el) { el.classList.add('current'); marked.push(el); }
    });
    D.inputs[k].forEach(function (i, j) {
      if (passed && !passed[j]) return;
      (edges['v' + i + '->v' + k + '_op'] || []).forEach(function (el) {
        el.classList.add('flow'); marked.push(el);
      });
    });
    (edges['v' + k + '_op->v' + k] || []).forEach(function (el) {
      el.classList.add('flow'); marked.push(el);
    });
  }

  function describe(s) {
    var phase = document.getElementById('phase');
    var eq = document.getElementById('equation');
    var lines = document.getElementById('lines');
    var note = document.getElementById('note');
    if (s === 0) {
      phase.textContent = 'Forward: the leaves';
      eq.textContent = 'Inputs, parameters and constants are known';
      lines.textContent = D.leaves.join('\n');
      note.textContent = 'Next, each op computes its value from its inputs, in an order ' +
        'where every input is ready first.';
      return -1;
    }
    if (s <= F) {
      var forward = D.forward[s - 1];
      phase.textContent = 'Forward ' + s + ' / ' + F;
      eq.textContent = forward.equation;
      lines.textContent = forward.numbers;
      note.textContent = s === F ? 'The output is computed. Backward starts next: its ' +
        'grad is set to 1 and passed back.' : 'The orange edges carry the inputs\u2019 values.';
      return forward.node;
    }
    var backward = D.backward[s - F - 1];
    phase.textContent = 'Backward ' + (s - F) + ' / ' + B;
    eq.textContent = backward.equation;
    lines.textContent = backward.lines.join('\n');
    note.textContent = 'This node\u2019s grad is complete, so the chain rule adds ' +
      'local derivative \u00d7 its grad to each input (orange edges).';
    if (s === LAST) {
      lines.textContent += '\n\nDone: d ' + D.root + ' / d leaf\n' + D.done.join('\n');
    }
    return backward.node;
  }

  function show(s) {
    s = Math.max(0, Math.min(LAST, s | 0));
    if (s < cur || cur < 0) reset();
    for (var t = cur + 1; t <= s; t++) apply(t);
    cur = s;
    paint();
    var k = describe(s);
    mark(k, s > F ? D.backward[s - F - 1].passed : null);
    slider.value = String(s);
    counter.textContent = 'Step ' + s + ' / ' + LAST;
    document.getElementById('prev').disabled = s === 0;
    document.getElementById('next').disabled = s === LAST;
    player.dataset.step = String(s);
    player.dataset.phase = s <= F ? 'forward' : 'backward';
    player.dataset.node = k < 0 ? '' : D.names[k];
    player.dataset.nodeId = k < 0 ? '' : 'v' + k;
    focus = k < 0 ? D.first : k;
    keepInView(focus);
  }

  // --- pan and zoom: view.x, view.y is the SVG point at the pane's top left ----------
  var full = svg.viewBox.baseVal, W = full.width, H = full.height;
  svg.setAttribute('width', String(W));  // one SVG unit to a CSS pixel at scale 1
  svg.setAttribute('height', String(H));
  // The diagram's text is 11 units high (viz.draw_dot's font size). The page opens on the
  // whole graph when that shows its text at 9 CSS pixels or more; else at 1:1 (11 px).
  var READABLE = 9 / 11, MARGIN = 24;
  var view = {x: 0, y: 0, scale: 1};
  function size() { return {w: box.clientWidth || 1, h: box.clientHeight || 1}; }
  function setView() {
    svg.style.transform = 'translate(' + (-view.x * view.scale) + 'px,' +
      (-view.y * view.scale) + 'px) scale(' + view.scale + ')';
    player.dataset.scale = view.scale.toFixed(3);
  }
  function zoomAt(factor, px, py) {  // px, py: a point of the box, in CSS pixels
    var next = Math.max(0.05, Math.min(8, view.scale * factor));
    view.x += px / view.scale - px / next;
    view.y += py / view.scale - py / next;
    view.scale = next;
    setView();
  }
  function fitScale() {
    var c = size();
    return Math.min((c.w - 2 * MARGIN) / W, (c.h - 2 * MARGIN) / H);
  }
  function fit() {
    var c = size();
    view.scale = Math.min(fitScale(), 1.5);
    view.x = -(c.w / view.scale - W) / 2;
    view.y = -(c.h / view.scale - H) / 2;
    setView();
  }
  // Open on the whole graph when its text is readable that way; else at 1:1 on the node
  // step 0 shows (the first input) with the ops that read it, as far as they fit.
  function openView() {
    if (fitScale() >= READABLE) { fit(); return; }
    view.scale = 1;
    setView();
    keepInView(focus, true);
  }
  // Centre the screen rectangle r, but show no more empty space beyond the graph's edges
  // than the margin (a graph narrower than the pane is centred in it).
  function centre(r) {
    var c = box.getBoundingClientRect();
    view.x += ((r.left + r.right) / 2 - (c.left + c.right) / 2) / view.scale;
    view.y += ((r.top + r.bottom) / 2 - (c.top + c.bottom) / 2) / view.scale;
    var m = MARGIN / view.scale, w = c.width / view.scale, h = c.height / view.scale;
    view.x = W + 2 * m <= w ? (W - w) / 2 : Math.max(-m, Math.min(W - w + m, view.x));
    view.y = H + 2 * m <= h ? (H - h) / 2 : Math.max(-m, Math.min(H - h + m, view.y));
    setView();
  }
  // Pan (never zoom) so the node is on screen, with its op and inputs when they fit:
  // the reader sees what flows in or out at this step. On opening, the ops that read the
  // node too (and the node is centred even if it is on screen).
  function keepInView(k, opening) {
    if (!nodeEl[k]) return;
    var c = box.getBoundingClientRect(), m = MARGIN;
    var ins = D.inputs[k], leaves = ins.filter(function (i) { return !D.inputs[i].length; });
    var readers = [];
    users[k].forEach(function (j) { readers.push(nodeEl[j], opEl[j]); });
    var tries = [ins, leaves, []].map(function (group) {
      return span([nodeEl[k], opEl[k]].concat(group.map(function (i) { return nodeEl[i]; })));
    });
    if (opening) {
      tries.unshift(span([nodeEl[k], opEl[k]].concat(readers)));
      tries.splice(1, 0, span([nodeEl[k], opEl[k]].concat(readers.slice(0, 6))));
    }
    var r = tries.filter(function (u) {
      return u.right - u.left <= c.width - 2 * m && u.bottom - u.top <= c.height - 2 * m;
    })[0] || tries[tries.length - 1];
    if (!opening && r.left >= c.left + m && r.right <= c.right - m &&
        r.top >= c.top + m && r.bottom <= c.bottom - m) return;
    centre(r);
  }
  function span(els) {  // the screen rectangle around the elements
    var u = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
    els.forEach(function (el) {
      if (!el) return;
      var r = el.getBoundingClientRect();
      u.left = Math.min(u.left, r.left); u.top = Math.min(u.top, r.top);
      u.right = Math.max(u.right, r.right); u.bottom = Math.max(u.bottom, r.bottom);
    });
    return u;
  }
  box.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var c = box.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - c.left, ev.clientY - c.top);
  }, {passive: false});
  function zoomButton(factor) {
    return function () { var c = size(); zoomAt(factor, c.w / 2, c.h / 2); keepInView(focus); };
  }
  document.getElementById('zoom-in').addEventListener('click', zoomButton(1.25));
  document.getElementById('zoom-out').addEventListener('click', zoomButton(0.8));
  document.getElementById('zoom-fit').addEventListener('click', fit);
  document.getElementById('zoom-1').addEventListener('click', function () {
    var c = size(); zoomAt(1 / view.scale, c.w / 2, c.h / 2);
  });

  // Drag to pan; a press that barely moves is a click (on a node: jump to its step).
  var drag = null;
  box.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0 || ev.target.closest('#zoom-buttons')) return;
    drag = {x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false};
  });
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    box.classList.add('dragging');
    view.x = drag.vx - dx / view.scale;
    view.y = drag.vy - dy / view.scale;
    setView();
  });
  window.addEventListener('pointerup', function (ev) {
    var was = drag;
    drag = null;
    box.classList.remove('dragging');
    if (!was || was.moved) return;
    var g = ev.target.closest && ev.target.closest('g.node');
    var m = g && /^v(\d+)(_op)?$/.exec(g.id);
    if (m) show(nodeStep(+m[1]));
  });
  // Forward phase: the step that computes the node (a leaf: step 0). Backward phase: the
  // step that passes its grad on (a leaf: the last step that adds to its grad).
  function nodeStep(k) {
    if (cur <= F || backwardStep[k] < 0) return forwardStep[k];
    return backwardStep[k];
  }

  // --- stepping controls -------------------------------------------------------------
  var timer = null;
  function pause() {
    if (timer) clearTimeout(timer);
    timer = null;
    playBtn.textContent = '\u25b6 Play';
    player.dataset.playing = 'false';
  }
  function tick() {
    if (cur >= LAST) { pause(); return; }
    show(cur + 1);
    timer = setTimeout(tick, 1000 / +speed.value);
  }
  function play() {
    if (cur >= LAST) show(0);
    playBtn.textContent = '\u275a\u275a Pause';
    player.dataset.playing = 'true';
    timer = setTimeout(tick, 1000 / +speed.value);
  }
  playBtn.addEventListener('click', function () { if (timer) pause(); else play(); });
  document.getElementById('prev').addEventListener('click', function () { show(cur - 1); });
  document.getElementById('next').addEventListener('click', function () { show(cur + 1); });
  slider.addEventListener('input', function () { show(+slider.value); });
  document.addEventListener('keydown', function (ev) {
    // The slider and the speed menu handle their own keys.
    if (ev.target === slider || ev.target === speed || ev.altKey || ev.ctrlKey) return;
    var moves = {ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: 0, End: LAST};
    if (ev.key in moves) { ev.preventDefault(); show(moves[ev.key]); }
    else if (ev.key === ' ') { ev.preventDefault(); if (timer) pause(); else play(); }
  });

  slider.max = String(LAST);
  openView();
  show(0);
  window.addEventListener('resize', function () { setView(); keepInView(focus); });
})();
