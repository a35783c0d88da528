/**
 * Reading a server's `/metrics` as an operator's scraper does: over HTTP, in Prometheus' text
 * format.
 */

/**
 * One scrape of the server at `url` with its metrics token (`IDCENTER_METRICS_TOKEN`): a reader
 * of the value of a series (`name{labels}` exactly as exposed, e.g.
 * `idcenter_audit_commit_events_sum{result="committed"}`), 0 for a series the server does not
 * expose yet (a labelled series appears with its first sample).
 */
export async function scrapeMetrics(url: string, token: string): Promise<(series: string) => number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${url}/metrics: ${res.status} ${await res.text()}`);
  const lines = (await res.text()).split('\n');
  return (series) => {
    const line = lines.find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
}
