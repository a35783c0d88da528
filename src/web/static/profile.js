// @ts-check
// idcenter profile page: show every <time data-local> in the person's own time zone.
// The page works without this file (times then read in UTC).
(() => {
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const node of /** @type {NodeListOf<HTMLTimeElement>} */ (
    document.querySelectorAll('time[data-local]')
  )) {
    const when = new Date(node.getAttribute('datetime') ?? '');
    if (!Number.isNaN(when.getTime())) {
      node.title = `${node.textContent}`;
      node.textContent = fmt.format(when);
    }
  }
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });
})();
