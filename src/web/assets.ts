/**
 * The page's assets, read once at startup and served from memory: the HTML shell and style sheet
 * (page-html.ts) and the browser script static/page.js (plain JavaScript, no framework, no build
 * step; tsconfig.build.json's allowJs copies it into dist/ beside this file).
 */
import { readFileSync } from 'node:fs';
import { PAGE_CSS, PAGE_HTML } from './page-html.js';

export interface PageAssets {
  readonly html: string;
  readonly css: string;
  readonly js: string;
}

let cached: PageAssets | null = null;

export function pageAssets(): PageAssets {
  if (cached === null) {
    // tsc's copy in dist/ ends with a source map comment; the map is not served, so drop it.
    const js = readFileSync(new URL('./static/page.js', import.meta.url), 'utf8').replace(
      /\n\/\/# sourceMappingURL=.*\s*$/,
      '\n',
    );
    cached = { html: PAGE_HTML, css: PAGE_CSS, js };
  }
  return cached;
}
