/** The dependencies of the server's areas: declared in `app/server-deps.ts`, below them. */
export type { ServerDeps } from '../app/server-deps.ts';
