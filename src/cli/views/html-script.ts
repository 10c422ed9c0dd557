/**
 * The page's only script, inline and allowed by its hash in the page's
 * Content-Security-Policy. It folds a row's subtree, opens a row's detail
 * (every field the log has about the step or run) and jumps to the failure,
 * unfolding what hides it. Plain DOM, no library, nothing fetched.
 */
export const PAGE_SCRIPT = `(function () {
  'use strict';
  function depth(row) { return Number(row.getAttribute('data-depth')); }
  function detailOf(row) { return document.getElementById(row.id + '-detail'); }
  function subtree(row) {
    var out = [];
    for (var at = row.nextElementSibling; at; at = at.nextElementSibling) {
      if (at.classList.contains('row') && depth(at) <= depth(row)) break;
      out.push(at);
    }
    return out;
  }
  function setFolded(row, folded) {
    var button = row.querySelector('button.fold');
    if (!button) return;
    button.setAttribute('aria-expanded', folded ? 'false' : 'true');
    button.textContent = folded ? '\\u25b8' : '\\u25be';
    row.classList.toggle('folded', folded);
    subtree(row).forEach(function (el) {
      if (el.classList.contains('row')) {
        el.hidden = folded;
        if (!folded) { el.classList.remove('folded'); var b = el.querySelector('button.fold'); if (b) { b.setAttribute('aria-expanded', 'true'); b.textContent = '\\u25be'; } }
      } else {
        var owner = document.getElementById(el.id.replace(/-detail$/, ''));
        el.hidden = folded || !owner || !owner.classList.contains('open');
      }
    });
  }
  function setOpen(row, open) {
    var detail = detailOf(row);
    if (!detail) return;
    row.classList.toggle('open', open);
    row.setAttribute('aria-expanded', open ? 'true' : 'false');
    detail.hidden = !open;
  }
  function reveal(row) {
    var need = depth(row);
    for (var at = row.previousElementSibling; at && need > 0; at = at.previousElementSibling) {
      if (!at.classList.contains('row') || depth(at) >= need) continue;
      if (at.classList.contains('folded')) setFolded(at, false);
      need = depth(at);
    }
  }
  document.addEventListener('click', function (event) {
    var target = event.target;
    var fold = target.closest('button.fold');
    if (fold) { var r = fold.closest('.row'); setFolded(r, !r.classList.contains('folded')); return; }
    var jump = target.closest('a.jump');
    if (jump) {
      var to = document.getElementById(jump.getAttribute('href').slice(1));
      if (!to) return;
      event.preventDefault();
      reveal(to);
      setOpen(to, true);
      to.scrollIntoView({ block: 'center' });
      to.classList.add('flash');
      return;
    }
    var row = target.closest('.row[data-detail]');
    if (row && !target.closest('a')) setOpen(row, !row.classList.contains('open'));
  });
  document.addEventListener('keydown', function (event) {
    var row = event.target.closest && event.target.closest('.row[data-detail]');
    if (row && (event.key === 'Enter' || event.key === ' ') && event.target === row) { event.preventDefault(); setOpen(row, !row.classList.contains('open')); }
  });
  document.documentElement.setAttribute('data-ready', '1');
})();`;
