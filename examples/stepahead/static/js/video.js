/* The video stand-in inside the embed iframe: a play button and a progress bar. */
(function () {
  'use strict';
  var play = document.getElementById('play');
  var bar = document.getElementById('progress');
  var timer = null;
  var progress = 0;
  play.addEventListener('click', function () {
    var playing = play.getAttribute('aria-pressed') === 'true';
    play.setAttribute('aria-pressed', playing ? 'false' : 'true');
    play.querySelector('.play-label').textContent = playing ? 'Play' : 'Pause';
    if (playing) { window.clearInterval(timer); return; }
    timer = window.setInterval(function () {
      progress = (progress + 1) % 101;
      bar.style.width = progress + '%';
    }, 100);
  });
})();
