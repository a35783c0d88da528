/**
 * Reading a server's `/metrics` as an operator's scraper does: over HTTP, in Prometheus' text
 * format.
 */

/**
 * One scrape of the server at `url`: a reader of the value of a series (`name{labels}` exactly
 * as exposed, e.g. `idcenter_audit_commit_events_sum{result="committed"}`), 0 for a series the
 * server does not expose yet (a labelled series appears with its first sample).
 */
export async function scrapeMetrics(url: string): Promise<(series: string) => number> {
  const lines = (await (await fetch(`${url}/metrics`)).text()).split('\n');
  return (series) => {
    const line = lines.find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
}
