/**
 * Test helper, types only: the page's globals as the tests' in-browser functions (page.evaluate,
 * waitForFunction) use them. The tests run in Node, whose types have no DOM, so each test file
 * declares `window`, `document` (and MutationObserver) module-locally with these types:
 *   declare const window: PageWindow;
 */

/** An element, as far as the tests read it. */
export interface PageNode {
  readonly textContent: string | null;
  readonly children: Iterable<PageNode>;
}

export interface PageWindow {
  portspace: {
    palette: Record<string, string>;
    marks: Record<string, string>;
    cellCenter(view: string, source: string, port: number): { x: number; y: number } | null;
  };
  /** Set by a test (exposeFunction) to hear the walk's status lines as they change. */
  noteWalk(s: string): void;
}

export interface PageDocument {
  body: { dataset: Record<string, string | undefined> };
  getElementById(id: string): PageNode | null;
  querySelectorAll(selector: string): Iterable<PageNode>;
}

export interface PageMutationObserver {
  new (
    callback: () => void,
  ): {
    observe(
      target: PageNode,
      options: { childList: boolean; characterData: boolean; subtree: boolean },
    ): void;
  };
}
