/**
 * The page's assets, read once at startup and served from memory: the HTML shell and style sheet
 * (page-html.ts) and the browser modules in static/ (plain JavaScript ES modules, no framework,
 * no build step; tsconfig.build.json's allowJs copies them into dist/ beside this file). The list
 * is fixed: the server never maps a request path to a file.
 */
import { readFileSync } from 'node:fs';
import { PAGE_CSS, PAGE_HTML } from './page-html.js';

/** The browser modules, served at `/NAME`; page.js imports the others. */
export const SCRIPT_MODULES = [
  'page.js',
  'common.js',
  'grid.js',
  'live.js',
  'script.js',
  'plan.js',
  'tables.js',
] as const;

export interface PageAssets {
  readonly html: string;
  readonly css: string;
  /** Module name -> source. */
  readonly scripts: ReadonlyMap<string, string>;
}

let cached: PageAssets | null = null;

export function pageAssets(): PageAssets {
  if (cached === null) {
    const scripts = new Map<string, string>();
    for (const name of SCRIPT_MODULES) {
      // tsc's copies in dist/ end with a source map comment; maps are not served, so drop it.
      const text = readFileSync(new URL(`./static/${name}`, import.meta.url), 'utf8');
      scripts.set(name, text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
    }
    cached = { html: PAGE_HTML, css: PAGE_CSS, scripts };
  }
  return cached;
}
