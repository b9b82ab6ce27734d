import { readFileSync } from 'node:fs';
import { Page } from 'playwright-core';

/** axe-core's own script, read once (it is half a megabyte). */
let axeSource: string | undefined;

interface AxeNode {
  target: string[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: AxeNode[];
}

/**
 * Runs axe-core on the page as it is now (an open dialog included) and fails on any serious or
 * critical violation, naming the rule and the elements. The app's CSP allows no inline script,
 * so `addScriptTag({ content })` would be refused; `page.evaluate` runs the source through the
 * DevTools protocol instead, which the CSP does not govern, and the app's own policy stays in
 * force for everything else the test checks.
 */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => 'axe' in globalThis);
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (options: object) => Promise<unknown> } })
      .axe;
    const results = (await axe.run({ resultTypes: ['violations'] })) as {
      violations: unknown[];
    };
    return results.violations;
  });
  const serious = (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').join(' ')}`)
          .join('\n'),
    );
  if (serious.length > 0) throw new Error(`axe-core on ${where}:\n${serious.join('\n')}`);
}

/** Runs in the page: the outermost elements that reach past the window's right edge. */
const WIDE_ELEMENTS = `(WIDTH) => {
  const wide = [...document.body.querySelectorAll('*')].filter(
    (e) => e.getBoundingClientRect().right > WIDTH + 0.5 && e.checkVisibility(),
  );
  // Where it starts: an element reaching past the edge inside one that does not.
  return wide
    .filter((e) => !wide.includes(e.parentElement))
    .slice(0, 5)
    .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().left) + '→' + Math.round(e.getBoundingClientRect().right));
}`;

/**
 * How far the page scrolls sideways (0 if it does not), and what sticks out. Measured
 * against the width asked for, not innerWidth: a phone zooms out to fit a page too wide.
 */
export async function sidewaysOverflow(page: Page): Promise<{ by: number; culprits: string[] }> {
  const width = page.viewportSize()?.width ?? 0;
  const scrollWidth: number = await page.evaluate('document.documentElement.scrollWidth');
  const by = scrollWidth - width;
  if (by <= 0) return { by: 0, culprits: [] };
  return { by, culprits: await page.evaluate(`(${WIDE_ELEMENTS})(${width})`) };
}

/**
 * Runs in the page (a string: the tests' TypeScript knows no DOM). Lists every visible control
 * smaller than MIN×MIN CSS px to tap. A checkbox or radio counts by its label (the whole label is
 * the target); a link inline in running text (a paragraph, a hint) is exempt, as WCAG 2.5.8
 * allows for inline targets. Behind an open modal dialog nothing can be tapped, so only the
 * dialog counts then.
 */
const SMALL_TAP_TARGETS = `(MIN) => {
  const modal = document.querySelector('dialog[open]');
  const scope = modal ?? document;
  const selector =
    'a[href], button, input, select, textarea, summary, [role="switch"], [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const element of scope.querySelectorAll(selector)) {
    if (!element.checkVisibility({ visibilityProperty: true })) continue;
    let target = element;
    if (element instanceof HTMLInputElement && /^(checkbox|radio)$/.test(element.type)) {
      const label = element.closest('label') ?? element.labels?.[0];
      if (label) target = label;
    }
    const box = target.getBoundingClientRect();
    // Visually hidden (the skip link until it has the focus): nobody taps it.
    if (box.width <= 2 || box.height <= 2) continue;
    if (
      element instanceof HTMLAnchorElement &&
      getComputedStyle(element).display === 'inline' &&
      element.closest('p, .field__hint')
    )
      continue;
    if (box.width + 0.5 < MIN || box.height + 0.5 < MIN) {
      const name = (element.getAttribute('aria-label') ?? target.textContent ?? '').trim();
      const classes = element.className ? '.' + String(element.className).split(' ').join('.') : '';
      small.push(
        element.tagName.toLowerCase() + classes + ' "' + name.slice(0, 40) + '" ' +
          Math.round(box.width) + '×' + Math.round(box.height),
      );
    }
  }
  return small;
}`;

/** The controls on the page (or its open dialog) too small to tap, described. */
export async function smallTapTargets(page: Page, min = 44): Promise<string[]> {
  return page.evaluate(`(${SMALL_TAP_TARGETS})(${min})`);
}
