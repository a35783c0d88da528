/** Replaced at bundle time from package.json (scripts/build.mjs). */
declare const __IDCENTER_VERSION__: string | undefined;
export const VERSION: string = typeof __IDCENTER_VERSION__ === 'string' ? __IDCENTER_VERSION__ : '0.0.0-dev';
